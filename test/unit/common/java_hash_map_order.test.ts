// java.util.HashMap iteration order, which RocketMQ 4.9.7's stored properties follow.

import { describe, expect, test } from "bun:test";
import { javaStringHashCode } from "../../../core/common/checksum.ts";
import { javaHashMapCapacity, javaHashMapOrder } from "../../../core/common/java_hash_map_order.ts";
import { Prng } from "../../../core/common/prng.ts";

/** A HashMap simulated bucket by bucket: the model the fast ordering must agree with. */
function modelOrder(keys: readonly string[], capacity: number): string[] {
  const buckets: string[][] = Array.from({ length: capacity }, () => []);
  for (const key of keys) {
    const h = javaStringHashCode(key);
    buckets[(h ^ (h >>> 16)) & (capacity - 1)]!.push(key);
  }
  return buckets.flat();
}

describe("common: java hash map order", () => {
  test("common: java hash map order: buckets by spread hash, ties in insertion order", () => {
    // "a".hashCode() = 97 -> bucket 1, "b" -> 2, "c" -> 3 in a table of 16.
    expect(javaHashMapOrder(["c", "b", "a"], 16)).toEqual(["a", "b", "c"]);
    // "q" = 113 = 7 * 16 + 1 shares bucket 1 with "a" at capacity 16, not at 32.
    expect(javaHashMapOrder(["q", "b", "a"], 16)).toEqual(["q", "a", "b"]);
    expect(javaHashMapOrder(["q", "b", "a"], 32)).toEqual(["a", "b", "q"]);
  });

  test("common: java hash map order: random key sets agree with a simulated HashMap", () => {
    const prng = new Prng(11);
    const names = ["TAGS", "KEYS", "UNIQ_KEY", "WAIT", "CLUSTER", "DELAY", "a", "q", "Ab", "BC"];
    for (let round = 0; round < 500; round++) {
      const keys = new Set<string>();
      for (let i = prng.below(12); i > 0; i--) {
        keys.add(prng.chance(0.5) ? names[prng.below(names.length)]! : `k${prng.below(200)}`);
      }
      const capacity = 2 ** prng.between(1, 6);
      expect(javaHashMapOrder([...keys], capacity)).toEqual(modelOrder([...keys], capacity));
    }
  });

  test("common: java hash map order: capacity doubles past 0.75 of it", () => {
    expect([0, 12, 13, 24, 25].map(javaHashMapCapacity)).toEqual([16, 16, 32, 32, 64]);
  });
});
