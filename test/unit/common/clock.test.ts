// The manual clock that drives every time-based test.

import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../../core/common/clock.ts";

describe("common: clock", () => {
  test("common: clock: timers fire in due order at their due time", () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.after(30, () => fired.push(`b@${clock.nowMs()}`));
    clock.after(10, () => fired.push(`a@${clock.nowMs()}`));
    const every = clock.every(25, () => fired.push(`e@${clock.nowMs()}`));
    clock.advance(60);
    expect(fired).toEqual(["a@10", "e@25", "b@30", "e@50"]);
    every.cancel();
    clock.advance(100);
    expect(fired).toHaveLength(4);
    expect(clock.nowMs()).toBe(160);
    expect(clock.pendingTimerCount()).toBe(0);
  });

  test("common: clock: a cancelled timer never fires; a timer set by a timer can fire", () => {
    const clock = new ManualClock(0);
    let count = 0;
    clock.after(5, () => void clock.after(5, () => count++)).cancel();
    clock.after(5, () => void clock.after(5, () => (count += 10)));
    clock.advance(10);
    expect(count).toBe(10);
  });
});
