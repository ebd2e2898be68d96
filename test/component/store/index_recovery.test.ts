// Index recovery after a crash that fell between an index flush's two fdatasyncs: entries and
// slots of keys the header does not count reached disk, the header did not. Slots then name
// uncounted entries; recovery walks them back (or rebuilds a file whose chain is torn) so every
// key the checkpoint vouches for is still found.

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ManualClock } from "../../../core/common/clock.ts";
import { MemoryFileIO } from "../../harness/memory_file_io.ts";
import { message, openStore, putNow, tempStoreConfig } from "../../harness/temp_store.ts";

const root = "/mem/store";

async function crashBetweenSlotsAndHeader(tearChains: boolean) {
  const io = new MemoryFileIO();
  io.mkdirs(root);
  const clock = new ManualClock();
  // Four slots: every key of the second batch lands on a chain of the first.
  const config = tempStoreConfig({ storePathRootDir: root, maxHashSlotNum: 4, maxIndexNum: 256 });
  const first = openStore(config, { io, clock });
  for (let i = 0; i < 12; i++)
    await putNow(first.store, clock, message("I", 0, `a${i}`, { KEYS: `durable-${i}` }));
  first.store.flush();
  for (let i = 0; i < 12; i++)
    await putNow(first.store, clock, message("I", 0, `b${i}`, { KEYS: `late-${i}` }));
  // A query writes the gathered entries and slots; an fdatasync of the index file then makes
  // them durable while its header still counts only the first batch.
  first.store.queryMessage("I", "late-0", 1, 0, Number.MAX_SAFE_INTEGER);
  const indexDir = join(root, "index");
  const [name] = io.list(indexDir);
  const indexPath = join(indexDir, name!);
  const file = io.file(indexPath);
  if (tearChains) {
    // The uncounted entries are lost but the slots naming them are not (no write order on disk).
    const header = new DataView(file.current.buffer, file.current.byteOffset);
    const indexCount = header.getInt32(36);
    const entriesAt = 40 + 4 * 4;
    file.current.fill(0, entriesAt + indexCount * 20);
  }
  io.open(indexPath, { create: false }).sync();
  io.crash();
  const second = openStore(config, { io, clock });
  const found: number[] = [];
  for (let i = 0; i < 12; i++) {
    found.push(
      second.store.queryMessage("I", `durable-${i}`, 4, 0, Number.MAX_SAFE_INTEGER).length,
    );
  }
  second.store.shutdown();
  return found;
}

describe("store: index recovery", () => {
  test("store: index recovery: slots naming uncounted entries are walked back", async () => {
    expect(await crashBetweenSlotsAndHeader(false)).toEqual(Array(12).fill(1));
  });

  test("store: index recovery: a torn chain rebuilds the file from the commit log", async () => {
    expect(await crashBetweenSlotsAndHeader(true)).toEqual(Array(12).fill(1));
  });
});
