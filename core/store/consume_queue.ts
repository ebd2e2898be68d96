// One consume queue (spec §5.5): 20-byte units in fixed-size files, written by dispatch in
// queue-offset order, read by pulls. Idempotent: a unit below maxOffset is already there (a
// re-dispatch after recovery) and is skipped.

import { assert } from "../common/assert.ts";
import {
  CQ_STORE_UNIT_SIZE,
  decodeUnit,
  encodeUnit,
  type ConsumeQueueUnit,
} from "./consume_queue_codec.ts";
import { damageLookAheadUnits, FILLER_UNIT_SIZE, firstDecodingUnit } from "./consume_queue_read.ts";
import type { FileIO } from "./file_io.ts";
import { MappedFileQueue } from "./mapped_file_queue.ts";
import { RecentBytes } from "./recent_bytes.ts";

/**
 * The newest units of a queue kept in memory: a consumer that keeps up asks for units written a
 * moment ago, and without this every pull was a read syscall for 20 or 40 bytes. 2048 units
 * (40 KiB, allocated on a queue's first write) cover a busy queue's last fraction of a second.
 */
const recentUnitsBytes = 2048 * CQ_STORE_UNIT_SIZE;

/**
 * Dispatch leaves a queue's gathered units in memory until this many bytes wait (512 units)
 * or the consume queue flush runs; readers get them from there. One positional write per dispatch
 * run and queue was 13 % of a SYNC_FLUSH store's time with 256 appenders (4 queues, ~85 puts per
 * run). Safe across kill -9: the checkpoint's durable offset comes from a mark taken before the
 * flush writes every pending unit, and recovery re-dispatches from that offset.
 */
const pendingWriteBytesMin = 512 * CQ_STORE_UNIT_SIZE;

/** What a damaged unit reads as: a filler, which holds no message. */
const damagedUnit: ConsumeQueueUnit = { physicalOffset: 0, size: FILLER_UNIT_SIZE, tagsCode: 0 };

export class ConsumeQueue {
  readonly files: MappedFileQueue;
  /** Next logical offset to write. */
  maxOffset = 0;
  /** First logical offset still readable. */
  minOffset = 0;
  /** One past the end of the newest record a unit points at. */
  maxPhysicalEnd = 0;
  /** The dispatcher's run that last put a unit here (its list of touched queues, deduplicated). */
  touchedInRun = -1;
  /**
   * Set by recover() when it cut this queue at a damaged unit that valid ones followed (not at
   * the natural end of its units): the commit log holds those records, and recovery
   * re-dispatches from this queue's maxPhysicalEnd to rebuild them.
   */
  cutAtDamage = false;
  private pending = new Uint8Array(CQ_STORE_UNIT_SIZE * 64);
  private pendingView = new DataView(this.pending.buffer);
  private pendingBytes = 0;
  private pendingStart = 0;
  private readonly recent = new RecentBytes(recentUnitsBytes);

  constructor(
    io: FileIO,
    readonly dir: string,
    readonly topic: string,
    readonly queueId: number,
    fileSizeBytes: number,
  ) {
    assert(fileSizeBytes % CQ_STORE_UNIT_SIZE === 0, "queue files hold whole units");
    this.files = new MappedFileQueue(io, dir, fileSizeBytes);
  }

