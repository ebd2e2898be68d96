// 64-bit big-endian integers as JS numbers without BigInt (which allocates): the store's
// offsets and timestamps stay far below 2^53, and readers check it (STYLE rule 4).

import { readInt32 } from "./int32.ts";

const twoTo32 = 2 ** 32;

/** Writes a safe integer as a big-endian signed 64-bit value. */
export function setInt64(view: DataView, at: number, value: number): void {
  const high = Math.floor(value / twoTo32);
  view.setInt32(at, high);
  view.setUint32(at + 4, value - high * twoTo32);
}

/** Reads a big-endian signed 64-bit value; undefined when it is beyond ±2^53. */
export function getInt64(view: DataView, at: number): number | undefined {
  const high = view.getInt32(at);
  const low = view.getUint32(at + 4);
  if (high > 0x1fffff || high < -0x200000) return undefined;
  return high * twoTo32 + low;
}

/** getInt64 straight from bytes, for a reader of a few fields that has no view at hand. */
export function readInt64(bytes: Uint8Array, at: number): number | undefined {
  const high = readInt32(bytes, at);
  const low = readInt32(bytes, at + 4) >>> 0;
  if (high > 0x1fffff || high < -0x200000) return undefined;
  return high * twoTo32 + low;
}
