import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../../core/common/clock.ts";
import { Prng } from "../../../core/common/prng.ts";
import { UniqueIdGenerator } from "../../../core/client/message_id.ts";

/** The 4-byte time field of a UNIQ_KEY: ms since the start of the id's month, local time. */
function timeField(id: string): number {
  return parseInt(id.slice(20, 28), 16);
}

function monthStartMs(atMs: number): number {
  const at = new Date(atMs);
  return new Date(at.getFullYear(), at.getMonth(), 1).getTime();
}

describe("client: UNIQ_KEY ids", () => {
  test("client: ids: 32 upper-case hex digits, fixed prefix, time and counter fields", () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 3, 12, 0, 0));
    const ids = new UniqueIdGenerator(clock, new Prng(1));
    const first = ids.next();
    clock.advance(1234);
    const second = ids.next();
    expect(first).toMatch(/^[0-9A-F]{32}$/);
    expect(second.slice(0, 20)).toBe(first.slice(0, 20));
    expect(timeField(first)).toBe(clock.nowMs() - 1234 - monthStartMs(clock.nowMs()));
    expect(timeField(second) - timeField(first)).toBe(1234);
    expect(parseInt(second.slice(28), 16)).toBe(parseInt(first.slice(28), 16) + 1);
  });

  test("client: ids: the counter wraps at 16 bits and the time field restarts each month", () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 31, 12, 0, 0));
    const ids = new UniqueIdGenerator(clock, new Prng(2));
    const counters = new Set<string>();
    for (let i = 0; i < 65_537; i++) counters.add(ids.next().slice(28));
    expect(counters.size).toBe(65_536);
    const before = ids.next();
    clock.advance(3 * 24 * 3600 * 1000); // into the next month
    const after = ids.next();
    expect(timeField(after)).toBe(clock.nowMs() - monthStartMs(clock.nowMs()));
    expect(timeField(after)).toBeLessThan(timeField(before));
  });
});
