// Recovery at start (spec §5.9). The abort file says whether the last stop was clean.
//
// 1. Load the commit log segments, recover each consume queue (cut at its first invalid unit),
//    and open the index (after an unclean stop, drop index files newer than the checkpoint).
// 2. Scan the commit log from a bounded start: the segment holding what dispatch already
//    covered (clean stop) or the newest segment stored entirely before the checkpoint's time
//    (unclean stop). The end of valid records is the new write position; the rest is cut.
// 3. Cut consume-queue units that point past that end (after an unclean stop: every unit from
//    the scan start, as it may be torn), then re-dispatch from the start of the scan (unclean)
//    or the dispatched end (clean): units and index entries are idempotent.
// Cost is bounded by the unflushed tail, not by the size of the store.

import type { Logger } from "../common/log.ts";
import type { StoreConfig } from "../config/store_config.ts";
import { checkpointMinTimestamp } from "./checkpoint_codec.ts";
import { decodeRecord, MESSAGE_MAGIC_CODE_V1, MESSAGE_MAGIC_CODE_V2 } from "./commit_log_codec.ts";
import { scanCommitLog } from "./commit_log_scan.ts";
import type { FileIO } from "./file_io.ts";
import type { MessageStore } from "./message_store.ts";

export function recoverStore(
  store: MessageStore,
  io: FileIO,
  config: StoreConfig,
  log: Logger,
): { abnormal: boolean; recoveredEnd: number } {
  const abnormal = io.exists(store.paths.abort);
  const checkpoint = store.checkpoint.load();
  store.commitLog.files.load();
  store.queues.recoverAll(abnormal);
  const indexFrom = store.index?.load(
    abnormal,
    checkpoint.indexMsgTimestamp,
    checkpoint.rmqDurablePhyOffset,
  );
  const dispatchedEnd = store.queues.maxPhysicalEnd();

  // After a clean stop every record up to the dispatched end is known good: start there.
  const cleanFrom = dispatchedEnd > 0 ? dispatchedEnd : segmentHolding(store, 0);
  const minTimestamp = checkpointMinTimestamp(checkpoint, false);
  // rmq's own checkpoints say exactly where durable data ends; RocketMQ's say when.
  const exact = checkpoint.rmqDurablePhyOffset;
  const exactKnown = exact !== undefined && exact <= store.commitLog.files.capacityEnd();
  // With an exact offset, units past it may never have reached the files (dispatch keeps them
  // in memory until a flush), queue by queue: a boundary found from the queues' timestamps
  // could skip another queue's lost units, so it is not used then.
  const scanFrom = !abnormal
    ? Math.max(cleanFrom, store.commitLog.files.minOffset())
    : exactKnown
      ? Math.max(exact, store.commitLog.files.minOffset())
      : Math.max(
          durableBoundary(store, minTimestamp),
          Math.min(segmentBefore(store, minTimestamp), segmentHolding(store, dispatchedEnd)),
        );
  const scan = scanCommitLog(io, store.paths.commitLog, {
    checkCrc: config.checkCRCOnRecover,
    fromOffset: scanFrom,
  });
  let lastStoreTimestamp = 0;
  let step = scan.next();
  for (; !step.done; step = scan.next()) {
    const item = step.value;
    if (item.kind === "record") lastStoreTimestamp = item.record.storeTimestamp;
    if (item.kind === "corrupt")
      log.warn(`recovery: cutting the commit log at ${item.position}: ${item.reason}`);
    if (item.kind === "gap")
      log.warn(`recovery: commit log segments do not meet at ${item.position}`);
  }
  const end = step.value.endOffset;
  const files = store.commitLog.files;
  // After a clean stop nothing past the end was ever written: skip zeroing the tail.
  if (!files.isEmpty() && end < files.capacityEnd()) files.truncateAt(end, abnormal);
  store.commitLog.writePosition = end;
  store.commitLog.flushedPosition = end;
  store.commitLog.lastStoreTimestamp = lastStoreTimestamp;
  store.commitLog.flushedStoreTimestamp = lastStoreTimestamp;

  for (const queue of store.queues.all()) {
    queue.truncateByPhysical(end);
    // After an unclean stop, units written after the scan start may be torn (written back
    // partially): drop them; re-dispatch rebuilds them from the commit log.
    if (abnormal) queue.truncateFromPhysical(scanFrom);
  }
  let reputFrom = abnormal ? scanFrom : Math.min(store.queues.maxPhysicalEnd(), end);
  const indexCut = store.index?.dropFilesReaching(end);
  if (indexFrom !== undefined) reputFrom = Math.min(reputFrom, indexFrom);
  if (indexCut !== undefined) reputFrom = Math.min(reputFrom, indexCut);
  reputFrom = Math.max(reputFrom, files.minOffset());
  const rebuildFrom = damagedQueuesRebuildFrom(store, log);
  store.dispatcher.reputOffset = Math.max(Math.min(rebuildFrom, reputFrom), files.minOffset());
  if (!store.dispatcher.run()) {
    const stoppedAt = store.dispatcher.reputOffset;
    if (stoppedAt < reputFrom) {
      // Below where recovery checked the log, a record does not decode: the rebuild of the
      // damaged queues ends there, and dispatch goes on from where it would have anyway.
      log.warn(`recovery: rebuilding consume queues stopped at ${stoppedAt}: not a record`);
      store.dispatcher.reputOffset = reputFrom;
      if (!store.dispatcher.run()) {
        log.error(`recovery: re-dispatch stopped at ${store.dispatcher.reputOffset}`);
      }
    } else {
      log.error(`recovery: re-dispatch stopped at ${stoppedAt}`);
    }
  }
  store.queues.flush();
  store.index?.flush();
  if (abnormal || end !== dispatchedEnd) {
    log.info(
      `recovery (${abnormal ? "after an unclean stop" : "clean"}): commit log ends at ${end}`,
    );
  }
  return { abnormal, recoveredEnd: end };
}

