// java.util.HashMap iteration order, which RocketMQ 4.9.7's stored properties follow.

import { describe, expect, test } from "bun:test";
import { javaHashMapCapacity, javaHashMapOrder } from "../../../core/common/java_hash_map_order.ts";

describe("common: java hash map order", () => {
  test("common: java hash map order: buckets by spread hash, ties in insertion order", () => {
    // "a".hashCode() = 97 -> bucket 1, "b" -> 2, "c" -> 3 in a table of 16.
    expect(javaHashMapOrder(["c", "b", "a"], 16)).toEqual(["a", "b", "c"]);
    // "q" = 113 = 7 * 16 + 1 shares bucket 1 with "a" at capacity 16, not at 32.
    expect(javaHashMapOrder(["q", "b", "a"], 16)).toEqual(["q", "a", "b"]);
    expect(javaHashMapOrder(["q", "b", "a"], 32)).toEqual(["a", "b", "q"]);
  });

  test("common: java hash map order: capacity doubles past 0.75 of it", () => {
    expect([0, 12, 13, 24, 25].map(javaHashMapCapacity)).toEqual([16, 16, 32, 32, 64]);
  });
});
