// A new index file's slot table is all zeros (the file was just truncated to size), so the
// index starts it empty in memory instead of reading it back: that read of a default 20 MB
// table stalled the first put after start and every put at a roll for 130 ms.

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ManualClock } from "../../../core/common/clock.ts";
import { listIndexFiles, queryIndex } from "../../../core/store/index_read.ts";
import { MemoryFileIO } from "../../harness/memory_file_io.ts";
import { message, openStore, putNow, tempStoreConfig } from "../../harness/temp_store.ts";

const root = "/mem/store";

/** Records the length of every read of an index file. */
class IndexReadsFileIO extends MemoryFileIO {
  readonly indexReadLengths: number[] = [];

  override readAt(path: string, position: number, length: number): Uint8Array {
    if (path.includes("/index/")) this.indexReadLengths.push(length);
    return super.readAt(path, position, length);
  }
}

describe("store: index roll", () => {
  test("store: index roll: a new file's slots are known zero, not read back", async () => {
    const io = new IndexReadsFileIO();
    io.mkdirs(root);
    const clock = new ManualClock();
    const small = { hashSlotNum: 64, indexNum: 8 };
    const config = tempStoreConfig({
      storePathRootDir: root,
      maxHashSlotNum: small.hashSlotNum,
      maxIndexNum: small.indexNum,
      mappedFileSizeCommitLog: 4 * 1024 * 1024,
    });
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
});
