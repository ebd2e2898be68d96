// A running store cut back to a record boundary (what a replica does before following a new
// master): the log, the queue units and the index keys past the cut are gone, new puts take
// the queue offsets the cut freed, verify is clean, and a restart sees the same store.

import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { RealFileIO, verifyStore } from "../../../core/store/index.ts";
import { message, openStore, putNow, tempStoreConfig } from "../../harness/temp_store.ts";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe("store: truncate", () => {
  test("store: truncate: records, units and keys past a cut go; puts resume there", async () => {
    const config = tempStoreConfig();
    roots.push(config.storePathRootDir);
    const { store, clock } = openStore(config);
    const put = (i: number) =>
      putNow(
        store,
        clock,
        message(`T${i % 2}`, i % 3, "x".repeat(100 + (i % 700)), { KEYS: `k${i}` }),
      );
    const maxOffsets = () =>
      [0, 1].flatMap((t) => [0, 1, 2].map((q) => store.maxOffsetInQueue(`T${t}`, q)));
    for (let i = 0; i < 200; i++) await put(i);
    const cut = store.commitLog.writePosition;
    const atCut = maxOffsets();
    for (let i = 200; i < 500; i++) await put(i);
    expect(store.commitLog.writePosition).toBeGreaterThan(cut + config.mappedFileSizeCommitLog);

    store.truncateTo(cut);
    expect(store.commitLog.writePosition).toBe(cut);
    expect(maxOffsets()).toEqual(atCut);
    expect(store.queryMessage("T0", "k300", 4, 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(store.queryMessage("T0", "k100", 4, 0, Number.MAX_SAFE_INTEGER).length).toBe(1);
    expect(store.commitLog.read(cut, 8)?.every((b) => b === 0) ?? true).toBe(true);

    const again = await put(1000);
    expect(again.appended[0]!.physicalOffset).toBe(cut);
    expect(again.appended[0]!.queueOffset).toBe(atCut[1]!); // T0 queue 1 continues from the cut
    store.shutdown();
    expect(verifyStore(new RealFileIO(), config.storePathRootDir).problems).toEqual([]);
    const reopened = openStore(config);
    expect(reopened.store.commitLog.writePosition).toBe(
      again.appended[0]!.physicalOffset + again.appended[0]!.size,
    );
    expect(reopened.store.queryMessage("T0", "k1000", 4, 0, Number.MAX_SAFE_INTEGER).length).toBe(
      1,
    );
    reopened.store.shutdown();
  });
});
