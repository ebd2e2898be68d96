// Time, behind one interface (STYLE rule 8). Production uses SystemClock; tests use ManualClock
// and advance it, so time-driven logic (broker expiry, scans, timeouts) runs fast and
// deterministically. This file and prng.ts are the only places in core/ that touch real time.

import { assert } from "./assert.ts";

export interface TimerHandle {
  cancel(): void;
  /** Whether the timer keeps the process running until it fires (it does when made). */
  holdProcess(hold: boolean): void;
}

export interface Clock {
  /** Wall-clock milliseconds since the Unix epoch (what RocketMQ stores as timestamps). */
  nowMs(): number;
  /** Runs `fn` once after `delayMs`. */
  after(delayMs: number, fn: () => void): TimerHandle;
  /** Runs `fn` every `intervalMs`, first after one interval. */
  every(intervalMs: number, fn: () => void): TimerHandle;
  /**
   * Runs `fn` after the current turn of the event loop, once pending I/O callbacks ran (so work
   * arriving together is batched). Cheaper than after(0): Bun's 0 ms timers wait about 1 ms.
   */
  soon(fn: () => void): TimerHandle;
}

export class SystemClock implements Clock {
  nowMs(): number {
    return Date.now();
  }

  after(delayMs: number, fn: () => void): TimerHandle {
    assert(delayMs >= 0, "timer delay must not be negative");
    return new TimeoutHandle(setTimeout(fn, delayMs));
  }

  every(intervalMs: number, fn: () => void): TimerHandle {
    assert(intervalMs > 0, "timer interval must be positive");
    return new TimeoutHandle(setInterval(fn, intervalMs));
  }

  soon(fn: () => void): TimerHandle {
    return new ImmediateHandle(setImmediate(fn));
  }
}

// Handles as small classes, not objects with a closure each: a store schedules a drain, and
// a channel a deadline check, many times a second.
class TimeoutHandle implements TimerHandle {
  constructor(private readonly timer: ReturnType<typeof setTimeout>) {}

  cancel(): void {
    clearTimeout(this.timer); // clears intervals too
  }

  holdProcess(hold: boolean): void {
    if (hold) this.timer.ref();
    else this.timer.unref();
  }
}

class ImmediateHandle implements TimerHandle {
  constructor(private readonly immediate: ReturnType<typeof setImmediate>) {}

  cancel(): void {
    clearImmediate(this.immediate);
  }

  holdProcess(hold: boolean): void {
    if (hold) this.immediate.ref();
    else this.immediate.unref();
  }
}

interface ManualTimer {
  dueMs: number;
  intervalMs: number; // 0 for one-shot timers
  fn: () => void;
  cancelled: boolean;
  sequence: number; // ties fire in creation order
}

/** A clock that moves only when a test calls `advance`; due timers fire in time order. */
export class ManualClock implements Clock {
  private currentMs: number;
  private timers: ManualTimer[] = [];
  private nextSequence = 0;

  constructor(startMs = 1_700_000_000_000) {
    this.currentMs = startMs;
  }

  nowMs(): number {
    return this.currentMs;
  }

  after(delayMs: number, fn: () => void): TimerHandle {
    assert(delayMs >= 0, "timer delay must not be negative");
    return this.add(delayMs, 0, fn);
  }

  every(intervalMs: number, fn: () => void): TimerHandle {
    assert(intervalMs > 0, "timer interval must be positive");
    return this.add(intervalMs, intervalMs, fn);
  }

  /** On a manual clock "soon" is a 0 ms timer: it runs when the test advances the clock. */
  soon(fn: () => void): TimerHandle {
    return this.add(0, 0, fn);
  }

  /** Moves time forward by `deltaMs`, firing every timer that falls due on the way. */
  advance(deltaMs: number): void {
    assert(deltaMs >= 0, "time never goes backwards");
    const targetMs = this.currentMs + deltaMs;
    for (;;) {
      const next = this.nextDue(targetMs);
      if (next === undefined) break;
      this.currentMs = next.dueMs;
      if (next.intervalMs > 0) next.dueMs += next.intervalMs;
      else next.cancelled = true;
      next.fn();
    }
    this.currentMs = targetMs;
    this.timers = this.timers.filter((t) => !t.cancelled);
  }

  pendingTimerCount(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  private add(delayMs: number, intervalMs: number, fn: () => void): TimerHandle {
    const timer: ManualTimer = {
      dueMs: this.currentMs + delayMs,
      intervalMs,
      fn,
      cancelled: false,
      sequence: this.nextSequence++,
    };
    this.timers.push(timer);
    // A manual clock holds no process open: holding is a no-op here.
    return { cancel: () => void (timer.cancelled = true), holdProcess: () => {} };
  }

  private nextDue(limitMs: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.timers) {
      if (t.cancelled || t.dueMs > limitMs) continue;
      if (!best || t.dueMs < best.dueMs || (t.dueMs === best.dueMs && t.sequence < best.sequence)) {
        best = t;
      }
    }
    return best;
  }
}
