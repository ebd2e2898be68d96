// Listing the fixed-size segment files of a mapped-file queue (commit log, one consume queue):
// sorted by the start offset their 20-digit names encode (MappedFileQueue#doLoad).

import { join } from "node:path";
import type { FileIO } from "./file_io.ts";
import { fileNameToOffset } from "./store_layout.ts";

export interface SegmentInfo {
  name: string;
  path: string;
  startOffset: number;
  sizeBytes: number;
}

export interface SegmentListing {
  segments: SegmentInfo[];
  /** Names in the directory that are not segment names (left alone, reported). */
  strays: string[];
}

export function listSegments(io: FileIO, dir: string): SegmentListing {
  const segments: SegmentInfo[] = [];
  const strays: string[] = [];
  for (const name of io.list(dir)) {
    const startOffset = fileNameToOffset(name);
    const path = join(dir, name);
    if (startOffset === undefined || io.isDirectory(path)) {
      strays.push(name);
      continue;
    }
    segments.push({ name, path, startOffset, sizeBytes: io.sizeBytes(path) });
  }
  segments.sort((a, b) => a.startOffset - b.startOffset);
  return { segments, strays };
}
