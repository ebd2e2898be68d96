// Sends waiting for replicas (SYNC_MASTER): one list, sorted by offset because sends append in
// offset order, and one timer for the earliest deadline. A new acknowledged offset releases
// every waiter at or below it at once; no timer or promise per send beyond its entry.

import type { Clock, TimerHandle } from "../common/clock.ts";

interface Waiter {
  offset: number;
  deadlineMs: number;
  resolve(acked: boolean): void;
}

export class AckWaiters {
  private waiters: Waiter[] = [];
  private timer: TimerHandle | null = null;

  constructor(private readonly clock: Clock) {}

  /** Resolves true once `release` reaches `offset`, false after `timeoutMs`. */
  wait(offset: number, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const deadlineMs = this.clock.nowMs() + timeoutMs;
      this.waiters.push({ offset, deadlineMs, resolve });
      this.arm();
    });
  }

  /** Everything up to `ackOffset` is acknowledged. */
  release(ackOffset: number): void {
    let released = 0;
    while (released < this.waiters.length && this.waiters[released]!.offset <= ackOffset) {
      this.waiters[released]!.resolve(true);
      released++;
    }
    if (released > 0) this.waiters = this.waiters.slice(released);
  }

  /** Every waiter is told false (the master stops, or steps down). */
  failAll(): void {
    this.timer?.cancel();
    this.timer = null;
    const all = this.waiters;
    this.waiters = [];
    for (const w of all) w.resolve(false);
  }

  /** One timer for the earliest deadline; expired waiters are told false. */
  private arm(): void {
    if (this.timer || this.waiters.length === 0) return;
    // Waiters share one timeout and come in order, so the first has the earliest deadline.
    const earliest = this.waiters[0]!.deadlineMs;
    this.timer = this.clock.after(Math.max(0, earliest - this.clock.nowMs()), () => {
      this.timer = null;
      const now = this.clock.nowMs();
      const expired = this.waiters.filter((w) => w.deadlineMs <= now);
      if (expired.length > 0) {
        this.waiters = this.waiters.filter((w) => w.deadlineMs > now);
        for (const w of expired) w.resolve(false);
      }
      this.arm();
    });
  }
}
