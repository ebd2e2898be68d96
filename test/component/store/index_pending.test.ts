// Dispatch gathers index entries in memory and writes them 512 at a time (or at a query, a roll
// or the flush), not once per dispatch run: a single send would otherwise pay a write syscall
// for its one entry. A query still finds keys whose entries are not written yet.

import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../../core/common/clock.ts";
import { MemoryFileIO } from "../../harness/memory_file_io.ts";
import { message, openStore, putNow, tempStoreConfig } from "../../harness/temp_store.ts";

const root = "/mem/store";

/** Counts writes into index files. */
class IndexWritesFileIO extends MemoryFileIO {
  indexWriteCount = 0;

  override writeAt(path: string, bytes: Uint8Array, position: number): void {
    if (path.includes("/index/")) this.indexWriteCount++;
    super.writeAt(path, bytes, position);
  }
}

describe("store: index pending", () => {
  test("store: index pending: entries of many runs share a write; queries see them", async () => {
    const io = new IndexWritesFileIO();
    io.mkdirs(root);
    const clock = new ManualClock();
    const config = tempStoreConfig({
      storePathRootDir: root,
      maxHashSlotNum: 1024,
      maxIndexNum: 10_000,
      mappedFileSizeCommitLog: 1024 * 1024,
      flushIntervalConsumeQueue: 1_000_000_000, // no timer flush: only the gathering writes
    });
    const { store } = openStore(config, { io, clock });
    const put = (i: number) => putNow(store, clock, message("T", 0, "x", { KEYS: `k${i}` }));
    for (let i = 0; i < 100; i++) await put(i); // 100 dispatch runs of one entry each
    expect(io.indexWriteCount).toBe(0);
    const found = store.queryMessage("T", "k42", 4, 0, Number.MAX_SAFE_INTEGER);
    expect(found.length).toBe(1);
    expect(io.indexWriteCount).toBeGreaterThan(0); // the query wrote what was gathered
    const afterQuery = io.indexWriteCount;
    for (let i = 100; i < 100 + 600; i++) await put(i);
    expect(io.indexWriteCount).toBe(afterQuery + 1); // once 512 waited
    store.shutdown();
  });
});
