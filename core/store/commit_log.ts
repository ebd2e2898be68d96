// The commit log writer: one logical log of all topics in fixed-size segments (spec §5.2-5.4).
// One writer; a batch of records is encoded into one buffer per segment and written with one
// positional write. A record that would leave fewer than 8 bytes in its segment goes to the
// next segment, after a blank marker filling the rest (a record never spans two files).

import { assert } from "../common/assert.ts";
import {
  blankMarkerBytes,
  encodeBlankMarker,
  encodeRecord,
  recordSize,
  type RecordFields,
} from "./commit_log_codec.ts";
import type { FileIO } from "./file_io.ts";
import { MappedFileQueue } from "./mapped_file_queue.ts";
import { RecentBytes } from "./recent_bytes.ts";

/** The newest bytes kept in memory for reads (a consumer that keeps up reads only these). */
const recentBytesCapacity = 8 * 1024 * 1024;

export interface AppendedRecord {
  physicalOffset: number;
  size: number;
}

export class CommitLog {
  readonly files: MappedFileQueue;
  /** Next physical offset to write (set by recovery, advanced by appends). */
  writePosition = 0;
  /** Everything below this is durable (fdatasync'd). */
  flushedPosition = 0;
  /** Store time of the newest appended record, and of the newest flushed one. */
  lastStoreTimestamp = 0;
  flushedStoreTimestamp = 0;
  /** fdatasyncs that had bytes to make durable, since open (puts per flush = group commit). */
  flushCount = 0;
  /** The newest written bytes: read() serves from here when it can. */
  readonly recent = new RecentBytes(recentBytesCapacity);
  private scratch = new Uint8Array(1024 * 1024);
  private scratchView = new DataView(this.scratch.buffer);

  constructor(
    io: FileIO,
    dir: string,
    readonly segmentSizeBytes: number,
  ) {
    this.files = new MappedFileQueue(io, dir, segmentSizeBytes);
  }

  /** The largest record a segment can take (it must leave room for a blank marker). */
  recordSizeMax(): number {
    return this.segmentSizeBytes - blankMarkerBytes;
  }

  /**
   * Appends records in order. `fields[i].physicalOffset` is assigned here; every other field,
   * including queueOffset and storeTimestamp, is the caller's. Throws on IO error (sticky).
   */
  append(records: RecordFields[]): AppendedRecord[] {
    const out: AppendedRecord[] = [];
    let pending = 0; // bytes encoded into scratch, starting at pendingStart
    let pendingStart = this.writePosition;
    // Written out where a segment ends and at the end; no closure for that (one per drain).
    for (const fields of records) {
      const size = recordSize(fields);
      assert(size <= this.recordSizeMax(), "callers refuse records larger than a segment");
      const position = pendingStart + pending;
      const segmentEnd = this.files.segmentStartFor(position) + this.segmentSizeBytes;
      if (size + blankMarkerBytes > segmentEnd - position) {
        this.ensureScratch(pending + blankMarkerBytes);
        encodeBlankMarker(this.scratch, pending, segmentEnd - position);
        pending += blankMarkerBytes;
        this.writeScratch(pendingStart, pending);
        pending = 0;
        pendingStart = segmentEnd;
      }
      this.ensureScratch(pending + size);
      fields.physicalOffset = pendingStart + pending;
      encodeRecord(this.scratch, pending, fields, this.scratchView);
      out.push({ physicalOffset: fields.physicalOffset, size });
      pending += size;
      if (fields.storeTimestamp > this.lastStoreTimestamp) {
        this.lastStoreTimestamp = fields.storeTimestamp;
      }
    }
    this.writeScratch(pendingStart, pending);
    this.writePosition = pendingStart + pending;
    return out;
  }

  /** Writes the first `bytes` of scratch at `offset` (nothing when there are none). */
  private writeScratch(offset: number, bytes: number): void {
    if (bytes > 0) this.writeAt(offset, this.scratch.subarray(0, bytes));
  }

  /**
   * Appends bytes a master sent (a slave's log mirrors the master's byte for byte): they go at
   * the end of the log and stay inside one segment. Throws on IO error (sticky).
   */
  appendRaw(offset: number, bytes: Uint8Array): void {
    assert(offset === this.writePosition, "replicated bytes continue the log");
    const segmentEnd = this.files.segmentStartFor(offset) + this.segmentSizeBytes;
    assert(offset + bytes.length <= segmentEnd, "replicated bytes stay inside one segment");
    this.writeAt(offset, bytes);
    this.writePosition = offset + bytes.length;
  }

  private writeAt(offset: number, bytes: Uint8Array): void {
    this.files.write(offset, bytes); // throws before the bytes count as written
    this.recent.wrote(offset, bytes);
  }

  /** Reads the bytes of [from, from + length) that lie in one segment (a copy). */
  read(from: number, length: number): Uint8Array | undefined {
    const segmentEnd = this.files.segmentStartFor(from) + this.segmentSizeBytes;
    const within = Math.min(length, segmentEnd - from);
    return this.recent.read(from, within) ?? this.files.read(from, length);
  }

  /**
   * read() into out at `at`: exactly `length` bytes of one segment, from memory when recent.
   * False when they are not all there (nothing useful was written to out then).
   */
  readInto(from: number, length: number, out: Uint8Array, at: number): boolean {
    const segmentEnd = this.files.segmentStartFor(from) + this.segmentSizeBytes;
    if (from + length > segmentEnd) return false;
    if (this.recent.readInto(from, length, out, at)) return true;
    const bytes = this.files.read(from, length);
    if (!bytes || bytes.length !== length) return false;
    out.set(bytes, at);
    return true;
  }

  /** Makes everything written durable; returns the new flushed position. */
  flush(): number {
    const target = this.writePosition;
    const timestamp = this.lastStoreTimestamp;
    if (this.files.hasDirty()) {
      this.files.flush();
      this.flushCount++;
    }
    return this.markFlushed(target, timestamp);
  }

  /** flush() off the event loop: appends go on while the disk syncs. */
  async flushAsync(): Promise<number> {
    const target = this.writePosition;
    const timestamp = this.lastStoreTimestamp;
    if (this.files.hasDirty()) {
      await this.files.flushAsync();
      this.flushCount++;
    }
    return this.markFlushed(target, timestamp);
  }

  /** Flushes can overlap (a sync one at shutdown, an async one in flight): never go back. */
  private markFlushed(target: number, timestamp: number): number {
    this.flushedPosition = Math.max(this.flushedPosition, target);
    this.flushedStoreTimestamp = Math.max(this.flushedStoreTimestamp, timestamp);
    return this.flushedPosition;
  }

  private ensureScratch(bytes: number): void {
    if (bytes <= this.scratch.length) return;
    let size = this.scratch.length;
    while (size < bytes) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.scratch);
    this.scratch = grown;
    this.scratchView = new DataView(grown.buffer);
  }
}
