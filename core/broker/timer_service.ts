// Delivery of messages for an arbitrary time (RocketMQ 5's timer messages, ONS' start deliver
// time). Such a message waits in the timer topic's one queue, its due time in the unit's
// tagsCode; units arrive in send order but come due in any order. Pending ones sit in a min-heap
// by due time, so a tick costs O(log n) per message due and nothing per message waiting; one
// clock timer is armed for the earliest.
//
// What was delivered is kept in timerProgress.json (timer_progress.ts), written every
// flushDelayOffsetInterval. At start the service reads the queue from its doneBelow: a unit
// marked delivered is skipped, one due later than now cannot have been delivered and is queued,
// and one already due is looked up by UNIQ_KEY (its delivered copy: same properties, stored
// after it): found, it is marked; not found, it is delivered now. So a crash between a delivery
// and the next progress write repeats nothing.

import type { Clock, TimerHandle } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import type { HostAddress } from "../common/message.ts";
import { MinHeap } from "../common/min_heap.ts";
import { TIMER_TOPIC } from "../store/dispatch.ts";
import type { FileIO } from "../store/file_io.ts";
import type { MessageStore, PutResult } from "../store/message_store.ts";
import { deliveryOutcome } from "./delivery_outcome.ts";
import { alreadyReleased, releasedMessage } from "./parked_message.ts";
import { configFilePath, loadConfigFile } from "./config_file_persist.ts";
import { ConfigFileWriter } from "./config_file_writer.ts";
import { timerProgressJson, type DeliveredSet } from "./timer_progress.ts";

/** Units read per step while rebuilding at start, and deliveries per tick at most. */
const scanBatch = 1024;
const deliveryBatchMax = 4096;
const retryAfterFailureMs = 1_000;
const timerWaitMsMax = 2 ** 31 - 1;

interface Pending {
  queueOffset: number;
  physicalOffset: number;
}

export interface TimerServiceOptions {
  store: MessageStore;
  clock: Clock;
  log: Logger;
  io: FileIO;
  storeRoot: string;
  flushIntervalMs: number;
  storeHost: () => HostAddress;
}

export class TimerService {
  private delivered: DeliveredSet = timerProgressJson.empty();
  private readonly pending = new MinHeap<Pending>();
  /** The next queue offset dispatch has told us about (units below it are in the heap or done). */
  private nextOffset = 0;
  private running = false;
  private busy = false;
  private timer: TimerHandle | null = null;
  private timerDueMs = Infinity;
  private flushTimer: TimerHandle | null = null;
  private readonly writer: ConfigFileWriter<DeliveredSet>;

  constructor(private readonly options: TimerServiceOptions) {
    const path = configFilePath(options.storeRoot, timerProgressJson);
    this.writer = new ConfigFileWriter(options.io, path, timerProgressJson, options.log);
  }

  /** Messages waiting for their time. */
  pendingCount(): number {
    return this.pending.size;
  }

  start(): void {
    const { options } = this;
    const loaded = loadConfigFile(options.io, this.writer.path, timerProgressJson);
    if (loaded.source === "bak") options.log.warn("timerProgress.json unreadable; using .bak");
    this.delivered = loaded.value;
    this.running = true;
    this.rebuild();
    this.flushTimer = options.clock.every(options.flushIntervalMs, () =>
      this.writer.persistInBackground(this.delivered),
    );
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = null;
    this.flushTimer?.cancel();
    this.flushTimer = null;
    this.persist();
  }

  /** Dispatch stored a timer unit at `queueOffset`, due at `dueMs`. */
  onTimerUnit(queueOffset: number, physicalOffset: number, dueMs: number): void {
    if (!this.running || queueOffset < this.nextOffset) return;
    this.nextOffset = queueOffset + 1;
    this.pending.push(dueMs, { queueOffset, physicalOffset });
    this.arm();
  }

  /** Writes timerProgress.json now if it changed (a stop, a test); the fsyncs block. */
  persist(): void {
    this.writer.persist(this.delivered);
  }

