// A scratch buffer lends views of one buffer, grown when a take needs more room.

import { describe, expect, test } from "bun:test";
import { ScratchBytes } from "../../../core/common/scratch_bytes.ts";

describe("common: scratch bytes", () => {
  test("common: scratch bytes: takes share one buffer until one needs more room", () => {
    const scratch = new ScratchBytes(16);
    const first = scratch.take(10);
    first.fill(7);
    const second = scratch.take(16);
    expect(second.length).toBe(16);
    expect(second.buffer).toBe(first.buffer);
    expect([...second.subarray(0, 10)]).toEqual(Array(10).fill(7)); // the same bytes, lent again
    const grown = scratch.take(40);
    expect(grown.length).toBe(40);
    expect(grown.buffer).not.toBe(first.buffer);
    expect(grown.buffer.byteLength).toBe(64); // doubled until it fits
    expect(scratch.take(0).length).toBe(0);
    const capped = new ScratchBytes(16, 100);
    expect(capped.take(90).buffer.byteLength).toBe(100); // doubled, but never past the cap
    const big = capped.take(500);
    expect(big.length).toBe(500);
    expect(capped.take(10).buffer).not.toBe(big.buffer); // the big one was not kept
    expect(() => scratch.take(-1)).toThrow();
  });
});
