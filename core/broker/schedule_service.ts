// Delivery of delayed messages (spec §6.1). A delayed send waits in SCHEDULE_TOPIC_XXXX queue
// level-1 with its due time as the unit's tagsCode; per level, units come due in queue order
// (same delay, increasing store time), so each level is a cursor: deliver every due unit from
// the cursor, then sleep until the next unit is due or a new one arrives. delayOffset.json
// keeps the cursors (level -> next queue offset).
//
// Restarts neither lose nor repeat a delivery: a cursor is persisted every
// flushDelayOffsetInterval, so after a crash it may trail what was delivered. At start, each
// level skips the units whose delivered copy is already in the commit log (found by UNIQ_KEY in
// the index: same properties string, stored after the scheduled copy). Deliveries of a level
// are appended in order, so the first unit not delivered ends the check.
//
// Cost per tick is bounded by the units that are due (a batch at most), not by those waiting.

import type { Clock, TimerHandle } from "../common/clock.ts";
import type { DelayLevels } from "../common/delay_levels.ts";
import type { Logger } from "../common/log.ts";
import type { HostAddress } from "../common/message.ts";
import { SCHEDULE_TOPIC_XXXX } from "../store/dispatch.ts";
import type { FileIO } from "../store/file_io.ts";
import type { MessageStore, PutResult } from "../store/message_store.ts";
import { deliveryOutcome } from "./delivery_outcome.ts";
import { alreadyReleased, releasedMessage } from "./parked_message.ts";
import { configFilePath, loadConfigFile } from "./config_file_persist.ts";
import { ConfigFileWriter } from "./config_file_writer.ts";
import { delayOffsetJson, type DelayOffsetFile } from "./config_files.ts";

/** Units delivered per tick of one level at most; more due ones follow at once. */
const deliveryBatchMax = 64;
/** After a failed put, try again after this long (RocketMQ: 100 ms; 10 s after an error). */
const retryAfterFailureMs = 100;
/** An idle level looks at its queue this often even without a dispatch notice. */
const idlePollMs = 1_000;

export interface ScheduleServiceOptions {
  store: MessageStore;
  levels: DelayLevels;
  clock: Clock;
  log: Logger;
  io: FileIO;
  storeRoot: string;
  flushIntervalMs: number;
  /** The broker's address: the store host of delivered copies. */
  storeHost: () => HostAddress;
}

export class ScheduleService {
  private file: DelayOffsetFile = delayOffsetJson.empty();
  private running = false;
  /** Per level (index level-1): the pending wake-up and when it fires, whether a tick is under
   * way, and the earliest wake-up asked for while it was. */
  private readonly timers: (TimerHandle | null)[];
  private readonly timerDueMs: number[];
  private readonly busy: boolean[];
  private readonly wakeAfterTickMs: number[];
  private flushTimer: TimerHandle | null = null;
  private readonly writer: ConfigFileWriter<DelayOffsetFile>;

  constructor(private readonly options: ScheduleServiceOptions) {
    const path = configFilePath(options.storeRoot, delayOffsetJson);
    this.writer = new ConfigFileWriter(options.io, path, delayOffsetJson, options.log);
    this.timers = new Array(options.levels.maxLevel).fill(null);
    this.timerDueMs = new Array(options.levels.maxLevel).fill(0);
    this.busy = new Array(options.levels.maxLevel).fill(false);
    this.wakeAfterTickMs = new Array(options.levels.maxLevel).fill(Infinity);
  }

  /** Loads the cursors, skips what a crash left delivered but not recorded, starts ticking. */
  start(): void {
    const { options } = this;
    const loaded = loadConfigFile(options.io, this.writer.path, delayOffsetJson);
    if (loaded.source === "bak") options.log.warn(`delayOffset.json unreadable; using .bak`);
    this.file = loaded.value;
    this.running = true;
    for (let level = 1; level <= options.levels.maxLevel; level++) {
      this.skipDelivered(level);
      this.wake(level, 0);
    }
    this.flushTimer = options.clock.every(options.flushIntervalMs, () =>
      this.writer.persistInBackground(this.file),
    );
  }

  stop(): void {
    this.running = false;
    for (let i = 0; i < this.timers.length; i++) {
      this.timers[i]?.cancel();
      this.timers[i] = null;
    }
    this.flushTimer?.cancel();
    this.flushTimer = null;
    this.persist();
  }

  /** The store dispatched a unit to SCHEDULE_TOPIC_XXXX queue `queueId`, due at `dueMs`. */
  onScheduled(queueId: number, dueMs: number): void {
    const level = queueId + 1;
    if (!this.running || level > this.options.levels.maxLevel) return;
    this.wake(level, Math.max(0, dueMs - this.options.clock.nowMs()));
  }

