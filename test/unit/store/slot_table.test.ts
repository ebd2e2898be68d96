// The index slot table kept in the file's byte order: values read back as set, the bytes it
// hands out for writing are the big-endian int32s the file holds, and a table built from file
// bytes (a page at a time, when first used) reads them as DataView does.

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
    const reading = (from: Uint8Array) => (first: number, count: number) =>
      from.subarray(first * 4, (first + count) * 4);
    const loaded = SlotTable.lazy(length, reading(bytes));
    for (let i = 0; i < length; i++) expect(loaded.get(i)).toBe(want[i]!);
    // Short input (a file cut short) leaves the rest zero.
    const short = SlotTable.lazy(length, reading(bytes.subarray(0, 10)));
    expect([short.get(0), short.get(1), short.get(2), short.get(3)]).toEqual([
      want[0]!,
      want[1]!,
      0,
      0,
    ]);
  });

  test("store: slot table: a lazy table reads each page once, when first used", () => {
    const length = 2500; // 3 pages, the last one short
    const bytes = new Uint8Array(length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < length; i++) view.setInt32(i * 4, i * 7 - 1000);
    const reads: number[] = [];
    const table = SlotTable.lazy(length, (first, count) => {
      reads.push(first);
      return bytes.slice(first * 4, (first + count) * 4);
    });
    expect(reads).toEqual([]);
    table.set(1030, 5); // page 1: read first, so its other slots keep their file values
    expect([table.get(1029), table.get(1030), table.get(1031)]).toEqual([
      1029 * 7 - 1000,
      5,
      1031 * 7 - 1000,
    ]);
    expect(table.get(2499)).toBe(2499 * 7 - 1000);
    expect(reads).toEqual([1024, 2048]);
    // Bytes for writing cover every page they span (page 0 read now), in file byte order.
    const out = table.bytesOf(1000, 40);
    expect(reads).toEqual([1024, 2048, 0]);
    expect(new DataView(out.buffer, out.byteOffset).getInt32(0)).toBe(1000 * 7 - 1000);
    expect(new DataView(out.buffer, out.byteOffset).getInt32(30 * 4)).toBe(5);
    for (let i = 0; i < length; i++) if (i !== 1030) expect(table.get(i)).toBe(i * 7 - 1000);
    expect(reads.length).toBe(3);
    // A file cut short leaves the unread rest zero.
    const short = SlotTable.lazy(length, (first) => bytes.subarray(first * 4, first * 4 + 6));
    expect([short.get(0), short.get(1), short.get(2)]).toEqual([-1000, 0, 0]);
  });
});
