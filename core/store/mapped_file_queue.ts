// A directory of fixed-size segment files that together hold one logical byte stream (the
// commit log, or one consume queue), as RocketMQ's MappedFileQueue. Segments are preallocated
// (sparse, by truncate) and named by their 20-digit start offset. Writes are positional and
// never span two segments; the caller keeps records inside one segment.
//
// Failure rule (STYLE rule 6): the first IO error makes the queue refuse writes until it is
// reopened (sticky), so a half-done write is never followed by more writes.

import { join } from "node:path";
import { assert } from "../common/assert.ts";
import { CorruptionError } from "../common/errors.ts";
import type { FileHandle, FileIO } from "./file_io.ts";
import { listSegments } from "./segments.ts";
import { offsetToFileName } from "./store_layout.ts";

interface Segment {
  startOffset: number;
  path: string;
  handle: FileHandle | null;
}

export class MappedFileQueue {
  private segments: Segment[] = [];
  /** Segments written since their last sync. */
  /**
   * Segments written since their last sync, with a count of writes: an async sync removes a
   * segment only if nothing was written to it meanwhile, and a sync flush always covers
   * segments an async one is still syncing.
   */
  private readonly dirty = new Map<Segment, number>();
  private stickyError: Error | null = null;

  constructor(
    private readonly io: FileIO,
    readonly dir: string,
    readonly segmentSizeBytes: number,
  ) {
    assert(segmentSizeBytes > 0, "segments have a size");
  }

  /**
   * Loads existing segments. Every one must have the configured size; an empty last file (a
   * preallocation interrupted by a crash) is removed, anything else is corruption.
   */
  load(): void {
    this.io.mkdirs(this.dir);
    const { segments } = listSegments(this.io, this.dir);
    const last = segments[segments.length - 1];
    if (last && last.sizeBytes === 0) {
      this.io.remove(last.path);
      segments.pop();
    }
    for (const s of segments) {
      if (s.sizeBytes !== this.segmentSizeBytes) {
        throw new CorruptionError(
          `${s.path} is ${s.sizeBytes} bytes; segments here are ${this.segmentSizeBytes} bytes`,
        );
      }
      if (s.startOffset % this.segmentSizeBytes !== 0) {
        throw new CorruptionError(`${s.path}: start offset is not a multiple of the segment size`);
      }
    }
    this.segments = segments.map((s) => ({
      startOffset: s.startOffset,
      path: s.path,
      handle: null,
    }));
  }

  failure(): Error | null {
    return this.stickyError;
  }

  isEmpty(): boolean {
    return this.segments.length === 0;
  }

  /** Start of the first segment (the queue's minimum offset). */
  minOffset(): number {
    return this.segments[0]?.startOffset ?? 0;
  }

  /** One past the last byte any segment could hold. */
  capacityEnd(): number {
    const last = this.segments[this.segments.length - 1];
    return last ? last.startOffset + this.segmentSizeBytes : 0;
  }

  segmentStarts(): number[] {
    return this.segments.map((s) => s.startOffset);
  }

  segmentStartFor(offset: number): number {
    return offset - (offset % this.segmentSizeBytes);
  }

  /** Writes `bytes` at absolute `offset`, creating the segment if needed. Throws on IO error. */
  write(offset: number, bytes: Uint8Array): void {
    if (this.stickyError) throw this.stickyError;
    const start = this.segmentStartFor(offset);
    assert(offset + bytes.length <= start + this.segmentSizeBytes, "a write stays in one segment");
    try {
      const segment = this.segmentAt(start, true)!;
      this.handleOf(segment).write(bytes, offset - start);
      this.dirty.set(segment, (this.dirty.get(segment) ?? 0) + 1);
    } catch (error) {
      this.stickyError = error as Error;
      throw error;
    }
  }

  /** Reads `length` bytes at `offset` (within one segment); short at the end of written data. */
  read(offset: number, length: number): Uint8Array | undefined {
    const start = this.segmentStartFor(offset);
    const segment = this.segmentAt(start, false);
    if (!segment) return undefined;
    const within = Math.min(length, start + this.segmentSizeBytes - offset);
    return this.handleOf(segment).read(offset - start, within);
  }

  /** fdatasync every segment written since the last flush. */
  flush(): void {
    if (this.stickyError) throw this.stickyError;
    try {
      for (const segment of this.dirty.keys()) this.handleOf(segment).sync();
      this.dirty.clear();
    } catch (error) {
      this.stickyError = error as Error;
      throw error;
    }
  }

