// Retention (spec §5.11), driven by the store's clock every cleanResourceInterval:
// - commit log files older than fileReservedTime hours (by modification time) are deleted,
//   oldest first, at most deleteFileBatchMax per pass, never the newest file and never one
//   holding records not yet dispatched or flushed, when the local hour is in deleteWhen, or the
//   disk is above diskMaxUsedSpaceRatio, or a deletion was requested; above
//   diskSpaceCleanForciblyRatio they go even before they expire;
// - then consume-queue files and index files that only point below the new minimum;
// - above diskSpaceWarningLevelRatio the store refuses writes until usage drops again.
// Deletion stops at the first file that is not expired, so the kept range stays contiguous.

import type { Clock } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import { hourMs } from "../common/units.ts";
import type { StoreConfig } from "../config/store_config.ts";
import type { DiskSpace, FileIO } from "./file_io.ts";
import type { MessageStore } from "./message_store.ts";
import { listSegments } from "./segments.ts";

export function parseDeleteWhen(value: string): Set<number> {
  const hours = new Set<number>();
  for (const part of value.split(";")) {
    const hour = Number(part.trim());
    if (part.trim() !== "" && Number.isInteger(hour) && hour >= 0 && hour <= 23) hours.add(hour);
  }
  return hours;
}

/**
 * Percent of the file system in use, as `df` and RocketMQ 4.9.7 (UtilAll#
 * getDiskPartitionSpaceUsedPercent) count it: used / (used + usable), rounded up to a whole
 * percent, so blocks reserved for root count neither as used nor as room. Counting them as used
 * (1 - usable / total) put this machine's disk at 69 % where df said 24 %, and retention
 * deleted expired files at 75 % long before RocketMQ would.
 */
export function diskUsedPercent(space: DiskSpace): number {
  const usedBytes = space.totalBytes - space.freeBytes;
  const entireBytes = usedBytes + space.usableBytes;
  if (space.totalBytes <= 0 || entireBytes <= 0) return 0;
  return Math.ceil((usedBytes * 100) / entireBytes);
}

export interface RetentionPass {
  usedRatioPercent: number;
  deletedCommitLogFiles: number;
  deletedQueueFiles: number;
  deletedIndexFiles: number;
  diskFull: boolean;
}

export class RetentionService {
  private manualRequest = false;
  private readonly deleteHours: Set<number>;

  constructor(
    private readonly store: MessageStore,
    private readonly io: FileIO,
    private readonly config: StoreConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.deleteHours = parseDeleteWhen(config.deleteWhen);
  }

  /** DELETE_EXPIRED_COMMITLOG: the next pass deletes expired files whatever the hour. */
  requestDeletion(): void {
    this.manualRequest = true;
  }

  run(): RetentionPass {
    const used = diskUsedPercent(this.io.diskSpace(this.store.paths.commitLog));
    const diskFull = used >= this.config.diskSpaceWarningLevelRatio;
    if (diskFull !== this.store.diskFull) {
      this.log.warn(
        diskFull
          ? `disk ${used.toFixed(1)}% used: refusing writes`
          : "disk usage back to normal: writes allowed",
      );
      this.store.diskFull = diskFull;
    }
    const pass: RetentionPass = {
      usedRatioPercent: used,
      deletedCommitLogFiles: 0,
      deletedQueueFiles: 0,
      deletedIndexFiles: 0,
      diskFull,
    };
    const hourNow = new Date(this.clock.nowMs()).getHours();
    const due =
      this.deleteHours.has(hourNow) ||
      used >= this.config.diskMaxUsedSpaceRatio ||
      this.manualRequest;
    if (!due) return pass;
    this.manualRequest = false;
    pass.deletedCommitLogFiles = this.deleteCommitLogFiles(
      used >= this.config.diskSpaceCleanForciblyRatio,
    );
    if (pass.deletedCommitLogFiles > 0) {
      const min = this.store.commitLog.files.minOffset();
      for (const queue of this.store.queues.all()) pass.deletedQueueFiles += queue.deleteBelow(min);
      pass.deletedIndexFiles = this.store.index?.deleteBelow(min) ?? 0;
      this.log.info(
        `retention: deleted ${pass.deletedCommitLogFiles} commit log files; min offset now ${min}`,
      );
    }
    return pass;
  }

  private deleteCommitLogFiles(forcibly: boolean): number {
    const { commitLog, dispatcher } = this.store;
    const { segments } = listSegments(this.io, this.store.paths.commitLog);
    const now = this.clock.nowMs();
    const reservedMs = this.config.fileReservedTime * hourMs;
    let deleted = 0;
    for (const segment of segments.slice(0, -1)) {
      if (deleted >= this.config.deleteFileBatchMax) break;
      const end = segment.startOffset + segment.sizeBytes;
      if (end > dispatcher.reputOffset || end > commitLog.flushedPosition) break;
      const expired = this.io.mtimeMs(segment.path) + reservedMs <= now;
      if (!expired && !forcibly) break;
      commitLog.files.removeFirstSegment();
      deleted++;
    }
    return deleted;
  }
}
