// DirtyPages: pages flagged once however often their items change, taken oldest first, and
// flaggable again once taken; taking in small steps (dispatch trickles index slot pages to disk)
// never loses or repeats a page, also while the backlog grows past the compaction point.

import { describe, expect, test } from "bun:test";
import { Prng, seedFromEnv } from "../../../core/common/prng.ts";
import { DirtyPages } from "../../../core/store/dirty_pages.ts";

describe("store: dirty pages", () => {
  test("store: dirty pages: flagged once, taken oldest first, flaggable again", () => {
    const dirty = new DirtyPages(100, 10);
    for (const item of [55, 3, 57, 99, 4]) dirty.mark(item);
    expect(dirty.size).toBe(3);
    expect(dirty.take(2)).toEqual([5, 0]);
    expect(dirty.size).toBe(1);
    dirty.mark(51); // page 5 again, after it was taken
    dirty.mark(98); // page 9 is still flagged
    expect(dirty.take(Infinity)).toEqual([9, 5]);
    expect(dirty.size).toBe(0);
    expect(dirty.take(5)).toEqual([]);
  });

  test("store: dirty pages: small takes under steady marking match a model", () => {
    const prng = new Prng(seedFromEnv());
    const pageCount = 5000;
    const dirty = new DirtyPages(pageCount * 4, 4);
    const model = new Set<number>(); // insertion order = first flagged
    for (let step = 0; step < 20_000; step++) {
      for (let n = prng.below(8); n > 0; n--) {
        const item = prng.below(pageCount * 4);
        dirty.mark(item);
        model.add(Math.floor(item / 4));
      }
      const want = [...model].slice(0, 3);
      expect(dirty.take(3)).toEqual(want);
      for (const page of want) model.delete(page);
      expect(dirty.size).toBe(model.size);
    }
    dirty.clear();
    expect(dirty.size).toBe(0);
  });
});
