// Random access to commit log records by physical offset (for consume-queue units, index
// entries and message ids), through read-only maps of the segments.

import { decodeRecord, type DecodeResult } from "./commit_log_codec.ts";
import type { FileIO } from "./file_io.ts";
import { listSegments, type SegmentInfo } from "./segments.ts";

export class CommitLogReader {
  readonly segments: SegmentInfo[];
  private readonly maps = new Map<SegmentInfo, Uint8Array>();

  constructor(
    private readonly io: FileIO,
    dir: string,
  ) {
    this.segments = listSegments(io, dir).segments;
  }

  /** The first offset still stored (the first segment's start). */
  minOffset(): number {
    return this.segments[0]?.startOffset ?? 0;
  }

  segmentFor(physicalOffset: number): SegmentInfo | undefined {
    return this.segments.find(
      (s) => physicalOffset >= s.startOffset && physicalOffset < s.startOffset + s.sizeBytes,
    );
  }

  /** Decodes whatever is at `physicalOffset`; undefined when no segment holds it. */
  recordAt(physicalOffset: number, checkCrc = false): DecodeResult | undefined {
    const segment = this.segmentFor(physicalOffset);
    if (!segment) return undefined;
    let bytes = this.maps.get(segment);
    if (!bytes) {
      bytes = this.io.map(segment.path);
      this.maps.set(segment, bytes);
    }
    return decodeRecord(bytes, physicalOffset - segment.startOffset, {
      checkCrc,
      basePosition: segment.startOffset,
    });
  }
}
