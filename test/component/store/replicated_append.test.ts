// A slave's store fed the master's commit log bytes in arbitrary pieces (as HA frames arrive,
// cut mid-record, never across a segment) ends up byte-identical, with the same queues and a
// clean verify; an append at the wrong offset is refused.

import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Prng } from "../../../core/common/prng.ts";
import { RealFileIO, storePaths, verifyStore } from "../../../core/store/index.ts";
import { message, openStore, putNow, tempStoreConfig } from "../../harness/temp_store.ts";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe("store: replicated append", () => {
  test("store: replicated append: pieces of the master's log rebuild the same store", async () => {
    const masterConfig = tempStoreConfig();
    const slaveConfig = tempStoreConfig();
    roots.push(masterConfig.storePathRootDir, slaveConfig.storePathRootDir);
    const master = openStore(masterConfig);
    for (let i = 0; i < 300; i++) {
      const body = "m".repeat(50 + (i % 400));
      await putNow(
        master.store,
        master.clock,
        message(`T${i % 3}`, i % 4, body, { KEYS: `k${i}` }),
      );
    }
    const end = master.store.commitLog.writePosition;
    const segmentBytes = masterConfig.mappedFileSizeCommitLog;
    expect(end).toBeGreaterThan(segmentBytes); // crosses a segment boundary
    const slave = openStore(slaveConfig);
    expect(slave.store.appendReplicated(100, new Uint8Array(4))).toBe(false);
    const prng = new Prng(7);
    for (let at = 0; at < end;) {
      const segmentEnd = (Math.floor(at / segmentBytes) + 1) * segmentBytes;
      const size = Math.min(1 + prng.below(3000), end - at, segmentEnd - at);
      const bytes = master.store.commitLog.read(at, size)!;
      expect(slave.store.appendReplicated(at, bytes)).toBe(true);
      at += size;
    }
    for (let t = 0; t < 3; t++) {
      for (let q = 0; q < 4; q++) {
        expect(slave.store.maxOffsetInQueue(`T${t}`, q)).toBe(
          master.store.maxOffsetInQueue(`T${t}`, q),
        );
      }
    }
    expect(slave.store.queryMessage("T1", "k100", 4, 0, Number.MAX_SAFE_INTEGER).length).toBe(1);
    master.store.shutdown();
    slave.store.shutdown();
    const logOf = (root: string) => {
      const dir = storePaths(root).commitLog;
      return readdirSync(dir)
        .sort()
        .map((name) => [name, Buffer.from(readFileSync(join(dir, name))).toString("base64")]);
    };
    expect(logOf(slaveConfig.storePathRootDir)).toEqual(logOf(masterConfig.storePathRootDir));
    const report = verifyStore(new RealFileIO(), slaveConfig.storePathRootDir);
    expect(report.problems).toEqual([]);
  });
});
