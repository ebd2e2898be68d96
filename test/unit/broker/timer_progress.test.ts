// The timer's delivered set: offsets below doneBelow are done, a bitmap marks the rest, whole
// delivered bytes at the front move doneBelow on, and skipBelow drops what retention removed.

import { describe, expect, test } from "bun:test";
import { DeliveredSet, timerProgressJson } from "../../../core/broker/timer_progress.ts";

describe("broker: timer progress", () => {
  test("broker: timer progress: marks, front advance, skipBelow, file round trip", () => {
    const set = new DeliveredSet();
    for (const o of [3, 1, 0, 2, 9]) set.add(o);
    expect([0, 1, 2, 3, 4, 8, 9, 10].map((o) => set.has(o))).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      true,
      false,
    ]);
    for (let o = 4; o < 8; o++) set.add(o); // a whole first byte: doneBelow moves on
    expect(set.doneBelow).toBe(8);
    set.skipBelow(13); // 8..12 removed by retention; 9 was already marked
    expect(set.doneBelow).toBe(8);
    expect([12, 13, 14].map((o) => set.has(o))).toEqual([true, false, false]);
    for (const o of [13, 14, 15]) set.add(o);
    expect(set.doneBelow).toBe(16);
    set.add(40);
    const again = timerProgressJson.decode(timerProgressJson.encode(set));
    expect(again.doneBelow).toBe(16);
    expect([39, 40, 41].map((o) => again.has(o))).toEqual([false, true, false]);
    set.skipBelow(100);
    expect(set.doneBelow).toBe(96);
    expect([99, 100].map((o) => set.has(o))).toEqual([true, false]);
    expect(() => timerProgressJson.decode("{")).toThrow(/not JSON/);
  });
});
