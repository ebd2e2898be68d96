// The order in which a java.util.HashMap<String, String> iterates its keys. RocketMQ 4.9.7's
// broker parses a sent message's properties into a HashMap, removes WAIT, puts CLUSTER and
// writes the map back out, so stored properties come in this order; rmq stores the same bytes.
//
// HashMap (Java 8+): a table of power-of-two capacity (16 at first, doubled whenever the size
// passes 0.75 x capacity); a key's bucket is (h ^ (h >>> 16)) & (capacity - 1) with h its
// String.hashCode; iteration walks the buckets in index order and each bucket in insertion order
// (a resize keeps that relative order). Buckets turn into trees only past 8 keys per bucket with
// a capacity of 64 or more, which message properties never reach.

import { javaStringHashCode } from "./checksum.ts";

const initialCapacity = 16;
const loadFactor = 0.75;

/** The capacity of a default HashMap that has held `largestSize` keys at once. */
export function javaHashMapCapacity(largestSize: number): number {
  let capacity = initialCapacity;
  while (largestSize > capacity * loadFactor) capacity *= 2;
  return capacity;
}

/** `keys` (distinct, in insertion order) in the order a HashMap of `capacity` iterates them. */
export function javaHashMapOrder(keys: readonly string[], capacity: number): string[] {
  const buckets = keys.map((key) => {
    const h = javaStringHashCode(key);
    return (h ^ (h >>> 16)) & (capacity - 1);
  });
  const order = keys.map((_, i) => i);
  // Array.prototype.sort is stable: equal buckets keep insertion order.
  order.sort((a, b) => buckets[a]! - buckets[b]!);
  return order.map((i) => keys[i]!);
}
