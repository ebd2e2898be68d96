// Pending requests' deadlines, one timer per timeout value: each request expires exactly at its
// deadline unless answered first, whatever order answers come in and however timeouts mix.

import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../../core/common/clock.ts";
import { Prng } from "../../../core/common/prng.ts";
import { RequestDeadlines } from "../../../core/remoting/request_deadlines.ts";

describe("remoting: request deadlines", () => {
  test("remoting: request deadlines: expiries match a timer per request (seeded)", () => {
    const prng = new Prng(3);
    const clock = new ManualClock(1_000);
    const pending = new Map<number, { deadlineMs: number; timeoutMs: number }>();
    const expired: [number, number][] = [];
    const deadlineOf = new Map<number, number>();
    const deadlines = new RequestDeadlines(
      clock,
      (id) => pending.has(id),
      (id) => {
        expired.push([id, clock.nowMs()]);
        pending.delete(id);
      },
    );
    let nextId = 1;
    for (let step = 0; step < 3000; step++) {
      const roll = prng.below(10);
      if (roll < 5) {
        const timeoutMs = [50, 50, 50, 200, 3000][prng.below(5)]!;
        const id = nextId++;
        pending.set(id, { deadlineMs: clock.nowMs() + timeoutMs, timeoutMs });
        deadlineOf.set(id, clock.nowMs() + timeoutMs);
        deadlines.add(id, timeoutMs);
      } else if (roll < 8 && pending.size > 0) {
        // An answer, usually the oldest, sometimes any.
        const ids = [...pending.keys()];
        const id = prng.below(4) === 0 ? ids[prng.below(ids.length)]! : ids[0]!;
        pending.delete(id);
        deadlines.settled();
      } else {
        const before = new Map(pending);
        clock.advance(prng.below(40));
        // Exactly those past their deadline are gone, each at its deadline's turn.
        for (const [id, p] of before) {
          expect(pending.has(id)).toBe(p.deadlineMs > clock.nowMs());
        }
      }
    }
    for (const [id, atMs] of expired) expect(atMs).toBeGreaterThanOrEqual(deadlineOf.get(id)!);
    clock.advance(10_000);
    expect(pending.size).toBe(0);
    expect(expired.length).toBeGreaterThan(100);
  });

  test("remoting: request deadlines: cleared deadlines never fire", () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    const deadlines = new RequestDeadlines(
      clock,
      () => true,
      (id) => fired.push(id),
    );
    deadlines.add(1, 100);
    deadlines.add(2, 500);
    clock.advance(100);
    expect(fired).toEqual([1]);
    deadlines.clear();
    clock.advance(1_000);
    expect(fired).toEqual([1]);
  });
});
