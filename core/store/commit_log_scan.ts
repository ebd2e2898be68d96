// Sequential reading of a commit log directory, record by record across segments, for
// inspection, verification and recovery. Reads through FileIO.map, never writes.
//
// A scan ends at the first "end" (never-written space), at a corrupt record (reported with its
// position and reason), or after the last segment. Blank markers move it to the next segment.

import { decodeRecord, type StoredRecord } from "./commit_log_codec.ts";
import type { FileIO } from "./file_io.ts";
import { listSegments, type SegmentInfo } from "./segments.ts";

export type ScanItem =
  | { kind: "record"; record: StoredRecord; segment: SegmentInfo }
  | { kind: "blank"; position: number; size: number; segment: SegmentInfo }
  | { kind: "corrupt"; position: number; reason: string; segment: SegmentInfo }
  /** A gap between segments: the next segment does not start where the previous ended. */
  | { kind: "gap"; position: number; nextStart: number };

export interface ScanOptions {
  /** First physical offset to read, a record boundary (default: the first segment's start). */
  fromOffset?: number;
  checkCrc: boolean;
}

export interface ScanEnd {
  /** One past the last valid byte read: where a writer would append next. */
  endOffset: number;
  stoppedAt: "end" | "corrupt" | "gap" | "last-segment";
}

export function* scanCommitLog(
  io: FileIO,
  dir: string,
  options: ScanOptions,
): Generator<ScanItem, ScanEnd> {
  const { segments } = listSegments(io, dir);
  let position = options.fromOffset ?? segments[0]?.startOffset ?? 0;
  let expectedStart: number | null = null;
  for (const segment of segments) {
    const segmentEnd = segment.startOffset + segment.sizeBytes;
    if (segmentEnd <= position) continue;
    if (expectedStart !== null && segment.startOffset !== expectedStart) {
      yield { kind: "gap", position: expectedStart, nextStart: segment.startOffset };
      return { endOffset: expectedStart, stoppedAt: "gap" };
    }
    if (position < segment.startOffset) position = segment.startOffset;
    const bytes = io.map(segment.path);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const decodeOptions = { checkCrc: options.checkCrc, basePosition: segment.startOffset };
    let pos = position - segment.startOffset;
    for (;;) {
      const result = decodeRecord(bytes, pos, decodeOptions, view);
      if (result.kind === "end") {
        return { endOffset: segment.startOffset + pos, stoppedAt: "end" };
      }
      if (result.kind === "corrupt") {
        const at = segment.startOffset + pos;
        yield { kind: "corrupt", position: at, reason: result.reason, segment };
        return { endOffset: at, stoppedAt: "corrupt" };
      }
      if (result.kind === "blank") {
        yield { kind: "blank", position: segment.startOffset + pos, size: result.size, segment };
        break;
      }
      yield { kind: "record", record: result.record, segment };
      pos += result.record.totalSize;
      if (pos >= bytes.length) break;
    }
    position = segmentEnd;
    expectedStart = segmentEnd;
  }
  return { endOffset: position, stoppedAt: "last-segment" };
}
