// The store facade the broker uses (DESIGN "Data flow"): put / putBatch, get by queue offset,
// get by physical offset, query by key, offsets by time, min/max offsets. Expected conditions
// come back as status values; only bugs throw.
//
// Write ordering (what must be durable before what):
//   1. commit log bytes (append, then fdatasync by the flush policy)
//   2. consume queue units and index entries derived from them (dispatch; flushed after 1)
//   3. the checkpoint recording the times covered by 1 and 2 (written after both are flushed)
// Recovery trusts nothing past the checkpoint and re-derives 2 from 1 (recovery.ts).

import { BoundedMemo } from "../common/bounded_memo.ts";
import { QueueKeys } from "../common/queue_keys.ts";
import { assert } from "../common/assert.ts";
import { DelayLevels } from "../common/delay_levels.ts";
import type { Clock, TimerHandle } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import {
  createOffsetMessageId,
  DLQ_GROUP_TOPIC_PREFIX,
  type HostAddress,
  RETRY_GROUP_TOPIC_PREFIX,
  takesQueueOffset,
} from "../common/message.ts";
import { groupTopicNameLengthMax, topicNameLengthMax } from "../config/limits.ts";
import type { StoreConfig } from "../config/store_config.ts";
import { CheckpointFile } from "./checkpoint_file.ts";
import {
  decodeRecord,
  recordSize,
  utf8Bytes,
  type RecordFields,
  type StoredRecord,
} from "./commit_log_codec.ts";
import { CommitLog } from "./commit_log.ts";
import type { ConsumeQueueUnit } from "./consume_queue_codec.ts";
import { ConsumeQueueSet } from "./consume_queue_set.ts";
import {
  Dispatcher,
  type DispatchListener,
  type DispatchSource,
  type WrittenBytes,
} from "./dispatch.ts";
import type { FileIO } from "./file_io.ts";
import { FlushService } from "./flush_service.ts";
import { IndexService } from "./index_service.ts";
import { truncateStoreTo } from "./truncate.ts";
import { recoverStore } from "./recovery.ts";
import { RetentionService } from "./retention.ts";
import {
  GetMessageStatus,
  PutMessageStatus,
  type GetMessageStatusValue,
  type PutMessageStatusValue,
} from "./status.ts";
import { storePaths, type StorePaths } from "./store_layout.ts";
import { readInt32 } from "../common/int32.ts";
import type { ScratchBytes } from "../common/scratch_bytes.ts";

export interface MessageInput {
  topic: string;
  queueId: number;
  flag: number;
  sysFlag: number;
  bornTimestamp: number;
  bornHost: HostAddress;
  storeHost: HostAddress;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  body: Uint8Array;
  /** The properties string exactly as it will be stored (name\u0001value\u0002...). */
  properties: string;
}

export interface AppendResult {
  physicalOffset: number;
  size: number;
  queueOffset: number;
  storeTimestamp: number;
  msgId: string;
}

export interface PutResult {
  status: PutMessageStatusValue;
  /** One per message in order; empty unless the bytes were appended. */
  appended: AppendResult[];
  remark?: string;
}

export interface GetResult {
  status: GetMessageStatusValue;
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  /** Stored records, byte for byte (what a pull response carries). */
  messages: { physicalOffset: number; queueOffset: number; bytes: Uint8Array }[];
  /** All of messages' bytes back to back, when they were read into one buffer (views of it). */
  body?: Uint8Array;
  /** Where the last queue unit looked at points in the commit log (-1: none was). */
  lastScannedPhysicalOffset: number;
}

/** How getMessage reads, beyond its count and byte limits. */
export interface GetOptions {
  /** The queue unit's tag hash filter (all pass without one). */
  accept?: (tagsCode: number) => boolean;
  /** A second filter on the stored record itself (SQL92 on its properties). */
  acceptRecord?: (record: Uint8Array) => boolean;
  /**
   * Where the body is read, when the caller is done with it before its next use (a pull
   * answer encoded in the same turn); else a new buffer. Records read one by one for
   * acceptRecord are copies either way.
   */
  bodyScratch?: ScratchBytes;
  /**
   * Limits for records further than inMemoryBytes behind the commit log's end (likely read
   * from disk): RocketMQ's maxTransferCountOnMessageInDisk / maxTransferBytesOnMessageInDisk.
   */
  disk?: { inMemoryBytes: number; countMax: number; bytesMax: number };
}

