// The message store on temp directories: put/get, segment rollover, tag filters and statuses,
// clean and unclean restarts, index queries, group commit, validation, and serving a store
// that Apache RocketMQ 4.9.7 wrote.

import { describe, expect, test } from "bun:test";
import { truncateSync, rmSync } from "node:fs";
import { join } from "node:path";
import { javaStringHashCode } from "../../../core/common/checksum.ts";
import { ManualClock } from "../../../core/common/clock.ts";
import {
  decodeRecord,
  GetMessageStatus,
  PutMessageStatus,
  RealFileIO,
  verifyStore,
} from "../../../core/store/index.ts";
import { storeDefaults } from "../../../core/config/store_config.ts";
import { message, openStore, putNow, tempStoreConfig } from "../../harness/temp_store.ts";
import { scratchStoreCopy } from "../../harness/store_fixtures.ts";
import { sharedFixturesDir } from "../../harness/shared_fixtures.ts";
import { waitFor } from "../../harness/wait_for.ts";
import { countingIO } from "../../harness/commit_log_syncs.ts";

const io = new RealFileIO();
const text = (bytes: Uint8Array) => {
  const r = decodeRecord(bytes, 0, { checkCrc: true, basePosition: 0 });
  return r.kind === "record" ? new TextDecoder().decode(r.record.body) : `<${r.kind}>`;
};

