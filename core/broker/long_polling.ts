// Held pulls (spec §3.3 long polling): a pull that finds nothing and asks to be suspended is
// parked under topic@queueId until a matching message is dispatched, its queue is found past
// it by the periodic check, or its deadline passes; then it is processed again, without
// suspension, and answered. Time comes from the clock.

import type { Clock, TimerHandle } from "../common/clock.ts";
import { assert } from "../common/assert.ts";
import { QueueKeys } from "../common/queue_keys.ts";
import type { RemotingCommand } from "../protocol/command.ts";
import type { PullMessageRequestHeader } from "../protocol/headers/pull.ts";
import type { Channel } from "../remoting/channel.ts";

export interface HeldPull {
  /** The request's header, decoded once: processing the pull again reads it from here. */
  header: PullMessageRequestHeader;
  deadlineMs: number;
  accept: (tagsCode: number) => boolean;
  request: RemotingCommand;
  channel: Channel;
}

/** Bound on parked pulls across all queues (each costs a little memory, nothing else). */
export const heldPullCountMax = 100_000;
/** Topics whose queue keys are kept (the table refills when full: a bound, not a limit). */
const heldQueueKeyTopicsMax = 4096;

export class PullHoldService {
  private readonly held = new Map<string, HeldPull[]>();
  private count = 0;
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    /** Processes a pull again (no suspension) and writes the answer. */
    private readonly reprocess: (pull: HeldPull) => void,
    /** The queue's end now: the periodic check wakes pulls it has passed (see expire). */
    private readonly maxOffsetOf: (topic: string, queueId: number) => number,
  ) {}

  start(checkIntervalMs: number): void {
    assert(this.timer === null, "pull hold service started twice");
    this.timer = this.clock.every(checkIntervalMs, () => this.expire());
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
    // Answer everything still held so no client waits for a stopped broker.
    for (const pulls of this.held.values()) for (const pull of pulls) this.reprocess(pull);
    this.held.clear();
    this.count = 0;
  }

  heldCount(): number {
    return this.count;
  }

  /** Parks a pull; false when the bound is reached (the caller answers at once instead). */
  hold(pull: HeldPull): boolean {
    if (this.count >= heldPullCountMax) return false;
    const key = queueKeys.of(pull.header.topic, pull.header.queueId);
    let list = this.held.get(key);
    if (!list) this.held.set(key, (list = []));
    list.push(pull);
    this.count++;
    return true;
  }

  /**
   * A message was dispatched to topic/queueId: wake the pulls it satisfies. Runs for every
   * stored message: the pulls kept stay in their list, and only a wake makes an array.
   */
  notifyMessageArriving(topic: string, queueId: number, maxOffset: number, tagsCode: number): void {
    if (this.count === 0) return;
    const key = queueKeys.of(topic, queueId);
    const list = this.held.get(key);
    if (!list) return;
    let woken: HeldPull[] | null = null;
    let keptCount = 0;
    for (const pull of list) {
      if (maxOffset > pull.header.queueOffset && pull.accept(tagsCode)) (woken ??= []).push(pull);
      else list[keptCount++] = pull;
    }
    if (woken === null) return;
    // An emptied list stays for the queue's next held pull (a consumer that keeps up parks
    // one per message); expire() drops lists left empty.
    list.length = keptCount;
    this.count -= woken.length;
    // After the list is settled: answering a pull may close its channel, and nothing here
    // may see a half-updated list.
    for (const pull of woken) this.reprocess(pull);
  }

  /**
   * The periodic check: answers pulls whose deadline passed or whose queue has grown past
   * them, and drops those whose connection is gone. A pull is woken on arrival only by a
   * message its tags accept; one whose queue grew by others only is answered here (its next
   * offset moved past them), as RocketMQ's PullRequestHoldService does on its check, rather
   * than when its 15 s suspension ends.
   */
  expire(): void {
    const now = this.clock.nowMs();
    for (const [key, list] of [...this.held]) {
      const keep: HeldPull[] = [];
      const due: HeldPull[] = [];
      const first = list[0];
      const maxOffset = first ? this.maxOffsetOf(first.header.topic, first.header.queueId) : 0;
      for (const pull of list) {
        if (!pull.channel.isOpen()) continue;
        const ready = pull.deadlineMs <= now || maxOffset > pull.header.queueOffset;
        (ready ? due : keep).push(pull);
      }
      this.replace(key, keep, list.length);
      for (const pull of due) this.reprocess(pull);
    }
  }

  private replace(key: string, keep: HeldPull[], before: number): void {
    this.count -= before - keep.length;
    if (keep.length === 0) this.held.delete(key);
    else this.held.set(key, keep);
  }
}

/** Held pulls are parked under topic@queueId. */
const queueKeys = new QueueKeys("@", heldQueueKeyTopicsMax);
