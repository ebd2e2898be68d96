// The bounded memo: each key's value is computed once while kept, and the table never holds
// more than its bound.

import { describe, expect, test } from "bun:test";
import { BoundedMemo } from "../../../core/common/bounded_memo.ts";

describe("common: bounded memo", () => {
  test("common: bounded memo: computes a key once while kept, and stays within its bound", () => {
    const computed: string[] = [];
    const memo = new BoundedMemo(3, (key: string) => {
      computed.push(key);
      return key.length;
    });
    expect([memo.get("a"), memo.get("bb"), memo.get("a"), memo.get("ccc")]).toEqual([1, 2, 1, 3]);
    expect(computed).toEqual(["a", "bb", "ccc"]);
    // A fourth key empties the full table: the next repeat is computed again, with the same value.
    expect(memo.get("dddd")).toBe(4);
    expect(memo.get("a")).toBe(1);
    expect(computed).toEqual(["a", "bb", "ccc", "dddd", "a"]);
  });
});
