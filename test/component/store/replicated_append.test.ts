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
  // Pieces up to 3000 bytes cut most records once; pieces up to 12 bytes cut them everywhere,
  // inside the size field too (dispatch reads what it was handed, and the file for the rest).
  test.each([3000, 12])(
    "store: replicated append: pieces of up to %d bytes rebuild the same store",
    async (pieceBytesMax) => {
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
        const size = Math.min(1 + prng.below(pieceBytesMax), end - at, segmentEnd - at);
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
      const filesOf = (dir: string): string[][] =>
        readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => join(entry.parentPath, entry.name))
          .sort()
          .map((path) => [
            path.slice(dir.length),
            Buffer.from(readFileSync(path)).toString("base64"),
          ]);
      const { commitLog, consumeQueue } = storePaths(slaveConfig.storePathRootDir);
      const masterPaths = storePaths(masterConfig.storePathRootDir);
      expect(filesOf(commitLog)).toEqual(filesOf(masterPaths.commitLog));
      expect(filesOf(consumeQueue)).toEqual(filesOf(masterPaths.consumeQueue));
      // Dispatch never stopped on a piece: it waited for the rest of a record instead.
      expect(slave.log.lines.filter((line) => line.includes("dispatch"))).toEqual([]);
      const report = verifyStore(new RealFileIO(), slaveConfig.storePathRootDir);
      expect(report.problems).toEqual([]);
    },
  );
});