/** Queue units a get scans at least when its filter passes few (RocketMQ: 16,000 bytes). */
const filterScanUnitsMin = 800;

export interface MessageStoreOptions {
  config: StoreConfig;
  io: FileIO;
  clock: Clock;
  log: Logger;
}

const topicPattern = /^[%|a-zA-Z0-9_-]+$/;
const propertiesBytesMax = 32767;
// Topic names repeat from put to put: what a put derives from one is worked out once (bounded).
const topicCountMax = 10_000;
const topicBytesOf = new BoundedMemo(topicCountMax, utf8Bytes);
/** RocketMQ's topic name rules. */
const topicIsLegal = new BoundedMemo(topicCountMax, (topic: string) => {
  const lengthMax =
    topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) || topic.startsWith(DLQ_GROUP_TOPIC_PREFIX)
      ? groupTopicNameLengthMax
      : topicNameLengthMax;
  return topicPattern.test(topic) && topic.length <= lengthMax;
});
/** Keys in nextQueueOffset ("topic-queueId"). */
const queueKeys = new QueueKeys("-", topicCountMax);
/** A put's refusal; a function of the module so validating a put makes no closure. */
function refuse(status: PutMessageStatusValue, remark: string): PutResult {
  return { status, appended: [], remark };
}

/** SYNC_FLUSH drains at least this many puts in two halves (see drain). */
const splitDrainPutCountMin = 32;

interface EncodedNames {
  topic: Uint8Array;
  properties: Uint8Array;
}

interface PendingPut {
  messages: MessageInput[];
  encoded: EncodedNames[];
  wait: boolean;
  resolve(result: PutResult): void;
}

export class MessageStore {
  readonly paths: StorePaths;
  readonly commitLog: CommitLog;
  readonly queues: ConsumeQueueSet;
  readonly index: IndexService | null;
  readonly dispatcher: Dispatcher;
  readonly checkpoint: CheckpointFile;
  private readonly flushService: FlushService;
  /** Next queue offset per "topic-queueId" (RocketMQ's topicQueueTable). */
  private readonly nextQueueOffset = new Map<string, number>();
  private pending: PendingPut[] = [];
  private drainScheduled: TimerHandle | null = null;
  private running = false;
  private lastStoreTimestamp = 0;
  private retentionTimer: TimerHandle | null = null;
  readonly retention: RetentionService;
  /** Set by retention above diskSpaceWarningLevelRatio: writes are refused, reads go on. */
  diskFull = false;

  constructor(private readonly options: MessageStoreOptions) {
    const { config, io, clock } = options;
    this.paths = storePaths(config.storePathRootDir, config.storePathCommitLog || undefined);
    this.commitLog = new CommitLog(io, this.paths.commitLog, config.mappedFileSizeCommitLog);
    this.queues = new ConsumeQueueSet(
      io,
      this.paths.consumeQueue,
      config.mappedFileSizeConsumeQueue,
    );
    this.index = config.messageIndexEnable
      ? new IndexService(
          io,
          this.paths.index,
          { hashSlotNum: config.maxHashSlotNum, indexNum: config.maxIndexNum },
          clock,
        )
      : null;
    this.dispatcher = new Dispatcher(
      this.commitLog,
      this.queues,
      this.index,
      DelayLevels.parse(config.messageDelayLevel),
    );
    this.checkpoint = new CheckpointFile(io, this.paths.checkpoint);
    this.flushService = new FlushService(this, config, clock, options.log);
    this.retention = new RetentionService(this, io, config, clock, options.log);
  }

  /** Recovers the store on disk and starts the flush service. */
  start(): { abnormal: boolean; recoveredEnd: number } {
    assert(!this.running, "store started twice");
    const result = recoverStore(this, this.options.io, this.options.config, this.options.log);
    this.recoverQueueOffsets();
    this.lastStoreTimestamp = this.commitLog.lastStoreTimestamp;
    this.options.io.open(this.paths.abort, { create: true }).close();
    this.options.io.syncDirectory(this.paths.root);
    this.flushService.start();
    this.retention.run();
    this.retentionTimer = this.options.clock.every(
      this.options.config.cleanResourceInterval,
      () => {
        try {
          this.retention.run();
        } catch (error) {
          this.options.log.error(`retention pass failed: ${error}`);
        }
      },
    );
    this.running = true;
    return result;
  }

