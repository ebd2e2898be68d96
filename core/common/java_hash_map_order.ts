// The order in which a java.util.HashMap<String, String> iterates its keys. RocketMQ 4.9.7's
// broker parses a sent message's properties into a HashMap, removes WAIT, puts CLUSTER and
// writes the map back out, so stored properties come in this order; rmq stores the same bytes.
//
// HashMap (Java 8+): a table of power-of-two capacity (16 at first, doubled whenever the size
// passes 0.75 x capacity); a key's bucket is (h ^ (h >>> 16)) & (capacity - 1) with h its
// String.hashCode; iteration walks the buckets in index order and each bucket in insertion order
// (a resize keeps that relative order). Buckets turn into trees only past 8 keys per bucket with
// a capacity of 64 or more, which message properties never reach.

import { BoundedMemo } from "./bounded_memo.ts";
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
  const ordered = keys.slice();
  // Insertion sort by bucket: stable (equal buckets keep insertion order) and, for the handful
  // of keys a message has, cheaper than Array.prototype.sort with its comparator calls.
  const mask = capacity - 1;
  for (let i = 1; i < ordered.length; i++) {
    const key = ordered[i]!;
    const bucket = spreadHashes.get(key) & mask;
    let j = i - 1;
    while (j >= 0 && (spreadHashes.get(ordered[j]!) & mask) > bucket) {
      ordered[j + 1] = ordered[j]!;
      j--;
    }
    ordered[j + 1] = key;
  }
  return ordered;
}

// Property names repeat from message to message (TAGS, KEYS, UNIQ_KEY, ...): their spread
// hashes (HashMap's hash(key): String.hashCode with its high half folded into the low half)
// are kept rather than recomputed per message.
const spreadHashes = new BoundedMemo(4096, (key: string) => {
  const h = javaStringHashCode(key);
  return h ^ (h >>> 16);
});
