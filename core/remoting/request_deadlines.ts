// Deadlines of a channel's pending requests without a timer per request: a heap of (deadline,
// id) and one timer for the earliest. Answers mostly come in the order requests went out, so
// answered ids are dropped from the top as they go: the heap holds about what is in flight and
// the timer fires about once per timeout, not once per request (a timer per request cost a
// native setTimeout and clearTimeout and a closure each).
//
// When the last pending request is answered the timer stays armed, but stops holding the
// process open (an idle client must not keep a script from exiting). The next request's
// deadline is almost always later, so it needs no timer of its own: the armed one fires early,
// finds nothing due and arms once for the earliest deadline. One request at a time (a script's
// sends, a consumer's long poll) otherwise emptied the heap on every answer and paid a timer
// per request: a native timer and three objects.

import { assert } from "../common/assert.ts";
import type { Clock, TimerHandle } from "../common/clock.ts";
import { MinHeap } from "../common/min_heap.ts";

export class RequestDeadlines {
  private heap = new MinHeap<number>();
  private timer: TimerHandle | null = null;
  /** When the armed timer fires (Infinity when none is armed). */
  private timerAtMs = Infinity;
  /** Whether the armed timer holds the process open: while anything is pending. */
  private holding = false;
  private readonly onTimer = () => {
    this.timer = null;
    this.timerAtMs = Infinity;
    this.holding = false;
    this.fire();
  };

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
    const deadlineMs = this.clock.nowMs() + timeoutMs;
    this.heap.push(deadlineMs, id);
    if (deadlineMs < this.timerAtMs) this.arm(deadlineMs);
    else this.hold(true);
  }

  /** A request got its answer: answered ones leave the top of the heap. */
  settled(): void {
    this.dropAnswered();
    if (this.heap.size === 0) this.hold(false);
  }

  /** Forgets every deadline (the channel closed and failed its requests itself). */
  clear(): void {
    this.disarm();
    this.heap = new MinHeap<number>();
  }

  private dropAnswered(): void {
    while (this.heap.size > 0 && !this.isPending(this.heap.peek()!)) this.heap.pop();
  }

  private arm(atMs: number): void {
    this.timer?.cancel();
    this.timerAtMs = atMs;
    this.timer = this.clock.after(Math.max(0, atMs - this.clock.nowMs()), this.onTimer);
    this.holding = true;
  }

  private hold(hold: boolean): void {
    if (this.timer === null || this.holding === hold) return;
    this.timer.holdProcess(hold);
    this.holding = hold;
  }

  private disarm(): void {
    this.timer?.cancel();
    this.timer = null;
    this.timerAtMs = Infinity;
    this.holding = false;
  }

  private fire(): void {
    const nowMs = this.clock.nowMs();
    for (this.dropAnswered(); this.heap.size > 0; this.dropAnswered()) {
      if (this.heap.peekKey()! > nowMs) break;
      this.expire(this.heap.pop()!);
    }
    if (this.heap.size > 0 && this.timer === null) this.arm(this.heap.peekKey()!);
  }
}
