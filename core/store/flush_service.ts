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
/** Two overlapping fdatasyncs of one file finish ~1.5x as many per second as one at a time. */
const commitLogFlightCountMax = 2;

interface Waiter {
  endOffset: number;
  deadlineMs: number;
  results: AppendResult[];
  resolve(result: PutResult): void;
}

export class FlushService {
  private waiters: Waiter[] = [];
  private timers: TimerHandle[] = [];
  private lastThoroughMs = 0;
  /**
   * Commit log fdatasyncs in flight (at most commitLogFlightCountMax: a second overlaps the
   * first on disk), and the highest write position one of them covers.
   */
  private commitLogFlights = 0;
  private commitLogFlightTarget = 0;
  private commitLogFlushAgain = false;
  private logicsFlushing = false;
  private stopped = false;

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
      this.clock.every(this.config.flushIntervalConsumeQueue, () => void this.logicsTick()),
    );
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) timer.cancel();
    this.timers = [];
  }

  /** Called for each appended put: answer now (async) or after the covering flush (sync). */
  complete(
    endOffset: number,
    wait: boolean,
    results: AppendResult[],
    resolve: Waiter["resolve"],
    /** The drain's clock reading: one per drain rather than one per put. */
    nowMs: number,
  ): void {
    if (this.config.flushDiskType !== "SYNC_FLUSH" || !wait) {
      resolve({ status: PutMessageStatus.PUT_OK, appended: results });
      return;
    }
    this.waiters.push({
      endOffset,
      deadlineMs: nowMs + this.config.syncFlushTimeout,
      results,
      resolve,
    });
  }

  /**
   * The writer finished a drain: start the group flush for the puts it left waiting now,
   * rather than an event-loop turn later (every turn is latency each SYNC put pays).
   */
  drained(): void {
    if (this.waiters.length > 0 && !this.stopped) this.requestCommitLogFlush();
  }

  /**
   * Group commit: one fdatasync, off the event loop, for every send waiting when it starts;
   * sends appended while it runs share the next one, which may start before the first ends
   * (two in flight at most). Each is told PUT_OK only once a finished flush covers its bytes,
   * FLUSH_DISK_TIMEOUT if the flush fails or its deadline passes first.
   */
  private requestCommitLogFlush(): void {
    const log = this.store.commitLog;
    const target = log.writePosition;
    // Everything written is durable or in a flush on its way: nothing to add.
    if (target <= Math.max(this.commitLogFlightTarget, log.flushedPosition)) return;
    if (this.commitLogFlights >= commitLogFlightCountMax) {
      this.commitLogFlushAgain = true;
      return;
    }
    this.commitLogFlights++;
    this.commitLogFlightTarget = target;
    void log.flushAsync().then(
      (flushed) => {
        // The next fdatasync starts before this one's waiters are answered: answering them runs
        // their senders' next puts, and the disk would sit idle through all of that.
        this.flightLanded();
        this.settleWaiters(flushed, null);
      },
      (error) => {
        if (!this.stopped) this.log.error(`commit log flush failed: ${error}`);
        // Not covered after all: a later request must not count on this flush.
        this.commitLogFlightTarget = log.flushedPosition;
        this.settleWaiters(log.flushedPosition, error);
        this.flightLanded();
      },
    );
  }

  /** A commit log flush ended: start the next one if bytes or waiters are left for it. */
  private flightLanded(): void {
    this.commitLogFlights--;
    const again = this.commitLogFlushAgain || this.waiters.length > 0;
    this.commitLogFlushAgain = false;
    if (again && !this.stopped) this.requestCommitLogFlush();
  }

  private settleWaiters(flushed: number, failure: unknown): void {
    const waiters = this.waiters;
    this.waiters = [];
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
      if (this.waiters.length > 0) this.requestCommitLogFlush();
      return;
    }
    const now = this.clock.nowMs();
    const thorough = now - this.lastThoroughMs >= this.config.flushCommitLogThoroughInterval;
    const dirtyPages =
      Math.floor(log.writePosition / pageBytes) - Math.floor(log.flushedPosition / pageBytes);
    if (log.writePosition === log.flushedPosition) return;
    if (!thorough && dirtyPages < this.config.flushCommitLogLeastPages) return;
    if (thorough) this.lastThoroughMs = now;
    this.requestCommitLogFlush();
  }

  /** Consume queues and index, then the checkpoint: only what is durable goes into it. */
  private async logicsTick(): Promise<void> {
    if (this.logicsFlushing) return;
    this.logicsFlushing = true;
    try {
      const mark = this.markLogics();
      await this.store.queues.flushAsync();
      await this.store.index?.flushAsync();
      // A stop meanwhile ran flushAll and wrote the checkpoint; the files may be another
      // store's by now (a restart in the same process): write nothing more.
      if (this.stopped) return;
      if (this.updateCheckpoint(mark)) await this.store.checkpoint.writeAsync();
    } catch (error) {
      if (!this.stopped) this.log.error(`consume queue / index flush failed: ${error}`);
    } finally {
      this.logicsFlushing = false;
    }
  }

  /** What dispatch has written so far: a flush of queues and index makes it durable. */
  private markLogics(): { time: number; position: number } {
    // Units and index entries of every record below reputOffset are dispatched; the flushes
    // that follow write the units still pending in memory before they sync.
    return {
      time: this.store.dispatcher.lastDispatchedStoreTimestamp,
      position: this.store.dispatcher.reputOffset,
    };
  }

  /** Sets the checkpoint from a mark taken before the flushes; false if nothing moved. */
  private updateCheckpoint(mark: { time: number; position: number }): boolean {
    const { store } = this;
    const checkpoint = store.checkpoint.value;
    const physic = store.commitLog.flushedStoreTimestamp;
    // Units are never durable ahead of the records they point at in the checkpoint's view.
    const logics = Math.min(mark.time, physic || mark.time);
    const durable = Math.min(mark.position, store.commitLog.flushedPosition);
    // Flushes may overlap (shutdown's while a timer's runs): the checkpoint never goes back.
    if (durable < (checkpoint.rmqDurablePhyOffset ?? 0)) return false;
    const changed =
      checkpoint.rmqDurablePhyOffset !== durable ||
      checkpoint.physicMsgTimestamp !== physic ||
      checkpoint.logicsMsgTimestamp !== logics ||
      checkpoint.indexMsgTimestamp !== logics;
    if (!changed) return false;
    checkpoint.physicMsgTimestamp = physic;
    checkpoint.logicsMsgTimestamp = logics;
    if (store.index) checkpoint.indexMsgTimestamp = logics;
    checkpoint.rmqDurablePhyOffset = durable;
    return true;
  }

  /** Everything durable now, on this thread: commit log, queues, index, checkpoint. */
  flushAll(): void {
    const flushed = this.store.commitLog.flush();
    this.settleWaiters(flushed, null);
    const mark = this.markLogics();
    this.store.queues.flush();
    this.store.index?.flush();
    if (this.updateCheckpoint(mark)) this.store.checkpoint.write();
  }
}