/**
 * A record boundary everything before which is durable, with its queue units: the end of the
 * newest record, over all queues, stored at or before the checkpoint's minimum time. The commit
 * log is flushed in order and the checkpoint's times are written only after the commit log and
 * the queues covering them were flushed, so nothing before this point needs re-deriving.
 * 0 when no unit qualifies (then recovery falls back to segment granularity).
 */
function durableBoundary(store: MessageStore, minTimestampMs: number): number {
  if (minTimestampMs <= 0) return 0;
  let boundary = 0;
  for (const queue of store.queues.all()) {
    let low = queue.minOffset;
    let high = queue.maxOffset; // search the last unit with storeTime <= min in [low, high)
    let best = -1;
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      const unit = queue.unitAt(mid);
      const time = unit ? storeTimestampAt(store, unit.physicalOffset, unit.size) : undefined;
      if (time !== undefined && time <= minTimestampMs) {
        best = mid;
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    const unit = best >= 0 ? queue.unitAt(best) : undefined;
    if (unit && recordIsIntact(store, unit.physicalOffset, unit.size)) {
      boundary = Math.max(boundary, unit.physicalOffset + unit.size);
    }
  }
  return boundary;
}

/**
 * STORETIMESTAMP of the record at `offset`, read from its fixed-position fields; undefined
 * unless the bytes there start like a record of `size` bytes (lost or torn bytes after a crash
 * must not pass for an old, durable record).
 */
function storeTimestampAt(store: MessageStore, offset: number, size: number): number | undefined {
  const head = store.commitLog.read(offset, 80);
  if (!head || head.length < 80) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const magic = view.getInt32(4);
  if (view.getInt32(0) !== size) return undefined;
  if (magic !== MESSAGE_MAGIC_CODE_V1 && magic !== MESSAGE_MAGIC_CODE_V2) return undefined;
  const sysFlag = view.getInt32(36);
  const bornHostBytes = (sysFlag & 0x10) !== 0 ? 20 : 8;
  const at = 48 + bornHostBytes;
  return Number(view.getBigInt64(at));
}

/** The record at `offset` decodes with its body CRC and has `size` bytes. */
function recordIsIntact(store: MessageStore, offset: number, size: number): boolean {
  const bytes = store.commitLog.read(offset, size);
  if (!bytes || bytes.length !== size) return false;
  const result = decodeRecord(bytes, 0, { checkCrc: true, basePosition: offset });
  return result.kind === "record" && result.record.totalSize === size;
}

/** Start of the segment holding `offset` (or the last segment, or 0). */
function segmentHolding(store: MessageStore, offset: number): number {
  const starts = store.commitLog.files.segmentStarts();
  let chosen = starts[0] ?? 0;
  for (const start of starts) if (start <= offset) chosen = start;
  return chosen;
}

/** Start of the newest segment whose first record was stored at or before `timestampMs`. */
function segmentBefore(store: MessageStore, timestampMs: number): number {
  const starts = store.commitLog.files.segmentStarts();
  for (let i = starts.length - 1; i >= 0; i--) {
    const start = starts[i]!;
    const sizeBytes = store.commitLog.read(start, 4);
    if (!sizeBytes || sizeBytes.length < 4) continue;
    const size = new DataView(sizeBytes.buffer, sizeBytes.byteOffset, 4).getInt32(0);
    if (size <= 0 || size > store.commitLog.segmentSizeBytes) continue;
    const head = store.commitLog.read(start, size);
    if (!head) continue;
    const first = decodeRecord(head, 0, { checkCrc: false, basePosition: start });
    if (first.kind === "record" && first.record.storeTimestamp <= timestampMs) return start;
  }
  return starts[0] ?? 0;
}

/**
 * Where to dispatch from to rebuild queues that recovery cut at a damaged unit (Infinity when
 * none was): their units after it are gone, their records are not. Queues that have the units
 * already skip them, and so does the index.
 */
function damagedQueuesRebuildFrom(store: MessageStore, log: Logger): number {
  let from = Infinity;
  for (const queue of store.queues.all()) {
    if (!queue.cutAtDamage) continue;
    log.warn(
      `recovery: consume queue ${queue.topic}/${queue.queueId} has a damaged unit at ` +
        `${queue.maxOffset}; rebuilding it from the commit log at ${queue.maxPhysicalEnd}`,
    );
    from = Math.min(from, queue.maxPhysicalEnd);
  }
  return from;
}