  /** Next queue offset of a level (delayOffset.json). */
  cursor(level: number): number {
    const stored = this.file.offsetTable.get(level) ?? 0;
    return Math.max(stored, this.options.store.minOffsetInQueue(SCHEDULE_TOPIC_XXXX, level - 1));
  }

  /** delayOffset.json as it stands in memory (GET_ALL_DELAY_OFFSET; slaves copy it). */
  offsetsJson(): string {
    return delayOffsetJson.encode(this.file);
  }

  /** Writes delayOffset.json now if it changed (a stop, a test); the fsyncs block. */
  persist(): void {
    this.writer.persist(this.file);
  }

  /** Runs the level's tick after `delayMs` unless one is due sooner. */
  private wake(level: number, delayMs: number): void {
    if (!this.running) return;
    const i = level - 1;
    const dueMs = this.options.clock.nowMs() + delayMs;
    if (this.busy[i]) {
      this.wakeAfterTickMs[i] = Math.min(this.wakeAfterTickMs[i]!, dueMs);
      return;
    }
    const current = this.timers[i];
    if (current && this.timerDueMs[i]! <= dueMs) return;
    current?.cancel();
    const handle = this.options.clock.after(delayMs, () => {
      if (this.timers[i] === handle) this.timers[i] = null;
      void this.tick(level);
    });
    this.timers[i] = handle;
    this.timerDueMs[i] = dueMs;
  }

  private setCursor(level: number, offset: number): void {
    if (this.file.offsetTable.get(level) === offset) return;
    this.file.offsetTable.set(level, offset);
    this.writer.changed();
  }

  private async tick(level: number): Promise<void> {
    if (!this.running) return;
    this.busy[level - 1] = true;
    let nextWakeMs = idlePollMs;
    try {
      nextWakeMs = await this.deliverDue(level);
    } catch (error) {
      this.options.log.error(`delay level ${level}: delivery failed: ${error}`);
      nextWakeMs = 10_000;
    } finally {
      this.busy[level - 1] = false;
    }
    const askedMs = this.wakeAfterTickMs[level - 1]! - this.options.clock.nowMs();
    this.wakeAfterTickMs[level - 1] = Infinity;
    this.wake(level, Math.max(0, Math.min(nextWakeMs, askedMs)));
  }

  /** Delivers the due units at the level's cursor; returns ms until it should look again. */
  private async deliverDue(level: number): Promise<number> {
    const { store, clock, levels, log } = this.options;
    const queueId = level - 1;
    const from = this.cursor(level);
    const units = store.queueUnits(SCHEDULE_TOPIC_XXXX, queueId, from, deliveryBatchMax);
    const nowMs = clock.nowMs();
    const puts: { offset: number; put: Promise<PutResult> }[] = [];
    let nextWakeMs = idlePollMs;
    let offset = from;
    for (const unit of units) {
      // A due time further out than the level's delay means the clock went back: due now.
      const dueMs = unit.tagsCode > nowMs + levels.delayMs(level) ? nowMs : unit.tagsCode;
      if (unit.size !== 0x7fffffff && dueMs > nowMs) {
        nextWakeMs = dueMs - nowMs;
        break;
      }
      const record =
        unit.size === 0x7fffffff ? undefined : store.lookMessageByOffset(unit.physicalOffset);
      const input = record && releasedMessage(record, this.options.storeHost());
      if (input) {
        puts.push({ offset, put: store.put(input) });
      } else if (unit.size !== 0x7fffffff) {
        log.warn(`delay level ${level}: unit ${offset} has no deliverable record; skipped`);
      }
      offset++;
    }
    if (units.length === deliveryBatchMax && offset === from + units.length) nextWakeMs = 0;
    for (const { offset: at, put } of puts) {
      const result = await put;
      const outcome = deliveryOutcome(result);
      if (outcome === "retry") {
        log.warn(`delay level ${level}: unit ${at} not stored (${result.status}); retrying`);
        this.setCursor(level, at);
        return retryAfterFailureMs;
      }
      if (outcome === "refused") {
        const why = result.remark ?? result.status;
        log.warn(`delay level ${level}: unit ${at} refused for good (${why}); skipped`);
      }
      this.setCursor(level, at + 1);
    }
    this.setCursor(level, offset);
    return nextWakeMs;
  }

  /** Moves a level's cursor past units a crash left delivered but not recorded. */
  private skipDelivered(level: number): void {
    const { store } = this.options;
    let offset = this.cursor(level);
    for (;;) {
      const [unit] = store.queueUnits(SCHEDULE_TOPIC_XXXX, level - 1, offset, 1);
      if (!unit || unit.size === 0x7fffffff) break;
      const record = store.lookMessageByOffset(unit.physicalOffset);
      if (!record || !alreadyReleased(store, record)) break;
      offset++;
    }
    if (offset !== this.cursor(level)) {
      this.options.log.info(
        `delay level ${level}: ${offset - this.cursor(level)} delivered units skipped`,
      );
      this.setCursor(level, offset);
    }
  }
}