  /**
   * Loads the files and finds the end of valid units, scanning only from the third-last file
   * (earlier ones are full), as RocketMQ's ConsumeQueue#recover; cuts anything after it.
   */
  recover(abnormal: boolean): void {
    this.files.load();
    const starts = this.files.segmentStarts();
    if (starts.length === 0) return;
    const first = starts[Math.max(0, starts.length - 3)]!;
    let position = first;
    let lastGood: ConsumeQueueUnit | undefined;
    const chunkBytes = CQ_STORE_UNIT_SIZE * 4096;
    scan: for (;;) {
      const bytes = this.files.read(position, chunkBytes);
      if (!bytes || bytes.length < CQ_STORE_UNIT_SIZE) break;
      for (let p = 0; p + CQ_STORE_UNIT_SIZE <= bytes.length; p += CQ_STORE_UNIT_SIZE) {
        const unit = decodeUnit(bytes, p);
        if (!unit) {
          this.cutAtDamage = this.validUnitAfter(position);
          break scan;
        }
        if (unit.size !== FILLER_UNIT_SIZE) lastGood = unit;
        position += CQ_STORE_UNIT_SIZE;
      }
    }
    this.maxOffset = position / CQ_STORE_UNIT_SIZE;
    this.minOffset = this.firstRealOffset() ?? this.maxOffset;
    // Damage at the start of the scanned files leaves no good unit in them: the last one is in
    // the file before (else a rebuild would dispatch the whole commit log again).
    lastGood ??= this.lastRealUnitBefore(first / CQ_STORE_UNIT_SIZE);
    this.maxPhysicalEnd = lastGood ? lastGood.physicalOffset + lastGood.size : 0;
    // After an unclean stop, bytes past the last valid unit may be stale: zero them. After a
    // clean stop the files end where the units do, and the scan of the tail is skipped.
    if (abnormal || position < this.files.capacityEnd() - this.files.segmentSizeBytes) {
      this.recent.truncate(position); // first: forgetting early only sends reads to the files
      this.files.truncateAt(position, abnormal);
    }
  }

  /**
   * Whether units decode again after the one at byte `position` (looked for as
   * damageLookAheadUnits says): then it is damage, not the end of the units.
   */
  private validUnitAfter(position: number): boolean {
    const after = position + CQ_STORE_UNIT_SIZE;
    const window = this.files.read(after, damageLookAheadUnits * CQ_STORE_UNIT_SIZE);
    if (window && firstDecodingUnit(window, 0, damageLookAheadUnits) !== undefined) return true;
    const size = this.files.segmentSizeBytes;
    for (
      let start = this.files.segmentStartFor(position) + size;
      start < this.files.capacityEnd();
      start += size
    ) {
      const head = this.files.read(start, CQ_STORE_UNIT_SIZE);
      if (head && decodeUnit(head, 0)) return true;
    }
    return false;
  }

  /** The last unit before `queueOffset` that is not a filler, looking back 4,096 at most. */
  private lastRealUnitBefore(queueOffset: number): ConsumeQueueUnit | undefined {
    const floor = Math.max(this.files.minOffset() / CQ_STORE_UNIT_SIZE, queueOffset - 4096);
    for (let offset = queueOffset - 1; offset >= floor; offset--) {
      const unit = this.unitAt(offset);
      if (unit && unit.size !== FILLER_UNIT_SIZE) return unit;
    }
    return undefined;
  }

  private firstRealOffset(): number | undefined {
    for (
      let offset = this.files.minOffset() / CQ_STORE_UNIT_SIZE;
      offset < this.maxOffset;
      offset++
    ) {
      const unit = this.unitAt(offset);
      if (unit && unit.size !== FILLER_UNIT_SIZE) return offset;
    }
    return undefined;
  }

  /** Writes the unit for `queueOffset`; skipped if already present; fills a gap with fillers. */
  put(queueOffset: number, unit: ConsumeQueueUnit): void {
    if (queueOffset < this.maxOffset) return;
    if (this.files.isEmpty() && this.maxOffset === 0 && queueOffset > 0) {
      // A queue whose old files were purged restarts inside a file at queueOffset; the units
      // before it in that file are fillers, as RocketMQ's fillPreBlank writes.
      this.maxOffset = this.alignedFirstOffset(queueOffset);
      this.minOffset = queueOffset;
    }
    while (this.maxOffset < queueOffset) {
      this.writeUnit(this.maxOffset, { physicalOffset: 0, size: FILLER_UNIT_SIZE, tagsCode: 0 });
    }
    this.writeUnit(queueOffset, unit);
    this.maxPhysicalEnd = unit.physicalOffset + unit.size;
  }

  private alignedFirstOffset(queueOffset: number): number {
    return this.startBytesFor(queueOffset) / CQ_STORE_UNIT_SIZE;
  }