  /** Flushes everything, writes the checkpoint, removes the abort file (a clean stop). */
  shutdown(): void {
    if (!this.running) return;
    this.running = false;
    this.drainScheduled?.cancel();
    this.retentionTimer?.cancel();
    this.drain();
    this.flushService.stop();
    this.flushService.flushAll();
    this.commitLog.files.close();
    this.queues.close();
    this.index?.close();
    this.options.io.remove(this.paths.abort);
    this.options.io.syncDirectory(this.paths.root);
  }

  onDispatch(listener: DispatchListener): void {
    this.dispatcher.onDispatch(listener);
  }

  isWritable(): boolean {
    return this.running && this.commitLog.files.failure() === null;
  }

  put(message: MessageInput, waitStoreMsgOk = true): Promise<PutResult> {
    return this.putBatch([message], waitStoreMsgOk);
  }

  /** Appends messages of one topic queue contiguously (a batch), or one message. */
  putBatch(messages: MessageInput[], waitStoreMsgOk = true): Promise<PutResult> {
    const encoded: EncodedNames[] = [];
    for (const m of messages) {
      encoded.push({ topic: topicBytesOf.get(m.topic), properties: utf8Bytes(m.properties) });
    }
    const refusal = this.validate(messages, encoded);
    if (refusal) return Promise.resolve(refusal);
    // No executor closure: with one, this call made five scope objects and three functions.
    const { promise, resolve } = Promise.withResolvers<PutResult>();
    this.pending.push({ messages, encoded, wait: waitStoreMsgOk, resolve });
    // Every put arriving in this turn shares one write: drain on the next tick.
    this.drainScheduled ??= this.options.clock.soon(this.drainNow);
    return promise;
  }

  private readonly drainNow = (): void => {
    this.drainScheduled = null;
    this.drain();
  };

