// Dispatch ("reput", spec §5.8): follows the commit log from the reput offset and, for each
// record, appends its consume-queue unit (NOT_TYPE and COMMIT_TYPE records only) and its index
// keys, then tells listeners (the broker wakes held pulls). Used after appends, by recovery, and
// later by replication on slaves: it reads bytes, not the writer's objects.

import type { DelayLevels } from "../common/delay_levels.ts";
import { MessageConst, takesQueueOffset } from "../common/message.ts";
import { decodeRecord, type StoredRecord } from "./commit_log_codec.ts";
import type { CommitLog } from "./commit_log.ts";
import type { IndexableRecord, IndexService } from "./index_service.ts";
import type { ConsumeQueueSet } from "./consume_queue_set.ts";
import type { ConsumeQueue } from "./consume_queue.ts";
import type { ConsumeQueueUnit } from "./consume_queue_codec.ts";
import { DispatchProperties } from "./dispatch_properties.ts";
import { dispatchScratch, readDispatchSource } from "./dispatch_read.ts";

/** Delayed messages wait here; its units carry a delivery time where others carry a tag hash. */
export const SCHEDULE_TOPIC_XXXX = "SCHEDULE_TOPIC_XXXX";
/** Messages for an arbitrary time wait here (RocketMQ 5's topic name); units carry the time. */
export const TIMER_TOPIC = "rmq_sys_wheel_timer";
/** The due time of a timer message's copy in TIMER_TOPIC, ms since the epoch. */
export const PROPERTY_TIMER_OUT_MS = "TIMER_OUT_MS";

export interface DispatchedRecord {
  topic: string;
  queueId: number;
  queueOffset: number;
  physicalOffset: number;
  size: number;
  tagsCode: number;
  storeTimestamp: number;
}

export type DispatchListener = (record: DispatchedRecord) => void;

/** Bytes the caller has just written to the commit log at `start`, still in its hands. */
export interface WrittenBytes {
  start: number;
  bytes: Uint8Array;
}

/** What dispatch needs of a record (a decoded StoredRecord has it all). */
export type DispatchSource = Pick<
  StoredRecord,
  | "topic"
  | "queueId"
  | "queueOffset"
  | "position"
  | "totalSize"
  | "storeTimestamp"
  | "sysFlag"
  | "properties"
>;

/**
 * A unit's tagsCode: the tag hash; for a delayed copy in SCHEDULE_TOPIC_XXXX, the time it is
 * due (store time + the delay of its level), which the schedule service compares with now
 * (spec §6.1); for a timer copy, its TIMER_OUT_MS. Computed here, not by the writer, so
 * recovery rebuilds the same units.
 */
export function unitTagsCode(
  record: DispatchSource,
  properties: DispatchProperties,
  delayLevels: DelayLevels,
): number {
  if (record.topic === SCHEDULE_TOPIC_XXXX) {
    const level = parseInt(properties.reader(MessageConst.PROPERTY_DELAY_TIME_LEVEL) ?? "", 10);
    if (level > 0) return record.storeTimestamp + delayLevels.delayMs(level);
  } else if (record.topic === TIMER_TOPIC) {
    const dueMs = Number(properties.reader(PROPERTY_TIMER_OUT_MS));
    if (Number.isSafeInteger(dueMs) && dueMs > 0) return dueMs;
  }
  return properties.tagsHash;
}

