// The index slot table kept in the file's byte order: values read back as set, the bytes it
// hands out for writing are the big-endian int32s the file holds, and a table built from file
// bytes reads them as DataView does.

import { describe, expect, test } from "bun:test";
import { Prng } from "../../../core/common/prng.ts";
import { SlotTable } from "../../../core/store/slot_table.ts";

describe("store: slot table", () => {
  test("store: slot table: values, bytes and loading agree with big-endian int32s", () => {
    const prng = new Prng(5);
    const length = 3000;
    const table = new SlotTable(length);
    const want = new Int32Array(length);
    for (let i = 0; i < 20_000; i++) {
      const slot = prng.below(length);
      const value = (prng.nextUint32() | 0) >> prng.below(32); // all magnitudes, both signs
      table.set(slot, value);
      want[slot] = value;
    }
    want[7] = -1;
    table.set(7, -1);
    want[8] = 2 ** 31 - 1;
    table.set(8, 2 ** 31 - 1);
    const bytes = new Uint8Array(length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < length; i++) {
      expect(table.get(i)).toBe(want[i]!);
      view.setInt32(i * 4, want[i]!);
    }
    expect(table.bytesOf(0, length)).toEqual(bytes);
    expect(table.bytesOf(100, 5)).toEqual(bytes.subarray(400, 420));
    const loaded = SlotTable.fromBytes(bytes, length);
    for (let i = 0; i < length; i++) expect(loaded.get(i)).toBe(want[i]!);
    // Short input (a file cut short) leaves the rest zero.
    const short = SlotTable.fromBytes(bytes.subarray(0, 10), length);
    expect([short.get(0), short.get(1), short.get(2), short.get(3)]).toEqual([
      want[0]!,
      want[1]!,
      0,
      0,
    ]);
  });
});
