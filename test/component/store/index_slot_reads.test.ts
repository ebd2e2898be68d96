// The index never reads a whole slot table at once: reading a default 20 MB table stalled the
// first put after a start, and every put at a roll, for 130 ms. A new file's table is all zeros
// (the file was just truncated to size) and starts empty in memory; an existing file's (after
// a restart) is read a 4 KiB page at a time as keys first land in it.

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ManualClock } from "../../../core/common/clock.ts";
import { listIndexFiles, queryIndex } from "../../../core/store/index_read.ts";
import type { MessageStore } from "../../../core/store/index.ts";
import { MemoryFileIO } from "../../harness/memory_file_io.ts";
import { message, openStore, putNow, tempStoreConfig } from "../../harness/temp_store.ts";

const root = "/mem/store";

function configFor(geometry: { hashSlotNum: number; indexNum: number }) {
  return tempStoreConfig({
    storePathRootDir: root,
    maxHashSlotNum: geometry.hashSlotNum,
    maxIndexNum: geometry.indexNum,
    mappedFileSizeCommitLog: 4 * 1024 * 1024,
  });
}

/** Records the length of every read of an index file. */
class IndexReadsFileIO extends MemoryFileIO {
  readonly indexReadLengths: number[] = [];

  override readAt(path: string, position: number, length: number): Uint8Array {
    if (path.includes("/index/")) this.indexReadLengths.push(length);
    return super.readAt(path, position, length);
  }
}

describe("store: index slot reads", () => {
  test("store: index slot reads: a new file's slots are known zero, not read back", async () => {
    const io = new IndexReadsFileIO();
    io.mkdirs(root);
    const clock = new ManualClock();
    const small = { hashSlotNum: 64, indexNum: 8 };
    const config = configFor(small);
    const { store } = openStore(config, { io, clock });
    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
    for (const key of keys) await putNow(store, clock, [message("T", 0, "x", { KEYS: key })]);
    store.shutdown();
    // The slot table of a file is hashSlotNum * 4 bytes; none of it was read to write keys.
    expect(io.indexReadLengths.filter((n) => n >= small.hashSlotNum * 4)).toEqual([]);
    const { files, problems } = listIndexFiles(io, join(root, "index"), small);
    expect(problems).toEqual([]);
    expect(files.length).toBeGreaterThan(3); // 7 keys a file: several rolls
    const found = keys.filter(
      (key) => queryIndex(io, files, `T#${key}`, 0, Number.MAX_SAFE_INTEGER, 1).length === 1,
    );
    expect(found).toEqual(keys);
  });

  test("store: index slot reads: after a restart, a page at a time", async () => {
    const io = new IndexReadsFileIO();
    io.mkdirs(root);
    const clock = new ManualClock();
    const geometry = { hashSlotNum: 8 * 1024, indexNum: 1000 }; // 8 pages of 1024 slots
    const config = configFor(geometry);
    const put = (store: MessageStore, key: string) =>
      putNow(store, clock, [message("T", 0, "x", { KEYS: key })]);
    let { store } = openStore(config, { io, clock });
    for (let i = 0; i < 50; i++) await put(store, `before${i}`);
    store.shutdown();
    ({ store } = openStore(config, { io, clock }));
    io.indexReadLengths.length = 0;
    for (let i = 0; i < 5; i++) await put(store, `after${i}`);
    // Each read is one page of slots (or a smaller header or entry read), never the table.
    expect(io.indexReadLengths.length).toBeGreaterThan(0);
    expect(io.indexReadLengths.filter((n) => n > 4096)).toEqual([]);
    // Keys from before the restart share the slots the new keys were put in.
    for (const key of ["before0", "before49", "after0", "after4"]) {
      expect(store.queryMessage("T", key, 4, 0, Number.MAX_SAFE_INTEGER).length).toBe(1);
    }
    store.shutdown();
  });
});