  /** Queues every unit not yet delivered, from doneBelow to the queue's end. */
  private rebuild(): void {
    const { store, clock, log } = this.options;
    const nowMs = clock.nowMs();
    const queueStart = store.minOffsetInQueue(TIMER_TOPIC, 0);
    if (queueStart > this.delivered.doneBelow) {
      this.delivered.skipBelow(queueStart); // units removed by retention are not pending
      this.writer.changed();
    }
    let offset = Math.max(this.delivered.doneBelow, queueStart);
    let found = 0;
    for (;;) {
      const units = store.queueUnits(TIMER_TOPIC, 0, offset, scanBatch);
      if (units.length === 0) break;
      for (const unit of units) {
        const at = offset++;
        if (this.delivered.has(at)) continue;
        if (unit.size === 0x7fffffff) {
          this.markDelivered(at); // a filler: nothing to deliver, nothing to wait for
          continue;
        }
        const parked =
          unit.tagsCode <= nowMs ? store.lookMessageByOffset(unit.physicalOffset) : null;
        if (parked && alreadyReleased(store, parked)) {
          this.markDelivered(at);
          found++;
          continue;
        }
        this.pending.push(unit.tagsCode, { queueOffset: at, physicalOffset: unit.physicalOffset });
      }
    }
    this.nextOffset = offset;
    if (found > 0) log.info(`timer: ${found} deliveries found stored after the last progress`);
    if (this.pending.size > 0) log.info(`timer: ${this.pending.size} messages waiting`);
  }

  /** Sets the clock timer for the earliest pending message, unless one is set sooner. */
  private arm(delayMs?: number): void {
    const earliest = this.pending.peekKey();
    if (!this.running || this.busy || earliest === undefined) return;
    const nowMs = this.options.clock.nowMs();
    // setTimeout takes at most 2^31 - 1 ms; a later due time is looked at again by then.
    const waitMs = Math.min(
      delayMs !== undefined ? delayMs : Math.max(0, earliest - nowMs),
      timerWaitMsMax,
    );
    const dueMs = nowMs + waitMs;
    if (this.timer && this.timerDueMs <= dueMs) return;
    this.timer?.cancel();
    this.timerDueMs = dueMs;
    this.timer = this.options.clock.after(waitMs, () => {
      this.timer = null;
      this.timerDueMs = Infinity;
      void this.tick();
    });
  }

  private async tick(): Promise<void> {
    if (!this.running || this.busy) return;
    this.busy = true;
    let retryInMs: number | undefined;
    try {
      retryInMs = await this.deliverDue();
    } catch (error) {
      this.options.log.error(`timer: delivery failed: ${error}`);
      retryInMs = retryAfterFailureMs;
    } finally {
      this.busy = false;
    }
    this.arm(retryInMs);
  }

  /** Delivers what is due (a batch at most); returns a retry delay after a failed put. */
  private async deliverDue(): Promise<number | undefined> {
    const { store, clock, log } = this.options;
    const nowMs = clock.nowMs();
    const due: { entry: Pending; dueMs: number; put: Promise<PutResult> | null }[] = [];
    while (due.length < deliveryBatchMax) {
      const dueMs = this.pending.peekKey();
      if (dueMs === undefined || dueMs > nowMs) break;
      const entry = this.pending.pop()!;
      const record = store.lookMessageByOffset(entry.physicalOffset);
      const input = record && releasedMessage(record, this.options.storeHost());
      if (!input) log.warn(`timer: unit ${entry.queueOffset} has no deliverable record; skipped`);
      due.push({ entry, dueMs, put: input ? store.put(input) : null });
    }
    let retry = false;
    for (const { entry, dueMs, put } of due) {
      if (!put) {
        this.markDelivered(entry.queueOffset);
        continue;
      }
      const result = await put;
      const outcome = deliveryOutcome(result);
      if (outcome === "retry") {
        // Not stored: back in the heap, in due order, and tried again shortly.
        log.warn(`timer: unit ${entry.queueOffset} not stored (${result.status}); retrying`);
        this.pending.push(dueMs, entry);
        retry = true;
        continue;
      }
      if (outcome === "refused") {
        log.warn(`timer: unit ${entry.queueOffset} refused for good (${result.status}); skipped`);
      }
      this.markDelivered(entry.queueOffset);
    }
    if (retry) return retryAfterFailureMs;
    const next = this.pending.peekKey();
    return next !== undefined && next <= clock.nowMs() ? 0 : undefined;
  }

  private markDelivered(queueOffset: number): void {
    this.delivered.add(queueOffset);
    this.writer.changed();
  }
}
