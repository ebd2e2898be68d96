// A consume queue damaged on disk (found by corrupting copies of a RocketMQ store): a unit that
// no longer decodes must not stop its queue, and where recovery can, it rebuilds the units from
// the commit log, which still holds their records.

import { describe, expect, test } from "bun:test";
import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { decodeRecord, type MessageStore } from "../../../core/store/index.ts";
import { message, openStore, putNow, tempStoreConfig } from "../../harness/temp_store.ts";

/** Units per consume queue file in tempStoreConfig (20-byte units, 50 per file). */
const unitsPerFile = 50;

/**
 * `count` messages in Q/0, each followed by one in Q/1: another queue points further into the
 * commit log than Q/0, as in any store with more than one busy queue.
 */
async function storeWith(count: number) {
  const config = tempStoreConfig();
  const { store, clock } = openStore(config);
  for (let i = 0; i < count; i++) {
    await putNow(store, clock, message("Q", 0, `m${i}`));
    await putNow(store, clock, message("Q", 1, `other${i}`));
  }
  store.shutdown();
  return config;
}

/** Overwrites the physical offset of unit `queueOffset` of Q/0 with bytes no offset has. */
function damageUnit(root: string, queueOffset: number): void {
  const fileStart = queueOffset - (queueOffset % unitsPerFile);
  const name = String(fileStart * 20).padStart(20, "0");
  const fd = openSync(join(root, "consumequeue", "Q", "0", name), "r+");
  writeSync(fd, new Uint8Array(8).fill(0x7f), 0, 8, (queueOffset - fileStart) * 20);
  closeSync(fd);
}

/** Every body a consumer would read from Q/0, pull after pull, from offset 0 to the end. */
function readAll(store: MessageStore): string[] {
  const bodies: string[] = [];
  let offset = 0;
  for (let pulls = 0; pulls < 100; pulls++) {
    const got = store.getMessage("Q", 0, offset, 32, 1 << 20);
    for (const m of got.messages) {
      const decoded = decodeRecord(m.bytes, 0, { checkCrc: true, basePosition: 0 });
      if (decoded.kind === "record") bodies.push(new TextDecoder().decode(decoded.record.body));
    }
    if (got.nextBeginOffset === offset || got.nextBeginOffset >= got.maxOffset) break;
    offset = got.nextBeginOffset;
  }
  return bodies;
}

describe("store: damaged consume queue", () => {
  test("store: damaged consume queue: recovery rebuilds the units after a bad one", async () => {
    const config = await storeWith(120); // files of units 0-49, 50-99, 100-119
    damageUnit(config.storePathRootDir, 60);
    const { store, log } = openStore(config);
    expect(readAll(store)).toEqual(Array.from({ length: 120 }, (_, i) => `m${i}`));
    expect(log.lines.join("\n")).toContain("consume queue Q/0 has a damaged unit at 60");
    store.shutdown();
  });

  test("store: damaged consume queue: a file's last unit, the next file rebuilt", async () => {
    const config = await storeWith(120);
    damageUnit(config.storePathRootDir, unitsPerFile - 1);
    const { store, log } = openStore(config);
    expect(readAll(store)).toEqual(Array.from({ length: 120 }, (_, i) => `m${i}`));
    expect(log.lines.join("\n")).toContain(`damaged unit at ${unitsPerFile - 1}`);
    store.shutdown();
  });

  test("store: damaged consume queue: an intact store restarts with no such warning", async () => {
    const config = await storeWith(120);
    const { store, log } = openStore(config);
    expect(readAll(store)).toHaveLength(120);
    expect(log.lines.join("\n")).not.toContain("damaged");
    store.shutdown();
  });

  test("store: damaged consume queue: a bad record stops only the rebuild", async () => {
    const config = await storeWith(120);
    // The record of other70 (Q/1), after m59 where the rebuild of Q/0 starts: no magic code.
    const first = openStore(config);
    const [unit] = first.store.queueUnits("Q", 1, 70, 1);
    first.store.shutdown();
    damageUnit(config.storePathRootDir, 60);
    const fd = openSync(join(config.storePathRootDir, "commitlog", "0".repeat(20)), "r+");
    writeSync(fd, new Uint8Array(4), 0, 4, unit!.physicalOffset + 4);
    closeSync(fd);
    const { store, clock, log } = openStore(config);
    const logged = log.lines.join("\n");
    expect(logged).toContain("rebuilding consume queues stopped at");
    expect(logged).not.toContain("re-dispatch stopped");
    // Q/0 has its units up to the bad record back, and new messages are dispatched as ever.
    expect(readAll(store).slice(0, 71)).toEqual(Array.from({ length: 71 }, (_, i) => `m${i}`));
    await putNow(store, clock, message("Q", 1, "after"));
    const got = store.getMessage("Q", 1, 120, 32, 1 << 20);
    expect(got.messages).toHaveLength(1);
    store.shutdown();
  });

  test("store: damaged consume queue: the rebuild indexes no record twice", async () => {
    const config = await storeWith(120);
    const keyed = openStore(config);
    await putNow(keyed.store, keyed.clock, message("Q", 1, "keyed", { KEYS: "last-key" }));
    keyed.store.shutdown();
    damageUnit(config.storePathRootDir, 60);
    const { store } = openStore(config);
    const found = store.queryMessage("Q", "last-key", 10, 0, Number.MAX_SAFE_INTEGER);
    expect(found.map((r) => r.queueOffset)).toEqual([120]);
    store.shutdown();
  });

  test("store: damaged consume queue: a unit pointing into other records is not read", async () => {
    const config = await storeWith(120);
    // Unit 60 of Q/0 now says: 700 bytes at offset 0, where Q/0's m0 and Q/1's other0 start.
    const fd = openSync(
      join(
        config.storePathRootDir,
        "consumequeue",
        "Q",
        "0",
        String(unitsPerFile * 20).padStart(20, "0"),
      ),
      "r+",
    );
    const unit = new DataView(new ArrayBuffer(12));
    unit.setUint32(4, 0); // physical offset 0 (high word 0 too)
    unit.setInt32(8, 700);
    writeSync(fd, new Uint8Array(unit.buffer), 0, 12, 10 * 20);
    closeSync(fd);
    const { store } = openStore(config);
    const expected = Array.from({ length: 120 }, (_, i) => `m${i}`).filter((b) => b !== "m60");
    expect(readAll(store)).toEqual(expected);
    store.shutdown();
  });

  test("store: damaged consume queue: a unit recovery does not scan is passed over", async () => {
    // Recovery scans the last three files; unit 10 is in the first of five.
    const config = await storeWith(220);
    damageUnit(config.storePathRootDir, 10);
    const { store } = openStore(config);
    const expected = Array.from({ length: 220 }, (_, i) => `m${i}`).filter((b) => b !== "m10");
    expect(readAll(store)).toEqual(expected);
    store.shutdown();
  });
});