  private startBytesFor(queueOffset: number): number {
    return this.files.segmentStartFor(queueOffset * CQ_STORE_UNIT_SIZE);
  }

  /**
   * Units are gathered in memory and written with one positional write per file by
   * writePending(): when enough wait (dispatch asks at the end of every run), before the files
   * are cut, and by flush. Reads take them from memory meanwhile (readBytes): writing them for
   * a pull was a write per queue per drain with a consumer that keeps up, some of which took
   * 0.5-2.8 ms of the event loop while another file's fdatasync ran.
   */
  private writeUnit(queueOffset: number, unit: ConsumeQueueUnit): void {
    const at = queueOffset * CQ_STORE_UNIT_SIZE;
    const fileEnd = this.files.segmentStartFor(this.pendingStart) + this.files.segmentSizeBytes;
    if (this.pendingBytes > 0 && (at !== this.pendingStart + this.pendingBytes || at >= fileEnd)) {
      this.writePending();
    }
    if (this.pendingBytes === 0) this.pendingStart = at;
    if (this.pendingBytes + CQ_STORE_UNIT_SIZE > this.pending.length) {
      const grown = new Uint8Array(this.pending.length * 2);
      grown.set(this.pending.subarray(0, this.pendingBytes));
      this.pending = grown;
      this.pendingView = new DataView(grown.buffer);
    }
    encodeUnit(this.pending, this.pendingBytes, unit, this.pendingView);
    this.pendingBytes += CQ_STORE_UNIT_SIZE;
    this.maxOffset = queueOffset + 1;
  }

  /**
   * Writes the gathered units (a no-op when none are pending). When the write throws (a full
   * disk, EIO) they stay gathered, so readers still get them from memory; the files refuse
   * writes from then on (sticky error) and a restart re-dispatches them from the commit log.
   */
  writePending(): void {
    if (this.pendingBytes === 0) return;
    const bytes = this.pending.subarray(0, this.pendingBytes);
    this.files.write(this.pendingStart, bytes);
    this.pendingBytes = 0;
    this.recent.wrote(this.pendingStart, bytes);
  }

  /** Writes the gathered units once enough wait (see pendingWriteBytesMin). */
  writePendingIfFull(): void {
    if (this.pendingBytes >= pendingWriteBytesMin) this.writePending();
  }

  /**
   * Units' bytes from `at`, at most `length`: gathered units not yet written come from the
   * pending buffer (a read ending there returns only the written part before it; callers read
   * on), written ones from the recent ring when held and not retired, else from the file. The
   * bytes are valid until the next write to this queue: callers decode them at once.
   */
  private readBytes(at: number, length: number): Uint8Array | undefined {
    if (this.pendingBytes > 0) {
      const pendingEnd = this.pendingStart + this.pendingBytes;
      if (at >= this.pendingStart && at < pendingEnd) {
        const end = Math.min(pendingEnd, at + length);
        return this.pending.subarray(at - this.pendingStart, end - this.pendingStart);
      }
      if (at < this.pendingStart) length = Math.min(length, this.pendingStart - at);
    }
    // With no files left (all retired or cut) minOffset() is 0: nothing is answered then.
    if (!this.files.isEmpty() && at >= this.files.minOffset()) {
      const held = this.recent.read(at, length);
      if (held) return held;
    }
    return this.files.read(at, length);
  }

  unitAt(queueOffset: number): ConsumeQueueUnit | undefined {
    if (queueOffset < 0 || queueOffset >= this.maxOffset) return undefined;
    const bytes = this.readBytes(queueOffset * CQ_STORE_UNIT_SIZE, CQ_STORE_UNIT_SIZE);
    return bytes && bytes.length === CQ_STORE_UNIT_SIZE ? decodeUnit(bytes, 0) : undefined;
  }

