// 64-bit fields as numbers: readInt64 (from bytes) agrees with getInt64 (from a view) on every
// value, beyond ±2^53 included (both undefined), and setInt64 writes what they read (seeded).

import { describe, expect, test } from "bun:test";
import { getInt64, readInt64, setInt64 } from "../../../core/common/int64.ts";
import { Prng } from "../../../core/common/prng.ts";

describe("common: int64", () => {
  test("common: int64: bytes and view readers agree; writes read back (seeded)", () => {
    const prng = new Prng(23);
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < 20_000; i++) {
      const at = prng.below(9);
      for (let j = 0; j < 16; j++) bytes[j] = prng.below(256);
      expect(readInt64(bytes, at)).toBe(getInt64(view, at));
      const value = prng.chance(0.5)
        ? prng.below(2 ** 31) * 2 ** 21 + prng.below(2 ** 21)
        : -prng.below(2 ** 31);
      setInt64(view, at, value);
      expect(readInt64(bytes, at)).toBe(value);
    }
    view.setInt32(0, 0x00200000); // 2^53: beyond what a number holds exactly
    expect(readInt64(bytes, 0)).toBeUndefined();
  });
});