export class Dispatcher {
  reputOffset = 0;
  /**
   * Dispatch stops before any record that ends past this (a controller-mode slave: its
   * master's confirm offset, so consumers never see what a failover may cut). A record that
   * crosses it waits, as one still arriving does.
   */
  endLimit = Infinity;
  /** Store time of the newest dispatched record (for the checkpoint's logics time). */
  lastDispatchedStoreTimestamp = 0;
  private readonly listeners: DispatchListener[] = [];
  /**
   * Queues this run put units in, each once (ConsumeQueue.touchedInRun): a list, not a Set,
   * because clearing a Set gives it new storage each run, which an eden collection promotes
   * (the Set is old) and only a full collection frees.
   */
  private readonly touched: ConsumeQueue[] = [];
  private runNumber = 0;
  /**
   * Records dispatched in this run, told to listeners once the run is over: a held pull woken
   * by the first of a burst then finds the whole burst, not just that one message.
   */
  private arrived: DispatchedRecord[] = [];
  private arrivedSpare: DispatchedRecord[] = [];
  /** Refilled for every record: the index reads it during build() and keeps nothing. */
  private readonly indexScratch: IndexableRecord = {
    topic: "",
    physicalOffset: 0,
    storeTimestamp: 0,
    sysFlag: 0,
    keysText: undefined,
    uniqKey: undefined,
  };
  /** Refilled for every unit: the queue encodes it into its pending bytes and keeps nothing. */
  private readonly unitScratch: ConsumeQueueUnit = { physicalOffset: 0, size: 0, tagsCode: 0 };
  private readonly readChunkBytes: number;
  private readonly properties = new DispatchProperties();
  /** Refilled for every record read back from the log (dispatchRecord keeps nothing of it). */
  private readonly sourceScratch = dispatchScratch();

  constructor(
    private readonly commitLog: CommitLog,
    private readonly queues: ConsumeQueueSet,
    private readonly index: IndexService | null,
    private readonly delayLevels: DelayLevels,
  ) {
    this.readChunkBytes = Math.min(4 * 1024 * 1024, commitLog.segmentSizeBytes);
  }

  onDispatch(listener: DispatchListener): void {
    this.listeners.push(listener);
  }

  /**
   * Dispatches every record in [reputOffset, writePosition), reading at most readChunkBytes at a
   * time (more when one record is larger). Returns false if it stopped on bytes that are not a
   * record inside the written range (damage: the caller reports it). `written`: what a slave
   * just appended; records inside it are read from memory, not read back from the file.
   */
  run(written?: WrittenBytes): boolean {
    let caughtUp;
    try {
      caughtUp = this.runRange(written);
    } finally {
      this.writeTouched();
    }
    this.announce();
    return caughtUp;
  }