  /** flush() with the fdatasyncs off the event loop; the same sticky failure rule. */
  async flushAsync(): Promise<void> {
    if (this.stickyError) throw this.stickyError;
    const snapshot = [...this.dirty];
    try {
      for (const [segment] of snapshot) await this.handleOf(segment).syncAsync();
    } catch (error) {
      this.stickyError = error as Error;
      throw error;
    }
    for (const [segment, writes] of snapshot) {
      if (this.dirty.get(segment) === writes) this.dirty.delete(segment);
    }
  }

  hasDirty(): boolean {
    return this.dirty.size > 0;
  }

  /**
   * Cuts the stream at `offset`: zero-fills the rest of its segment so no stale record past the
   * cut can be read back after a restart, and removes the segments after it.
   */
  truncateAt(offset: number, zeroTail = true): void {
    const cutSegmentStart = this.segmentStartFor(offset);
    for (const segment of [...this.segments]) {
      const after = segment.startOffset > cutSegmentStart;
      const cutAtItsStart = segment.startOffset === cutSegmentStart && offset === cutSegmentStart;
      if (after || cutAtItsStart) this.removeSegment(segment);
    }
    const kept = this.segmentAt(cutSegmentStart, false);
    if (kept && zeroTail) this.zeroTail(kept, offset);
    this.flush();
    this.io.syncDirectory(this.dir);
  }

  /**
   * Zeroes the non-zero chunks after `offset` in `segment`. Bytes past a cut were written before
   * a crash, in any order, but only near the cut (the unflushed tail); the scan stops after
   * `zeroRunBytesEnd` of consecutive zero bytes, so a mostly empty 1 GiB segment costs a few
   * MiB of reads, not a read of the whole segment.
   */
  private zeroTail(segment: Segment, offset: number): void {
    const chunkBytes = 256 * 1024;
    const zeroRunBytesEnd = 16 * chunkBytes;
    const zeros = new Uint8Array(chunkBytes);
    const segmentEnd = segment.startOffset + this.segmentSizeBytes;
    let zeroRun = 0;
    for (let at = offset; at < segmentEnd && zeroRun < zeroRunBytesEnd;) {
      const n = Math.min(chunkBytes - (at % chunkBytes), segmentEnd - at);
      const bytes = this.handleOf(segment).read(at - segment.startOffset, n);
      if (isAllZero(bytes)) {
        zeroRun += n;
      } else {
        zeroRun = 0;
        this.handleOf(segment).write(zeros.subarray(0, n), at - segment.startOffset);
        this.dirty.set(segment, (this.dirty.get(segment) ?? 0) + 1);
      }
      at += n;
    }
  }

  /** Deletes the first segment (retention); the caller checks it is no longer needed. */
  removeFirstSegment(): number | undefined {
    const first = this.segments[0];
    if (!first) return undefined;
    this.removeSegment(first);
    return first.startOffset;
  }

  close(): void {
    for (const segment of this.segments) {
      segment.handle?.close();
      segment.handle = null;
    }
  }

  private removeSegment(segment: Segment): void {
    segment.handle?.close();
    segment.handle = null;
    this.dirty.delete(segment);
    this.io.remove(segment.path);
    this.segments = this.segments.filter((s) => s !== segment);
  }

  private segmentAt(start: number, create: boolean): Segment | undefined {
    let segment = this.segments.find((s) => s.startOffset === start);
    if (segment || !create) return segment;
    const last = this.segments[this.segments.length - 1];
    assert(!last || start > last.startOffset, "segments are created in order");
    if (this.segments.length === 0) this.io.mkdirs(this.dir);
    const path = join(this.dir, offsetToFileName(start));
    const handle = this.io.open(path, { create: true });
    handle.truncate(this.segmentSizeBytes);
    segment = { startOffset: start, path, handle };
    this.segments.push(segment);
    this.io.syncDirectory(this.dir);
    return segment;
  }

  private handleOf(segment: Segment): FileHandle {
    segment.handle ??= this.io.open(segment.path, { create: false });
    return segment.handle;
  }
}

const zeroPage = new Uint8Array(256 * 1024);

/** True when every byte is zero (a native compare against a zero page, not a JS loop). */
function isAllZero(bytes: Uint8Array): boolean {
  for (let at = 0; at < bytes.length; at += zeroPage.length) {
    const part = bytes.subarray(at, Math.min(bytes.length, at + zeroPage.length));
    if (Buffer.compare(part, zeroPage.subarray(0, part.length)) !== 0) return false;
  }
  return true;
}
