// Flush policy (spec §5.10). ASYNC_FLUSH: a send is answered after the append; a timer flushes
// the commit log every flushIntervalCommitLog when flushCommitLogLeastPages pages are dirty, and
// everything every flushCommitLogThoroughInterval. SYNC_FLUSH (group commit): a send that waits
// (WAIT=true) is answered only once an fdatasync covers its bytes; every waiter queued before a
// flush runs shares it. Consume queues, index and then the checkpoint are flushed on their own
// timer, always after the commit log bytes they derive from.

import type { Clock, TimerHandle } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import type { StoreConfig } from "../config/store_config.ts";
import type { AppendResult, MessageStore, PutResult } from "./message_store.ts";
import { PutMessageStatus } from "./status.ts";

const pageBytes = 4096;

interface Waiter {
  endOffset: number;
  deadlineMs: number;
  results: AppendResult[];
  resolve(result: PutResult): void;
}

export class FlushService {
  private waiters: Waiter[] = [];
  private groupFlushScheduled: TimerHandle | null = null;
  private timers: TimerHandle[] = [];
  private lastThoroughMs = 0;

  constructor(
    private readonly store: MessageStore,
    private readonly config: StoreConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.lastThoroughMs = this.clock.nowMs();
    this.timers.push(
      this.clock.every(this.config.flushIntervalCommitLog, () => this.commitLogTick()),
    );
    this.timers.push(
      this.clock.every(this.config.flushIntervalConsumeQueue, () => this.logicsTick()),
    );
  }

  stop(): void {
    for (const timer of this.timers) timer.cancel();
    this.timers = [];
    this.groupFlushScheduled?.cancel();
    this.groupFlushScheduled = null;
    this.groupFlush();
  }

  /** Called for each appended put: answer now (async) or after the covering flush (sync). */
  complete(
    endOffset: number,
    wait: boolean,
    results: AppendResult[],
    resolve: Waiter["resolve"],
  ): void {
    if (this.config.flushDiskType !== "SYNC_FLUSH" || !wait) {
      resolve({ status: PutMessageStatus.PUT_OK, appended: results });
      return;
    }
    this.waiters.push({
      endOffset,
      deadlineMs: this.clock.nowMs() + this.config.syncFlushTimeout,
      results,
      resolve,
    });
    this.groupFlushScheduled ??= this.clock.soon(() => {
      this.groupFlushScheduled = null;
      this.groupFlush();
    });
  }

  /** One fdatasync for every waiting send; each is told PUT_OK only if its bytes are covered. */
  private groupFlush(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    let flushed = this.store.commitLog.flushedPosition;
    let failure: unknown = null;
    try {
      flushed = this.store.commitLog.flush();
    } catch (error) {
      failure = error;
      this.log.error(`commit log flush failed: ${error}`);
    }
    const now = this.clock.nowMs();
    for (const waiter of waiters) {
      if (waiter.endOffset <= flushed) {
        waiter.resolve({ status: PutMessageStatus.PUT_OK, appended: waiter.results });
      } else if (failure !== null || now >= waiter.deadlineMs) {
        waiter.resolve({ status: PutMessageStatus.FLUSH_DISK_TIMEOUT, appended: waiter.results });
      } else {
        this.waiters.push(waiter);
      }
    }
  }

  private commitLogTick(): void {
    const log = this.store.commitLog;
    if (this.config.flushDiskType === "SYNC_FLUSH") {
      this.groupFlush();
      return;
    }
    const now = this.clock.nowMs();
    const thorough = now - this.lastThoroughMs >= this.config.flushCommitLogThoroughInterval;
    const dirtyPages =
      Math.floor(log.writePosition / pageBytes) - Math.floor(log.flushedPosition / pageBytes);
    if (log.writePosition === log.flushedPosition) return;
    if (!thorough && dirtyPages < this.config.flushCommitLogLeastPages) return;
    if (thorough) this.lastThoroughMs = now;
    try {
      log.flush();
    } catch (error) {
      this.log.error(`commit log flush failed: ${error}`);
    }
  }

  /** Consume queues and index, then the checkpoint: only times already durable go into it. */
  private logicsTick(): void {
    try {
      this.flushLogicsAndCheckpoint();
    } catch (error) {
      this.log.error(`consume queue / index flush failed: ${error}`);
    }
  }

  private flushLogicsAndCheckpoint(): void {
    const { store } = this;
    const dispatchedTime = store.dispatcher.lastDispatchedStoreTimestamp;
    // Units and index entries of every record below reputOffset are written (dispatch writes
    // its gathered units at the end of each run); the flushes below make them durable.
    const dispatchedPosition = store.dispatcher.reputOffset;
    store.queues.flush();
    store.index?.flush();
    const checkpoint = store.checkpoint.value;
    const physic = store.commitLog.flushedStoreTimestamp;
    // Units are never durable ahead of the records they point at in the checkpoint's view.
    const logics = Math.min(dispatchedTime, physic || dispatchedTime);
    const durable = Math.min(dispatchedPosition, store.commitLog.flushedPosition);
    const changed =
      checkpoint.rmqDurablePhyOffset !== durable ||
      checkpoint.physicMsgTimestamp !== physic ||
      checkpoint.logicsMsgTimestamp !== logics ||
      checkpoint.indexMsgTimestamp !== logics;
    if (!changed) return;
    checkpoint.physicMsgTimestamp = physic;
    checkpoint.logicsMsgTimestamp = logics;
    if (store.index) checkpoint.indexMsgTimestamp = logics;
    checkpoint.rmqDurablePhyOffset = durable;
    store.checkpoint.write();
  }

  /** Everything durable now: commit log, queues, index, checkpoint (shutdown, admin flush). */
  flushAll(): void {
    this.store.commitLog.flush();
    this.groupFlush();
    this.flushLogicsAndCheckpoint();
  }
}