  private runRange(written: WrittenBytes | undefined): boolean {
    const end = Math.min(this.commitLog.writePosition, this.endLimit);
    while (this.reputOffset < end) {
      const segmentEnd =
        this.commitLog.files.segmentStartFor(this.reputOffset) + this.commitLog.segmentSizeBytes;
      const windowEnd = Math.min(end, segmentEnd, this.reputOffset + this.readChunkBytes);
      let bytes = this.window(this.reputOffset, windowEnd, written);
      if (!bytes || bytes.length === 0) return false;
      let consumed = this.dispatchBytes(bytes, segmentEnd);
      // The first bytes of a record still arriving (a slave gets records in pieces).
      if (consumed === 0 && bytes.length < 8 && this.reputOffset + bytes.length >= end) return true;
      if (consumed === 0 && bytes.length >= 4) {
        // One record larger than the window: read exactly that record.
        const size = new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0);
        // Not all of it written yet (a slave receives records in pieces): wait for the rest.
        if (size > 0 && this.reputOffset + size > end && this.reputOffset + size <= segmentEnd) {
          return true;
        }
        if (size > bytes.length && this.reputOffset + size <= segmentEnd) {
          bytes = this.commitLog.read(this.reputOffset, size);
          consumed = bytes ? this.dispatchBytes(bytes, segmentEnd) : 0;
        }
      }
      if (consumed === 0) return false;
    }
    return true;
  }

  /**
   * The bytes of [from, to): a view of `written` when it holds them all. A record that began
   * before `written` (a slave gets records in pieces) is read from the file alone: the window
   * stops where `written` starts, or 8 bytes in, enough for the record's size, and the
   * one-record read in runRange() fetches the rest.
   */
  private window(from: number, to: number, written: WrittenBytes | undefined) {
    if (written === undefined) return this.commitLog.read(from, to - from);
    const writtenEnd = written.start + written.bytes.length;
    if (from >= written.start && to <= writtenEnd) {
      return written.bytes.subarray(from - written.start, to - written.start);
    }
    if (from < written.start && written.start < to) {
      to = Math.min(to, Math.max(written.start, from + 8));
    }
    return this.commitLog.read(from, to - from);
  }

  /** Dispatches the records in `bytes` (which start at reputOffset); returns bytes consumed. */
  private dispatchBytes(bytes: Uint8Array, segmentEnd: number): number {
    let pos = 0;
    const base = this.reputOffset;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const source = this.sourceScratch;
    while (pos < bytes.length) {
      if (readDispatchSource(bytes, view, pos, base, source)) {
        this.dispatchRecord(source);
        pos += source.totalSize;
        continue;
      }
      const result = decodeRecord(bytes, pos, { checkCrc: false, basePosition: base });
      if (result.kind === "record") {
        this.dispatchRecord(result.record);
        pos += result.record.totalSize;
        continue;
      }
      if (result.kind === "blank" || (result.kind === "corrupt" && this.isBlankAt(bytes, pos))) {
        pos = segmentEnd - base; // the rest of this segment is filler
        break;
      }
      break; // end of data, or a record cut by the read window: read again from here
    }
    this.reputOffset = base + pos;
    return pos;
  }

  private isBlankAt(bytes: Uint8Array, pos: number): boolean {
    if (pos + 8 > bytes.length) return false;
    return (
      new DataView(bytes.buffer, bytes.byteOffset + pos + 4, 4).getInt32(0) === (0xcbd43194 | 0)
    );
  }

  /**
   * The writer's fast path: dispatches records it just appended, in order, without reading
   * them back, when dispatch had caught up with the commit log before the append (so these are
   * exactly the bytes from reputOffset to `end`, blank markers aside). Same effects as run().
   */
  dispatchAppended(records: DispatchSource[], end: number): void {
    try {
      for (const record of records) this.dispatchRecord(record);
      this.reputOffset = end;
    } finally {
      this.writeTouched();
    }
    this.announce();
  }

  /** Units and index entries this run gathered, written once enough wait. */
  private writeTouched(): void {
    for (const queue of this.touched) queue.writePendingIfFull();
    this.touched.length = 0;
    this.runNumber++;
    this.index?.writePendingIfFull();
  }

  /** Tells listeners of this run's records, in order, once they are all readable. */
  private announce(): void {
    const arrived = this.arrived;
    if (arrived.length === 0) return;
    // Two lists taking turns rather than a new one per run: a listener cannot start another
    // run (puts are drained on a later turn), so the list told is not reused while in use.
    this.arrived = this.arrivedSpare;
    try {
      for (const record of arrived) for (const listener of this.listeners) listener(record);
    } finally {
      arrived.length = 0;
      this.arrivedSpare = arrived;
    }
  }

  private dispatchRecord(record: DispatchSource): void {
    const properties = this.properties;
    properties.scan(record.properties);
    const visible = takesQueueOffset(record.sysFlag);
    const tagsCode = unitTagsCode(record, properties, this.delayLevels);
    if (visible) {
      const queue = this.queues.getOrCreate(record.topic, record.queueId);
      if (queue.touchedInRun !== this.runNumber) {
        queue.touchedInRun = this.runNumber;
        this.touched.push(queue);
      }
      const unit = this.unitScratch;
      unit.physicalOffset = record.position;
      unit.size = record.totalSize;
      unit.tagsCode = tagsCode;
      queue.put(record.queueOffset, unit);
    }
    if (this.index) {
      const indexed = this.indexScratch;
      indexed.topic = record.topic;
      indexed.physicalOffset = record.position;
      indexed.storeTimestamp = record.storeTimestamp;
      indexed.sysFlag = record.sysFlag;
      indexed.uniqKey = properties.uniqKey;
      indexed.keysText = properties.keys;
      this.index.build(indexed);
    }
    this.lastDispatchedStoreTimestamp = record.storeTimestamp;
    if (!visible) return;
    const dispatched: DispatchedRecord = {
      topic: record.topic,
      queueId: record.queueId,
      queueOffset: record.queueOffset,
      physicalOffset: record.position,
      size: record.totalSize,
      tagsCode,
      storeTimestamp: record.storeTimestamp,
    };
    if (this.listeners.length > 0) this.arrived.push(dispatched);
  }
}