describe("store: message store", () => {
  test("store: message store: put then get returns the stored bytes in queue order", async () => {
    const { store, clock } = openStore(tempStoreConfig());
    const first = await putNow(store, clock, message("T", 0, "a", { TAGS: "TagA", KEYS: "k1" }));
    const second = await putNow(store, clock, message("T", 0, "b"));
    const other = await putNow(store, clock, message("T", 1, "c"));
    expect(first.status).toBe(PutMessageStatus.PUT_OK);
    expect(first.appended[0]).toMatchObject({ physicalOffset: 0, queueOffset: 0 });
    expect(second.appended[0]!.queueOffset).toBe(1);
    expect(other.appended[0]!.queueOffset).toBe(0);
    expect(first.appended[0]!.msgId).toBe("7F00000100002A9F0000000000000000");
    const got = store.getMessage("T", 0, 0, 32, 1 << 20);
    expect(got.status).toBe(GetMessageStatus.FOUND);
    expect(got.messages.map((m) => text(m.bytes))).toEqual(["a", "b"]);
    expect(got).toMatchObject({ nextBeginOffset: 2, minOffset: 0, maxOffset: 2 });
    store.shutdown();
  });

  test("store: message store: listeners hear of a drain once all of it is readable", async () => {
    const { store, clock } = openStore(tempStoreConfig());
    // What a woken pull would find at each notification: the whole burst, from the first one.
    const readable: number[] = [];
    const told: number[] = [];
    store.onDispatch((r) => {
      told.push(r.queueOffset);
      readable.push(store.getMessage("Burst", 0, 0, 32, 1 << 20).messages.length);
    });
    const puts = Array.from({ length: 5 }, (_, i) => store.put(message("Burst", 0, `m${i}`)));
    clock.advance(0);
    await Promise.all(puts);
    expect(told).toEqual([0, 1, 2, 3, 4]);
    expect(readable).toEqual([5, 5, 5, 5, 5]);
    store.shutdown();
  });

  test("store: message store: a get reads records into one body, from memory or file", async () => {
    const config = tempStoreConfig();
    const first = openStore(config);
    const tags = ["A", "B", "A", "A", "B", "A"];
    for (let i = 0; i < tags.length; i++) {
      await putNow(first.store, first.clock, message("Pack", 0, `m${i}`, { TAGS: tags[i]! }));
    }
    const onlyA = (code: number) => code === javaStringHashCode("A");
    const check = (got: ReturnType<typeof first.store.getMessage>, want: string[]) => {
      expect(got.messages.map((m) => text(m.bytes))).toEqual(want);
      const joined = new Uint8Array(got.messages.reduce((n, m) => n + m.bytes.length, 0));
      let at = 0;
      for (const m of got.messages) {
        joined.set(m.bytes, at);
        at += m.bytes.length;
        expect(m.bytes.buffer).toBe(got.body!.buffer); // views of the body, not copies
      }
      expect(got.body).toEqual(joined);
    };
    check(first.store.getMessage("Pack", 0, 0, 32, 1 << 20, { accept: onlyA }), [
      "m0",
      "m2",
      "m3",
      "m5",
    ]);
    // maxCount and maxBytes stop it as before; nextBeginOffset says where to go on.
    const two = first.store.getMessage("Pack", 0, 0, 2, 1 << 20, { accept: onlyA });
    check(two, ["m0", "m2"]);
    expect(two.nextBeginOffset).toBe(3);
    check(first.store.getMessage("Pack", 0, 1, 32, 1), ["m1"]);
    first.store.shutdown();
    // After a restart nothing is in memory: the same bytes come from the segment files.
    const second = openStore(config);
    check(second.store.getMessage("Pack", 0, 0, 32, 1 << 20, { accept: onlyA }), [
      "m0",
      "m2",
      "m3",
      "m5",
    ]);
    second.store.shutdown();
  });

  test("store: message store: records roll into new segments behind blank markers", async () => {
    const config = tempStoreConfig({ mappedFileSizeCommitLog: 4096 });
    const { store, clock } = openStore(config);
    for (let i = 0; i < 100; i++) {
      expect(
        (await putNow(store, clock, message("Roll", i % 3, `m${i}-${"x".repeat(i * 3)}`))).status,
      ).toBe("PUT_OK");
    }
    expect(store.commitLog.files.segmentStarts().length).toBeGreaterThan(3);
    store.shutdown();
    const report = verifyStore(io, config.storePathRootDir);
    expect(report.problems).toEqual([]);
    expect(report.records).toBe(100);
  });

  test("store: message store: tag filter and the pull statuses", async () => {
    const { store, clock } = openStore(tempStoreConfig());
    await putNow(store, clock, [
      message("F", 0, "1", { TAGS: "A" }),
      message("F", 0, "2", { TAGS: "B" }),
      message("F", 0, "3", { TAGS: "A" }),
    ]);
    const onlyA = store.getMessage("F", 0, 0, 32, 1 << 20, {
      accept: (code) => code === javaStringHashCode("A"),
    });
    expect(onlyA.messages.map((m) => text(m.bytes))).toEqual(["1", "3"]);
    expect(onlyA.messages.map((m) => m.queueOffset)).toEqual([0, 2]);
    const none = store.getMessage("F", 0, 1, 1, 1 << 20, { accept: () => false });
    // Filtered units are skipped past, as RocketMQ does: the next pull starts after them.
    expect(none).toMatchObject({ status: GetMessageStatus.NO_MATCHED_MESSAGE, nextBeginOffset: 3 });
    expect(store.getMessage("nope", 0, 0, 1, 1).status).toBe(
      GetMessageStatus.NO_MATCHED_LOGIC_QUEUE,
    );
    expect(store.getMessage("F", 0, 3, 1, 1)).toMatchObject({
      status: "OFFSET_OVERFLOW_ONE",
      nextBeginOffset: 3,
    });
    expect(store.getMessage("F", 0, 9, 1, 1)).toMatchObject({
      status: "OFFSET_OVERFLOW_BADLY",
      nextBeginOffset: 3,
    });
    expect(store.getMessage("F", 0, 0, 2, 1).messages).toHaveLength(1); // byte limit: at least one
    store.shutdown();
  });

  test("store: message store: a sparse filter is scanned 800 units at a time", async () => {
    const { store, clock } = openStore(tempStoreConfig());
    const others = Array.from({ length: 900 }, () => message("Sparse", 0, "b", { TAGS: "B" }));
    await putNow(store, clock, [...others, message("Sparse", 0, "a", { TAGS: "A" })]);
    const onlyA = { accept: (code: number) => code === javaStringHashCode("A") };
    // RocketMQ 4.9.7 scans max(16,000 bytes, 20 x maxMsgNums) of queue: 800 units here.
    const first = store.getMessage("Sparse", 0, 0, 32, 1 << 20, onlyA);
    expect([first.status, first.nextBeginOffset]).toEqual([
      GetMessageStatus.NO_MATCHED_MESSAGE,
      800,
    ]);
    const second = store.getMessage("Sparse", 0, 800, 32, 1 << 20, onlyA);
    expect([second.status, second.nextBeginOffset]).toEqual([GetMessageStatus.FOUND, 901]);
    expect(second.messages.map((m) => m.queueOffset)).toEqual([900]);
    store.shutdown();
  });

  test("store: message store: records far behind the log's end go in smaller batches", async () => {
    const { store, clock } = openStore(tempStoreConfig());
    const kib = "x".repeat(10 * 1024);
    await putNow(store, clock, [
      ...Array.from({ length: 20 }, (_, i) => message("Far", 0, `m${i}`)),
      ...Array.from({ length: 10 }, () => message("Far", 1, kib)),
    ]);
    const disk = { inMemoryBytes: 0, countMax: 8, bytesMax: 64 * 1024 };
    const near = { ...disk, inMemoryBytes: 1 << 30 };
    // Within the in-memory window only the caller's limits count; beyond it RocketMQ's disk
    // limits (8 messages, 64 KiB) do, past the first message.
    expect(store.getMessage("Far", 0, 0, 32, 256 * 1024, { disk: near }).messages).toHaveLength(20);
    const far = store.getMessage("Far", 0, 0, 32, 256 * 1024, { disk });
    expect([far.messages.length, far.nextBeginOffset]).toEqual([8, 8]);
    expect(store.getMessage("Far", 1, 0, 32, 256 * 1024, { disk }).messages).toHaveLength(6);
    // Where the last unit looked at points: what a slave suggestion is measured from.
    expect(far.lastScannedPhysicalOffset).toBe(store.queueUnits("Far", 0, 8, 1)[0]!.physicalOffset);
    store.shutdown();
  });

  test("store: message store: invalid messages get a status and write nothing", async () => {
    const { store, clock } = openStore(tempStoreConfig());
    const bad = [
      [message("bad topic!", 0, "x"), PutMessageStatus.MESSAGE_ILLEGAL],
      [message("T".repeat(128), 0, "x"), PutMessageStatus.MESSAGE_ILLEGAL],
      [message("T", 0, "x".repeat(16 * 1024 + 1)), PutMessageStatus.MESSAGE_ILLEGAL],
      [message("T", 0, "x", { big: "y".repeat(40000) }), PutMessageStatus.PROPERTIES_SIZE_EXCEEDED],
      [message("T", -1, "x"), PutMessageStatus.MESSAGE_ILLEGAL],
    ] as const;
    for (const [input, status] of bad) {
      expect((await putNow(store, clock, input)).status).toBe(status);
    }
    expect(store.commitLog.writePosition).toBe(0);
    store.shutdown();
  });

  test("store: message store: every key of a message is indexed (split on spaces)", async () => {
    const { store, clock } = openStore(tempStoreConfig());
    await putNow(store, clock, message("K", 0, "a", { KEYS: "k1 k2  k3 " }));
    await putNow(store, clock, message("K", 0, "b", { KEYS: "k2" }));
    const find = (key: string) =>
      store.queryMessage("K", key, 10, 0, Number.MAX_SAFE_INTEGER).map((r) => r.queueOffset);
    expect([find("k1"), find("k2").sort(), find("k3"), find(""), find("k1 k2")]).toEqual([
      [0],
      [0, 1],
      [0],
      [],
      [],
    ]);
    store.shutdown();
  });

  test("store: message store: a clean restart keeps offsets and messages", async () => {
    const config = tempStoreConfig();
    let { store, clock } = openStore(config);
    for (let i = 0; i < 20; i++)
      await putNow(store, clock, message("R", i % 2, `m${i}`, { KEYS: `key${i}` }));
    store.shutdown();
    expect(io.exists(join(config.storePathRootDir, "abort"))).toBe(false);
    ({ store, clock } = openStore(config));
    expect(store.maxOffsetInQueue("R", 0)).toBe(10);
    expect((await putNow(store, clock, message("R", 0, "after"))).appended[0]!.queueOffset).toBe(
      10,
    );
    expect(
      store.queryMessage("R", "key7", 10, 0, Number.MAX_SAFE_INTEGER).map((r) => r.queueOffset),
    ).toEqual([3]);
    store.shutdown();
  });

  test("store: message store: after a crash the torn tail is cut, queues rebuilt", async () => {
    const config = tempStoreConfig();
    const first = openStore(config);
    for (let i = 0; i < 30; i++)
      await putNow(first.store, first.clock, message("C", i % 3, `m${i}`, { KEYS: `k${i}` }));
    first.store.flush();
    const end = first.store.commitLog.writePosition;
    // No shutdown: the abort file stays. Tear the last record, lose one queue's files.
    writeTorn(config.storePathRootDir, end);
    // A checkpoint that vouches for nothing (as RocketMQ's after a crash before any flush), so
    // recovery examines every record and finds the torn one.
    const checkpoint = io.open(join(config.storePathRootDir, "checkpoint"), { create: false });
    checkpoint.write(new Uint8Array(4096), 0);
    checkpoint.close();
    rmSync(join(config.storePathRootDir, "consumequeue", "C", "1"), { recursive: true });
    const second = openStore(config);
    expect(second.started.abnormal).toBe(true);
    expect(second.started.recoveredEnd).toBeLessThan(end);
    const total = [0, 1, 2].reduce((n, q) => n + second.store.maxOffsetInQueue("C", q), 0);
    expect(total).toBe(29);
    expect(second.store.maxOffsetInQueue("C", 1)).toBe(10);
    second.store.shutdown();
    expect(verifyStore(io, config.storePathRootDir).problems).toEqual([]);

    function writeTorn(root: string, endOffset: number) {
      // Rewrite everything but the last 10 bytes of the data: a record cut mid-way.
      const bytes = first.store.commitLog.read(0, endOffset)!.slice();
      const file = join(root, "commitlog", "00000000000000000000");
      truncateSync(file, 0);
      truncateSync(file, config.mappedFileSizeCommitLog);
      const handle = io.open(file, { create: false });
      handle.write(bytes.subarray(0, endOffset - 10), 0);
      handle.close();
    }
  });

  test("store: message store: SYNC_FLUSH: answers after shared fdatasyncs", async () => {
    const syncs = { count: 0 };
    const counting = countingIO(syncs);
    const { store, clock } = openStore(tempStoreConfig({ flushDiskType: "SYNC_FLUSH" }), {
      io: counting,
    });
    // 20 puts share one flush; 50 are drained in two halves, each half sharing its own.
    for (const [putCount, syncCount] of [
      [20, 1],
      [50, 2],
    ] as const) {
      syncs.count = 0;
      const flushCountBefore = store.commitLog.flushCount;
      const puts = Array.from({ length: putCount }, (_, i) =>
        store.put(message("S", i % 4, `m${i}`)),
      );
      let settled = 0;
      for (const p of puts) void p.then(() => settled++);
      await Promise.resolve();
      expect(settled).toBe(0);
      clock.advance(0); // drain: the appends
      clock.advance(0); // group commit: the fdatasyncs
      const results = await Promise.all(puts);
      expect(results.every((r) => r.status === PutMessageStatus.PUT_OK)).toBe(true);
      expect(syncs.count).toBe(syncCount);
      // Two overlapping fdatasyncs may end in either order: the later one can answer every put
      // while the earlier is still running, so its count is awaited.
      await waitFor(() => store.commitLog.flushCount - flushCountBefore === syncCount, {
        what: `${syncCount} counted flushes`,
      });
      expect(store.commitLog.flushedPosition).toBe(store.commitLog.writePosition);
    }
    store.shutdown();
  });

  test("store: message store: offsets by store time", async () => {
    const clock = new ManualClock(1_000_000);
    const { store } = openStore(tempStoreConfig(), { clock });
    for (let i = 0; i < 5; i++) {
      await putNow(store, clock, message("Time", 0, `m${i}`));
      clock.advance(1000);
    }
    expect(store.offsetByTime("Time", 0, 1_002_000)).toBe(2);
    expect(store.offsetByTime("Time", 0, 0)).toBe(0);
    expect(store.offsetByTime("Time", 0, 9_999_999)).toBe(5);
    store.shutdown();
  });

  test("store: message store: index files roll over and queries span them", async () => {
    const { store, clock } = openStore(tempStoreConfig({ maxIndexNum: 8, maxHashSlotNum: 4 }));
    for (let i = 0; i < 20; i++)
      await putNow(store, clock, message("I", 0, `m${i}`, { KEYS: i % 2 ? "odd" : "even" }));
    expect(io.list(store.paths.index).length).toBeGreaterThan(2);
    const odd = store.queryMessage("I", "odd", 64, 0, Number.MAX_SAFE_INTEGER);
    expect(odd.map((r) => r.queueOffset).sort((a, b) => a - b)).toEqual([
      1, 3, 5, 7, 9, 11, 13, 15, 17, 19,
    ]);
    store.shutdown();
  });

  test.skipIf(!sharedFixturesDir)(
    "store: message store: serves and extends RocketMQ's crashed store",
    async () => {
      const root = scratchStoreCopy("crash");
      const config = {
        ...storeDefaults(root),
        storePathRootDir: root,
        mappedFileSizeCommitLog: 1048576,
        mappedFileSizeConsumeQueue: 6000,
        maxHashSlotNum: 1024,
        maxIndexNum: 4096,
      };
      const { store, clock, started } = openStore(config);
      expect(started).toEqual({ abnormal: true, recoveredEnd: 1078352 });
      expect([0, 1, 2, 3].map((q) => store.maxOffsetInQueue("FxOrders", q))).toEqual([
        57, 60, 58, 56,
      ]);
      expect([0, 1].map((q) => store.maxOffsetInQueue("FxEvents", q))).toEqual([36, 35]);
      const put = await putNow(store, clock, message("FxOrders", 0, "from rmq"));
      expect(put.appended[0]).toMatchObject({ queueOffset: 57, physicalOffset: 1078352 });
      store.shutdown();
      const report = verifyStore(io, root);
      expect(report.problems).toEqual([]);
      expect(report.records).toBe(303);
    },
  );
});