  private validate(messages: MessageInput[], encoded: EncodedNames[]): PutResult | undefined {
    if (!this.isWritable())
      return refuse(PutMessageStatus.SERVICE_NOT_AVAILABLE, "store is not writable");
    if (this.diskFull) return refuse(PutMessageStatus.SERVICE_NOT_AVAILABLE, "disk is full");
    if (messages.length === 0) return refuse(PutMessageStatus.MESSAGE_ILLEGAL, "empty batch");
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      const names = encoded[i]!;
      if (!topicIsLegal.get(m.topic)) {
        return refuse(
          PutMessageStatus.MESSAGE_ILLEGAL,
          `illegal topic name "${m.topic.slice(0, 200)}"`,
        );
      }
      if (m.queueId < 0 || !Number.isInteger(m.queueId))
        return refuse(PutMessageStatus.MESSAGE_ILLEGAL, "bad queue id");
      if (m.body.length > this.options.config.maxMessageSize) {
        return refuse(
          PutMessageStatus.MESSAGE_ILLEGAL,
          `body of ${m.body.length} bytes exceeds maxMessageSize`,
        );
      }
      if (names.properties.length > propertiesBytesMax) {
        return refuse(PutMessageStatus.PROPERTIES_SIZE_EXCEEDED, "properties exceed 32767 bytes");
      }
      const size = recordSize({
        bornHost: m.bornHost,
        storeHost: m.storeHost,
        body: m.body,
        topic: names.topic,
        properties: names.properties,
      });
      if (size > this.commitLog.recordSizeMax()) {
        return refuse(PutMessageStatus.MESSAGE_ILLEGAL, "record larger than a commit log segment");
      }
    }
    return undefined;
  }

  /**
   * Appends every pending put, dispatches, applies the flush policy. Under SYNC_FLUSH a large
   * batch goes in two halves, each with its own group flush: the first half's fdatasync runs
   * while the second half is encoded, and from then on the two cohorts of waiting senders take
   * turns (one being written while the other's flush is on disk) instead of all waiting on one.
   */
  private drain(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const split =
      this.options.config.flushDiskType === "SYNC_FLUSH" && batch.length >= splitDrainPutCountMin;
    if (!split) return this.drainBatch(batch);
    const half = batch.length >>> 1;
    this.drainBatch(batch.slice(0, half));
    this.drainBatch(batch.slice(half));
  }

  /** One write per segment for `batch`, its dispatch, then its flush policy. */
  private drainBatch(batch: PendingPut[]): void {
    const fields: RecordFields[] = [];
    const offsets: number[] = [];
    const now = Math.max(this.options.clock.nowMs(), this.lastStoreTimestamp);
    this.lastStoreTimestamp = now;
    for (const put of batch) {
      for (let i = 0; i < put.messages.length; i++) {
        const m = put.messages[i]!;
        const key = queueKeys.of(m.topic, m.queueId);
        const takesOffset = takesQueueOffset(m.sysFlag);
        const next = this.nextQueueOffset.get(key) ?? 0;
        offsets.push(takesOffset ? next : 0);
        // Taken before the append (no map of this drain's counts): rewound if it throws.
        if (takesOffset) this.nextQueueOffset.set(key, next + 1);
        // Spelled out rather than spread: this runs once per message.
        fields.push({
          queueId: m.queueId,
          flag: m.flag,
          queueOffset: takesOffset ? next : 0,
          physicalOffset: 0,
          sysFlag: m.sysFlag,
          bornTimestamp: m.bornTimestamp,
          bornHost: m.bornHost,
          storeTimestamp: now,
          storeHost: m.storeHost,
          reconsumeTimes: m.reconsumeTimes,
          preparedTransactionOffset: m.preparedTransactionOffset,
          body: m.body,
          topic: put.encoded[i]!.topic,
          properties: put.encoded[i]!.properties,
        });
      }
    }
    let appended;
    const appendStart = this.commitLog.writePosition;
    try {
      appended = this.commitLog.append(fields);
    } catch (error) {
      this.rewindQueueOffsets(batch, offsets);
      this.options.log.error(`commit log append failed, store now refuses writes: ${error}`);
      for (const put of batch)
        put.resolve({
          status: PutMessageStatus.SERVICE_NOT_AVAILABLE,
          appended: [],
          remark: String(error),
        });
      return;
    }
    if (this.dispatcher.reputOffset === appendStart) {
      this.dispatchKnown(batch, appended, offsets, now);
    } else {
      this.dispatchAppended();
    }
    let i = 0;
    for (const put of batch) {
      const results: AppendResult[] = [];
      for (const m of put.messages) {
        const a = appended[i]!;
        results.push({
          physicalOffset: a.physicalOffset,
          size: a.size,
          queueOffset: offsets[i]!,
          storeTimestamp: now,
          msgId: createOffsetMessageId(m.storeHost, a.physicalOffset),
        });
        i++;
      }
      const end = results[results.length - 1]!;
      const endOffset = end.physicalOffset + end.size;
      this.flushService.complete(endOffset, put.wait, results, put.resolve, now);
    }
    this.flushService.drained();
  }

  /** Gives back the queue offsets a drain took when its append failed: the earliest wins. */
  private rewindQueueOffsets(batch: PendingPut[], offsets: number[]): void {
    let i = offsets.length;
    for (let p = batch.length - 1; p >= 0; p--) {
      const messages = batch[p]!.messages;
      for (let j = messages.length - 1; j >= 0; j--) {
        const m = messages[j]!;
        i--;
        if (takesQueueOffset(m.sysFlag)) {
          this.nextQueueOffset.set(queueKeys.of(m.topic, m.queueId), offsets[i]!);
        }
      }
    }
    assert(i === 0, "one offset per message of the drain");
  }

  /** The fast path: dispatch what this drain appended from the values it already holds. */
  private dispatchKnown(
    batch: PendingPut[],
    appended: { physicalOffset: number; size: number }[],
    offsets: number[],
    storeTimestamp: number,
  ): void {
    const sources: DispatchSource[] = [];
    let k = 0;
    for (const put of batch) {
      for (const m of put.messages) {
        const a = appended[k]!;
        sources.push({
          topic: m.topic,
          queueId: m.queueId,
          queueOffset: offsets[k]!,
          position: a.physicalOffset,
          totalSize: a.size,
          storeTimestamp,
          sysFlag: m.sysFlag,
          properties: m.properties,
        });
        k++;
      }
    }
    try {
      this.dispatcher.dispatchAppended(sources, this.commitLog.writePosition);
    } catch (error) {
      this.options.log.error(`dispatch failed at ${this.dispatcher.reputOffset}: ${error}`);
    }
  }

  /**
   * Builds queue units and index entries for what was just appended. A failure here (an IO
   * error on a queue file) does not undo the append: the records are in the commit log and the
   * next recovery re-dispatches them; it is logged and dispatch resumes on the next append.
   */
  private dispatchAppended(written?: WrittenBytes): void {
    try {
      if (!this.dispatcher.run(written)) {
        this.options.log.error(`dispatch stopped at ${this.dispatcher.reputOffset}: not a record`);
      }
    } catch (error) {
      this.options.log.error(`dispatch failed at ${this.dispatcher.reputOffset}: ${error}`);
    }
  }

  /**
   * Messages of one queue from `queueOffset`: at most `maxCount` and, past the first, no more
   * than `maxBytes` (RocketMQ's isTheBatchFull; `read.disk` adds its tighter limits for records
   * no longer likely in the page cache). At most max(800, maxCount) units are scanned, as
   * RocketMQ scans 16,000 bytes of queue for a filter that passes few.
   */
  getMessage(
    topic: string,
    queueId: number,
    queueOffset: number,
    maxCount: number,
    maxBytes: number,
    read: GetOptions = {},
  ): GetResult {
    const queue = this.queues.get(topic, queueId);
    if (!queue) return emptyResult(GetMessageStatus.NO_MATCHED_LOGIC_QUEUE, 0);
    const { minOffset, maxOffset } = queue;
    if (maxOffset === 0)
      return emptyResult(GetMessageStatus.NO_MESSAGE_IN_QUEUE, 0, minOffset, maxOffset);
    if (queueOffset < minOffset)
      return emptyResult(GetMessageStatus.OFFSET_TOO_SMALL, minOffset, minOffset, maxOffset);
    if (queueOffset === maxOffset)
      return emptyResult(GetMessageStatus.OFFSET_OVERFLOW_ONE, queueOffset, minOffset, maxOffset);
    if (queueOffset > maxOffset) {
      // To the end, as RocketMQ 4.9.7 does (before 4.9.4: to 0 when minOffset was 0).
      return emptyResult(GetMessageStatus.OFFSET_OVERFLOW_BADLY, maxOffset, minOffset, maxOffset);
    }
    const { accept, acceptRecord, bodyScratch, disk } = read;
    const countMax = Math.max(maxCount, 1);
    const result: GetResult = emptyResult(
      GetMessageStatus.NO_MATCHED_MESSAGE,
      queueOffset,
      minOffset,
      maxOffset,
    );
    const logEnd = this.commitLog.writePosition;
    const logStart = this.commitLog.files.minOffset();
    const scanMax = Math.max(filterScanUnitsMin, countMax);
    let next = queueOffset;
    let count = 0;
    let bytes = 0;
    let removed = false;
    let anyUnit = false;
    // With no filter on the bytes themselves, units are only picked here and read afterwards,
    // all into one buffer (the pull answer's body), rather than one copy each and a join.
    const picked: { unit: ConsumeQueueUnit; at: number }[] = [];
    // Units come in windows of a few batches: a filter that passes most needs one, and a
    // scan of 800 units is made only for a filter that passes few.
    scan: while (next - queueOffset < scanMax) {
      const window = Math.min(scanMax - (next - queueOffset), countMax * 4);
      const units = queue.unitsFrom(next, window);
      if (units.length === 0) break;
      anyUnit = true;
      for (const unit of units) {
        result.lastScannedPhysicalOffset = unit.physicalOffset;
        if (count > 0) {
          if (count >= countMax) break scan;
          const inDisk = disk !== undefined && logEnd - unit.physicalOffset > disk.inMemoryBytes;
          if (bytes + unit.size > (inDisk ? disk.bytesMax : maxBytes)) break scan;
          if (inDisk && count >= disk.countMax) break scan;
        }
        const at = next++;
        if (unit.size === 0x7fffffff) continue;
        if (unit.physicalOffset < logStart) {
          removed = true;
          continue;
        }
        if (accept !== undefined && !accept(unit.tagsCode)) continue;
        if (acceptRecord === undefined) {
          picked.push({ unit, at });
          bytes += unit.size;
          count++;
          continue;
        }
        const record = this.commitLog.read(unit.physicalOffset, unit.size);
        if (!record || record.length !== unit.size || readInt32(record, 0) !== unit.size) continue;
        if (!acceptRecord(record)) continue;
        result.messages.push({
          physicalOffset: unit.physicalOffset,
          queueOffset: at,
          bytes: record,
        });
        bytes += unit.size;
        count++;
      }
      if (units.length < window) break; // the queue's end
    }
    if (picked.length > 0) this.readPicked(picked, bytes, result, bodyScratch);
    result.nextBeginOffset = next;
    if (result.messages.length > 0) result.status = GetMessageStatus.FOUND;
    else if (removed) result.status = GetMessageStatus.MESSAGE_WAS_REMOVING;
    else if (!anyUnit) result.status = GetMessageStatus.OFFSET_FOUND_NULL;
    return result;
  }

  /** Reads picked units back to back into one body; result's messages are views of it. */
  private readPicked(
    picked: { unit: { physicalOffset: number; size: number }; at: number }[],
    bytes: number,
    result: GetResult,
    bodyScratch: ScratchBytes | undefined,
  ): void {
    const body = bodyScratch ? bodyScratch.take(bytes) : new Uint8Array(bytes);
    let filled = 0;
    for (const { unit, at } of picked) {
      if (!this.commitLog.readInto(unit.physicalOffset, unit.size, body, filled)) continue;
      // A damaged unit can point into other records: only bytes that start with a record of
      // the unit's size are sent, as if the unit could not be read at all.
      if (readInt32(body, filled) !== unit.size) continue;
      const record = body.subarray(filled, filled + unit.size);
      result.messages.push({ physicalOffset: unit.physicalOffset, queueOffset: at, bytes: record });
      filled += unit.size;
    }
    result.body = filled === bytes ? body : body.subarray(0, filled);
  }

  /**
   * A slave's append: the master's commit log bytes at `offset`, which must be where this log
   * ends (false otherwise: the caller resyncs). Complete records are dispatched at once; a
   * record cut at the end waits for the rest. Throws on IO error, as puts fail.
   */
  appendReplicated(offset: number, bytes: Uint8Array): boolean {
    const log = this.commitLog;
    if (log.writePosition === 0 && log.files.segmentStarts().length === 0 && offset > 0) {
      // An empty slave follows a master from the start of its last segment (spec §9.1).
      if (offset % log.segmentSizeBytes !== 0) return false;
      log.writePosition = offset;
      log.flushedPosition = offset;
      this.dispatcher.reputOffset = offset;
    }
    if (offset !== this.commitLog.writePosition) return false;
    if (bytes.length === 0) return true;
    this.commitLog.appendRaw(offset, bytes);
    this.dispatchAppended({ start: offset, bytes });
    const stored = this.dispatcher.lastDispatchedStoreTimestamp;
    if (stored > this.commitLog.lastStoreTimestamp) this.commitLog.lastStoreTimestamp = stored;
    if (stored > this.lastStoreTimestamp) this.lastStoreTimestamp = stored;
    return true;
  }

  /**
   * Cuts the log back to `endOffset` (a record boundary) with everything derived from it; a
   * replica does this before it follows a new master. Nothing may be waiting to be put.
   */
  truncateTo(endOffset: number): void {
    assert(this.pending.length === 0, "no puts are pending while a replica truncates");
    truncateStoreTo(this, endOffset);
    this.recoverQueueOffsets();
    this.options.log.warn(`commit log truncated to ${endOffset}`);
  }

  /**
   * Sets the next queue offset of every queue from its consume queue (RocketMQ's
   * recoverTopicQueueTable). A slave's replicated appends build queues without touching the
   * writer's counters: a slave that becomes master calls this before its first put, or its
   * puts would reuse queue offsets its queues already hold.
   */
  recoverQueueOffsets(): void {
    this.nextQueueOffset.clear();
    for (const queue of this.queues.all()) {
      this.nextQueueOffset.set(queueKeys.of(queue.topic, queue.queueId), queue.maxOffset);
    }
  }

  /** Dispatches up to `offset` from now on (Infinity: everything), and catches up to it. */
  setDispatchLimit(offset: number): void {
    this.dispatcher.endLimit = offset;
    this.dispatchAppended();
  }

  /** Commit log bytes not yet turned into queue units and index entries. */
  dispatchBehindBytes(): number {
    return Math.max(0, this.commitLog.writePosition - this.dispatcher.reputOffset);
  }

  /** Up to `maxCount` raw units of a queue from `queueOffset` (fillers included), in order. */
  queueUnits(
    topic: string,
    queueId: number,
    queueOffset: number,
    maxCount: number,
  ): ConsumeQueueUnit[] {
    return this.queues.get(topic, queueId)?.unitsFrom(queueOffset, maxCount) ?? [];
  }

  /** The record at a physical offset, or undefined. */
  lookMessageByOffset(physicalOffset: number): StoredRecord | undefined {
    return this.readRecordAt(physicalOffset)?.record;
  }

  /**
   * The record at a physical offset and its stored bytes (what VIEW_MESSAGE_BY_ID answers), or
   * undefined when no record decodes there.
   */
  readRecordAt(physicalOffset: number): { record: StoredRecord; bytes: Uint8Array } | undefined {
    const head = this.commitLog.read(physicalOffset, 4);
    if (!head || head.length < 4) return undefined;
    const size = new DataView(head.buffer, head.byteOffset, 4).getInt32(0);
    if (size <= 0 || physicalOffset + size > this.commitLog.writePosition) return undefined;
    const bytes = this.commitLog.read(physicalOffset, size);
    if (!bytes) return undefined;
    const result = decodeRecord(bytes, 0, { checkCrc: false, basePosition: physicalOffset });
    return result.kind === "record" ? { record: result.record, bytes } : undefined;
  }

  /** Records stored under `topic#key` between beginMs and endMs, newest first. */
  queryMessage(
    topic: string,
    key: string,
    maxCount: number,
    beginMs: number,
    endMs: number,
  ): StoredRecord[] {
    if (!this.index) return [];
    const out: StoredRecord[] = [];
    for (const offset of this.index.query(`${topic}#${key}`, beginMs, endMs, maxCount)) {
      const record = this.lookMessageByOffset(offset);
      if (record) out.push(record);
    }
    return out;
  }

  minOffsetInQueue(topic: string, queueId: number): number {
    return this.queues.get(topic, queueId)?.minOffset ?? 0;
  }

  maxOffsetInQueue(topic: string, queueId: number): number {
    return this.queues.get(topic, queueId)?.maxOffset ?? 0;
  }

  /** Store time of the record at a queue offset, or undefined. */
  storeTimeAt(topic: string, queueId: number, queueOffset: number): number | undefined {
    const unit = this.queues.get(topic, queueId)?.unitAt(queueOffset);
    if (!unit || unit.size === 0x7fffffff) return undefined;
    return this.lookMessageByOffset(unit.physicalOffset)?.storeTimestamp;
  }

  /** The first queue offset whose store time is >= timestampMs (SEARCH_OFFSET_BY_TIMESTAMP). */
  offsetByTime(topic: string, queueId: number, timestampMs: number): number {
    const queue = this.queues.get(topic, queueId);
    if (!queue) return 0;
    let low = queue.minOffset;
    let high = queue.maxOffset;
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      const time = this.storeTimeAt(topic, queueId, mid);
      if (time === undefined || time < timestampMs) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Flush now (tests, shutdown, and the broker's admin flush). */
  flush(): void {
    this.flushService.flushAll();
  }
}

/** A get's result with no messages yet (a plain function: a pull makes one or two of these). */
function emptyResult(
  status: GetMessageStatusValue,
  nextBeginOffset: number,
  minOffset = 0,
  maxOffset = 0,
): GetResult {
  return {
    status,
    nextBeginOffset,
    minOffset,
    maxOffset,
    messages: [],
    lastScannedPhysicalOffset: -1,
  };
}
