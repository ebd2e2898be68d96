// The store under injected faults (in-memory FileIO): a crash that drops unsynced bytes, a
// torn write-back, a full disk, corrupted bytes. What a client was told PUT_OK under
// SYNC_FLUSH must survive; nothing torn may be readable after recovery.

import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../../core/common/clock.ts";
import { Prng, seedFromEnv } from "../../../core/common/prng.ts";
import { decodeRecord, PutMessageStatus, verifyStore } from "../../../core/store/index.ts";
import { MemoryFileIO } from "../../harness/memory_file_io.ts";
import { message, openStore, putNow, tempStoreConfig } from "../../harness/temp_store.ts";

const root = "/mem/store";
const memConfig = (overrides = {}) =>
  tempStoreConfig({ storePathRootDir: root, mappedFileSizeCommitLog: 8192, ...overrides });

function bodyAt(store: ReturnType<typeof openStore>["store"], physicalOffset: number): string {
  const record = store.lookMessageByOffset(physicalOffset);
  return record ? new TextDecoder().decode(record.body) : "<missing>";
}

describe("store: faults", () => {
  test("store: faults: SYNC_FLUSH: a crash loses no acknowledged message", async () => {
    const seed = seedFromEnv();
    try {
      for (let round = 0; round < 20; round++) {
        const prng = new Prng(seed + round);
        const io = new MemoryFileIO(prng);
        io.mkdirs(root);
        const clock = new ManualClock();
        const config = memConfig({ flushDiskType: "SYNC_FLUSH" });
        let { store } = openStore(config, { io, clock });
        const acked: { offset: number; body: string; key: string }[] = [];
        for (let i = 0, n = prng.between(5, 60); i < n; i++) {
          const body = `r${round}-m${i}-${"x".repeat(prng.below(300))}`;
          const wait = prng.chance(0.8);
          const key = `key-${round}-${i}`;
          const result = await putNow(
            store,
            clock,
            message("K", prng.below(3), body, { KEYS: key }),
            wait,
          );
          if (wait && result.status === PutMessageStatus.PUT_OK) {
            acked.push({ offset: result.appended[0]!.physicalOffset, body, key });
          }
          clock.advance(prng.chance(0.3) ? 1000 : 0);
          if (prng.chance(0.15)) store.flush();
        }
        io.crash(prng.chance(0.5)); // no shutdown: the abort file stays
        ({ store } = openStore(config, { io, clock }));
        for (const a of acked) {
          expect(bodyAt(store, a.offset)).toBe(a.body);
          // The index finds it too, whether its entry survived or was rebuilt.
          const found = store.queryMessage("K", a.key, 4, 0, Number.MAX_SAFE_INTEGER);
          expect(found.map((r) => r.position)).toContain(a.offset);
        }
        store.shutdown();
        expect(verifyStore(io, root).problems).toEqual([]);
      }
    } catch (error) {
      console.error(`fault test failed with RMQ_SEED=${seed}`);
      throw error;
    }
  });

  test("store: faults: ASYNC_FLUSH: a crash leaves a clean prefix, nothing torn", async () => {
    const seed = seedFromEnv();
    try {
      for (let round = 0; round < 20; round++) {
        const prng = new Prng(seed * 7 + round);
        const io = new MemoryFileIO(prng);
        io.mkdirs(root);
        const clock = new ManualClock();
        let { store } = openStore(memConfig(), { io, clock });
        const sent: string[] = [];
        for (let i = 0, n = prng.between(10, 80); i < n; i++) {
          const body = `m${i}`;
          await putNow(store, clock, message("A", prng.below(2), body));
          sent.push(body);
          // Time moves on so the checkpoint marks a durable prefix recovery can start after.
          clock.advance(prng.chance(0.5) ? 1000 : 0);
          if (prng.chance(0.1)) store.flush();
        }
        io.crash(true);
        ({ store } = openStore(memConfig(), { io, clock }));
        const got = [0, 1]
          .flatMap((q) => store.getMessage("A", q, 0, 1000, 1 << 30).messages)
          .sort((a, b) => a.physicalOffset - b.physicalOffset)
          .map((m) => {
            const r = decodeRecord(m.bytes, 0, { checkCrc: true, basePosition: 0 });
            return r.kind === "record" ? new TextDecoder().decode(r.record.body) : "<torn>";
          });
        expect(got).toEqual(sent.slice(0, got.length));
        store.shutdown();
        expect(verifyStore(io, root).problems).toEqual([]);
      }
    } catch (error) {
      console.error(`fault test failed with RMQ_SEED=${seed}`);
      throw error;
    }
  });

  test("store: faults: a full disk refuses writes with a status and damages nothing", async () => {
    const io = new MemoryFileIO();
    io.mkdirs(root);
    const clock = new ManualClock();
    const config = memConfig({ flushDiskType: "SYNC_FLUSH" });
    let { store, log } = openStore(config, { io, clock });
    const before = await putNow(store, clock, message("D", 0, "kept"));
    expect(before.status).toBe(PutMessageStatus.PUT_OK);
    io.bytesBudget = 50; // the next append is torn by ENOSPC
    const full = await putNow(store, clock, message("D", 0, "y".repeat(500)));
    expect(full.status).toBe(PutMessageStatus.SERVICE_NOT_AVAILABLE);
    expect(store.isWritable()).toBe(false);
    expect((await putNow(store, clock, message("D", 0, "z"))).status).toBe(
      PutMessageStatus.SERVICE_NOT_AVAILABLE,
    );
    expect(log.lines.join("\n")).toMatch(/refuses writes/);
    io.bytesBudget = Infinity;
    io.crash();
    ({ store } = openStore(config, { io, clock }));
    expect(bodyAt(store, before.appended[0]!.physicalOffset)).toBe("kept");
    expect(store.maxOffsetInQueue("D", 0)).toBe(1);
    expect((await putNow(store, clock, message("D", 0, "after"))).status).toBe("PUT_OK");
    store.shutdown();
    expect(verifyStore(io, root).problems).toEqual([]);
  });

  test("store: faults: a failing fdatasync answers FLUSH_DISK_TIMEOUT, never PUT_OK", async () => {
    const io = new MemoryFileIO();
    io.mkdirs(root);
    const clock = new ManualClock();
    const { store } = openStore(memConfig({ flushDiskType: "SYNC_FLUSH" }), { io, clock });
    io.failSync = true;
    const result = await putNow(store, clock, message("E", 0, "not durable"));
    expect(result.status).toBe(PutMessageStatus.FLUSH_DISK_TIMEOUT);
    expect(store.isWritable()).toBe(false); // sticky: no more appends after a failed flush
  });

  test("store: faults: a corrupted byte in the tail is cut at recovery and logged", async () => {
    const io = new MemoryFileIO();
    io.mkdirs(root);
    const clock = new ManualClock();
    let { store } = openStore(memConfig(), { io, clock });
    const offsets: number[] = [];
    for (let i = 0; i < 5; i++) {
      offsets.push(
        (await putNow(store, clock, message("B", 0, `m${i}`))).appended[0]!.physicalOffset,
      );
    }
    store.flush();
    io.crash();
    // Damage in data the checkpoint vouches for is found by `inspect verify`, not recovery
    // (recovery starts where durable data ends). Here the checkpoint is a RocketMQ one that
    // says nothing, so recovery checks every record, as after RocketMQ stopped.
    io.open(`${root}/checkpoint`, { create: false }).write(new Uint8Array(4096), 0);
    const segment = `${root}/commitlog/00000000000000000000`;
    io.corruptReads.set(segment, new Set([offsets[3]! + 88])); // a body byte of record 3
    let log;
    ({ store, log } = openStore(memConfig(), { io, clock }));
    expect(store.maxOffsetInQueue("B", 0)).toBe(3);
    expect(log.lines.join("\n")).toMatch(new RegExp(`cutting the commit log at ${offsets[3]}`));
    store.shutdown();
  });
});