  /**
   * Up to `count` units from `queueOffset`, read in one go where they share a file. A unit
   * below maxOffset that does not decode (damaged on disk in a file recovery does not scan)
   * comes back as a filler, which readers pass over, as RocketMQ's getMessage passes over a
   * unit whose record it cannot read: a queue never stops at one.
   */
  unitsFrom(queueOffset: number, count: number): ConsumeQueueUnit[] {
    const out: ConsumeQueueUnit[] = [];
    const end = Math.min(this.maxOffset, queueOffset + count);
    let at = queueOffset;
    while (at < end) {
      const bytes = this.readBytes(at * CQ_STORE_UNIT_SIZE, (end - at) * CQ_STORE_UNIT_SIZE);
      if (!bytes || bytes.length < CQ_STORE_UNIT_SIZE) break;
      for (let p = 0; p + CQ_STORE_UNIT_SIZE <= bytes.length; p += CQ_STORE_UNIT_SIZE) {
        out.push(decodeUnit(bytes, p) ?? damagedUnit);
        at++;
      }
    }
    return out;
  }

  /** Drops units whose record does not end by `physicalEnd` (the commit log was cut there). */
  truncateByPhysical(physicalEnd: number): void {
    this.truncateBackTo((unit) => unit.physicalOffset + unit.size <= physicalEnd);
  }

  /** Drops units for records at or after `physicalStart` (they will be re-dispatched). */
  truncateFromPhysical(physicalStart: number): void {
    this.truncateBackTo((unit) => unit.physicalOffset < physicalStart);
  }

  /** Units are in physical order within a queue: cut after the last one `keep` accepts. */
  private truncateBackTo(keep: (unit: ConsumeQueueUnit) => boolean): void {
    this.writePending(); // the cut below applies to the files and the ring
    let keepCount = this.maxOffset;
    while (keepCount > this.minOffset) {
      const unit = this.unitAt(keepCount - 1);
      if (unit && unit.size !== FILLER_UNIT_SIZE && keep(unit)) break;
      keepCount--;
    }
    if (keepCount === this.maxOffset) return;
    // The ring first: truncateAt zeroes units before a flush that may throw.
    this.recent.truncate(keepCount * CQ_STORE_UNIT_SIZE);
    this.files.truncateAt(keepCount * CQ_STORE_UNIT_SIZE, true);
    this.maxOffset = keepCount;
    const last = this.unitAt(keepCount - 1);
    this.maxPhysicalEnd = last ? last.physicalOffset + last.size : 0;
    if (this.minOffset > this.maxOffset) this.minOffset = this.maxOffset;
  }

  /**
   * Retention: removes leading files whose every unit points below `commitLogMin` (their
   * records are gone), never the last file, then moves minOffset to the first unit whose record
   * still exists. Returns the files removed.
   */
  deleteBelow(commitLogMin: number): number {
    this.writePending();
    let removed = 0;
    const unitsPerFile = this.files.segmentSizeBytes / CQ_STORE_UNIT_SIZE;
    while (this.files.segmentStarts().length > 1) {
      const lastUnit = this.files.minOffset() / CQ_STORE_UNIT_SIZE + unitsPerFile - 1;
      const unit = this.unitAt(lastUnit);
      if (
        !unit ||
        (unit.size !== FILLER_UNIT_SIZE && unit.physicalOffset + unit.size > commitLogMin)
      ) {
        break;
      }
      this.files.removeFirstSegment();
      removed++;
    }
    let first = Math.max(this.minOffset, this.files.minOffset() / CQ_STORE_UNIT_SIZE);
    for (; first < this.maxOffset; first++) {
      const unit = this.unitAt(first);
      if (unit && unit.size !== FILLER_UNIT_SIZE && unit.physicalOffset >= commitLogMin) break;
    }
    this.minOffset = first;
    return removed;
  }

  flush(): void {
    this.writePending();
    if (this.files.hasDirty()) this.files.flush();
  }

  async flushAsync(): Promise<void> {
    this.writePending();
    if (this.files.hasDirty()) await this.files.flushAsync();
  }

  /** Writes what is pending (the page cache keeps it across a kill -9), then closes. */
  close(): void {
    try {
      this.writePending();
    } finally {
      this.files.close();
    }
  }
}
