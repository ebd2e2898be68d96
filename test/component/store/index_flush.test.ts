// The index's off-loop flush writes changed slot pages a chunk per event-loop turn while puts
// go on. Whatever the interleaving, the file on disk after it (a crash throws away everything
// not synced) finds every key its header counts: early ones, and those put between chunks.

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ManualClock } from "../../../core/common/clock.ts";
import { Prng, seedFromEnv } from "../../../core/common/prng.ts";
import { listIndexFiles, queryIndex } from "../../../core/store/index_read.ts";
import { MemoryFileIO } from "../../harness/memory_file_io.ts";
import { message, openStore, putNow, tempStoreConfig } from "../../harness/temp_store.ts";

const root = "/mem/store";
const geometry = { hashSlotNum: 500_000, indexNum: 20_000 }; // 489 slot pages

describe("store: index flush", () => {
  test("store: index flush: keys put between slot chunks are all on disk after it", async () => {
    const io = new MemoryFileIO();
    io.mkdirs(root);
    const clock = new ManualClock();
    const config = tempStoreConfig({
      storePathRootDir: root,
      maxHashSlotNum: geometry.hashSlotNum,
      maxIndexNum: geometry.indexNum,
      mappedFileSizeCommitLog: 4 * 1024 * 1024,
      flushIntervalConsumeQueue: 1_000_000_000, // no timer flush: this test runs the one
    });
    const { store } = openStore(config, { io, clock });
    const keys: string[] = [];
    // Java's String.hashCode puts keys that differ in their last characters in neighbouring
    // slots; random keys spread over the slot pages as many keys do.
    const prng = new Prng(seedFromEnv());
    const putKeys = async (prefix: string, count: number) => {
      const batch = Array.from({ length: count }, () => {
        const key = `${prefix}${prng.below(2 ** 30).toString(36)}`;
        keys.push(key);
        return message("T", 0, "x", { KEYS: key });
      });
      await putNow(store, clock, batch);
    };
    for (let round = 0; round < 20; round++) await putKeys(`early${round}-`, 100);
    const flushing = store.index!.flushAsync();
    expect(store.index!.dirtySlotPageCount()).toBeGreaterThan(300); // several chunks
    for (let turn = 0; turn < 4; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      await putKeys(`late${turn}-`, 50);
    }
    await flushing;
    io.crash();
    const { files, problems } = listIndexFiles(io, join(root, "index"), geometry);
    expect(problems).toEqual([]);
    // Entries count from 1 in put order; some late keys made it in before the header.
    const counted = files[0]!.header.indexCount - 1;
    expect(counted).toBeGreaterThan(2000);
    const missing = keys
      .slice(0, counted)
      .filter(
        (key) => queryIndex(io, files, `T#${key}`, 0, Number.MAX_SAFE_INTEGER, 1).length !== 1,
      );
    expect(missing).toEqual([]);
  });
});
