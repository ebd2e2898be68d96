// Queue locks for orderly consumption (spec §8.1): per consumer group, which client may consume
// each queue. A lock is granted when the queue is free, its holder's lock has expired, or the
// caller already holds it (which refreshes it). Locks expire lockMaxLiveTimeMs after their last
// refresh; an orderly client re-locks well before that, and stops consuming a queue whose lock it
// could not refresh, so two clients never consume one queue at once. A holder's lost connection
// does not release its locks: it may still be finishing a message, so the queue waits for expiry
// as in RocketMQ.

import type { Clock } from "../common/clock.ts";

export interface LockedQueue {
  topic: string;
  brokerName: string;
  queueId: number;
}

interface LockEntry {
  clientId: string;
  lastUpdateMs: number;
}

function queueKey(q: LockedQueue): string {
  return `${q.topic}\u0001${q.brokerName}\u0001${q.queueId}`;
}

export class QueueLocks {
  /** group -> queue key -> holder. */
  private readonly groups = new Map<string, Map<string, LockEntry>>();

  constructor(
    private readonly clock: Clock,
    readonly lockMaxLiveTimeMs = 60_000,
  ) {}

  /** Locks what it can for `clientId`; returns the queues the client now holds. */
  tryLock(group: string, queues: LockedQueue[], clientId: string): LockedQueue[] {
    const nowMs = this.clock.nowMs();
    let locks = this.groups.get(group);
    if (!locks) this.groups.set(group, (locks = new Map()));
    const granted: LockedQueue[] = [];
    for (const queue of queues) {
      const key = queueKey(queue);
      const entry = locks.get(key);
      if (!entry || entry.clientId === clientId || this.expired(entry, nowMs)) {
        locks.set(key, { clientId, lastUpdateMs: nowMs });
        granted.push(queue);
      }
    }
    return granted;
  }

  /** Releases the queues `clientId` holds among `queues`; others' locks stay. */
  unlock(group: string, queues: LockedQueue[], clientId: string): void {
    const locks = this.groups.get(group);
    if (!locks) return;
    for (const queue of queues) {
      const key = queueKey(queue);
      if (locks.get(key)?.clientId === clientId) locks.delete(key);
    }
    if (locks.size === 0) this.groups.delete(group);
  }

  /** Current holder of a queue, if its lock has not expired. */
  holder(group: string, queue: LockedQueue): string | undefined {
    const entry = this.groups.get(group)?.get(queueKey(queue));
    return entry && !this.expired(entry, this.clock.nowMs()) ? entry.clientId : undefined;
  }

  private expired(entry: LockEntry, nowMs: number): boolean {
    return nowMs - entry.lastUpdateMs > this.lockMaxLiveTimeMs;
  }
}
