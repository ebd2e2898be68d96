// Deadlines of a channel's pending requests without a timer per request. Requests that share a
// timeout (all sends of a producer, all pulls of a consumer) expire in the order they were
// sent, so each timeout value keeps a FIFO of (id, deadline) and one timer for its head.
// Answers mostly come in order too: settled ids are dropped from the head as they go, so a
// FIFO holds about what is in flight and its timer fires about once per timeout, not once per
// request (a timer per request cost a native setTimeout and clearTimeout and a closure each).

import { assert } from "../common/assert.ts";
import type { Clock, TimerHandle } from "../common/clock.ts";

class DeadlineFifo {
  ids: number[] = [];
  deadlinesMs: number[] = [];
  head = 0;
  timer: TimerHandle | null = null;

  get size(): number {
    return this.ids.length - this.head;
  }

  push(id: number, deadlineMs: number): void {
    this.ids.push(id);
    this.deadlinesMs.push(deadlineMs);
  }

  shift(): void {
    this.head++;
    if (this.head === this.ids.length) {
      this.ids.length = 0;
      this.deadlinesMs.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.ids.length) {
      this.ids.splice(0, this.head);
      this.deadlinesMs.splice(0, this.head);
      this.head = 0;
    }
  }
}

export class RequestDeadlines {
  private readonly fifos = new Map<number, DeadlineFifo>();

  constructor(
    private readonly clock: Clock,
    /** Still waiting for its answer? (False once answered or failed.) */
    private readonly isPending: (id: number) => boolean,
    /** Called once for each pending request whose deadline passed. */
    private readonly expire: (id: number) => void,
  ) {}

  /** Request `id` fails if unanswered `timeoutMs` from now. */
  add(id: number, timeoutMs: number): void {
    assert(timeoutMs > 0, "a deadline is in the future");
    let fifo = this.fifos.get(timeoutMs);
    if (fifo === undefined) this.fifos.set(timeoutMs, (fifo = new DeadlineFifo()));
    fifo.push(id, this.clock.nowMs() + timeoutMs);
    if (fifo.timer === null) this.arm(fifo, timeoutMs);
  }

  /** A request with this timeout got its answer: answered ones leave the front of the FIFO. */
  settled(timeoutMs: number): void {
    const fifo = this.fifos.get(timeoutMs);
    if (fifo === undefined) return;
    while (fifo.size > 0 && !this.isPending(fifo.ids[fifo.head]!)) fifo.shift();
    if (fifo.size === 0) this.disarm(fifo, timeoutMs);
  }

  /** Forgets every deadline (the channel closed and failed its requests itself). */
  clear(): void {
    for (const fifo of this.fifos.values()) fifo.timer?.cancel();
    this.fifos.clear();
  }

  private arm(fifo: DeadlineFifo, timeoutMs: number): void {
    const delayMs = Math.max(0, fifo.deadlinesMs[fifo.head]! - this.clock.nowMs());
    fifo.timer = this.clock.after(delayMs, () => {
      fifo.timer = null;
      this.fire(fifo, timeoutMs);
    });
  }

  private disarm(fifo: DeadlineFifo, timeoutMs: number): void {
    fifo.timer?.cancel();
    this.fifos.delete(timeoutMs);
  }

  private fire(fifo: DeadlineFifo, timeoutMs: number): void {
    const nowMs = this.clock.nowMs();
    while (fifo.size > 0) {
      const id = fifo.ids[fifo.head]!;
      if (!this.isPending(id)) {
        fifo.shift();
        continue;
      }
      if (fifo.deadlinesMs[fifo.head]! > nowMs) break;
      fifo.shift();
      this.expire(id);
    }
    if (fifo.size === 0) this.disarm(fifo, timeoutMs);
    else if (fifo.timer === null) this.arm(fifo, timeoutMs);
  }
}
