// Reading index files (spec §5.6) without writing: list them, infer their geometry, and look
// keys up across files newest to oldest, as IndexService#queryOffset does.

import { join } from "node:path";
import type { FileIO } from "./file_io.ts";
import {
  decodeIndexHeader,
  INDEX_HEADER_SIZE,
  indexFileBytes,
  selectPhysicalOffsets,
  type IndexGeometry,
  type IndexHeader,
} from "./index_codec.ts";

export interface IndexFileInfo {
  name: string;
  path: string;
  sizeBytes: number;
  header: IndexHeader;
  geometry: IndexGeometry;
}

/**
 * The geometry of an index file from its size. Index files do not record it; RocketMQ's defaults
 * keep indexNum = 4 x hashSlotNum (20 000 000 / 5 000 000), so a size of 40 + 84 x n bytes means
 * n slots. Callers with other settings pass them explicitly.
 */
export function inferIndexGeometry(sizeBytes: number): IndexGeometry | undefined {
  const slots = (sizeBytes - INDEX_HEADER_SIZE) / 84;
  if (!Number.isInteger(slots) || slots <= 0) return undefined;
  return { hashSlotNum: slots, indexNum: slots * 4 };
}

export function listIndexFiles(
  io: FileIO,
  dir: string,
  geometry?: IndexGeometry,
): { files: IndexFileInfo[]; problems: string[] } {
  const files: IndexFileInfo[] = [];
  const problems: string[] = [];
  for (const name of io.list(dir)) {
    const path = join(dir, name);
    if (!/^\d{17}$/.test(name) || io.isDirectory(path)) {
      problems.push(`${name}: not an index file name (yyyyMMddHHmmssSSS)`);
      continue;
    }
    const sizeBytes = io.sizeBytes(path);
    const shape = geometry ?? inferIndexGeometry(sizeBytes);
    if (!shape || indexFileBytes(shape) !== sizeBytes) {
      problems.push(`${name}: ${sizeBytes} bytes does not match the index geometry`);
      continue;
    }
    const header = decodeIndexHeader(io.map(path).subarray(0, INDEX_HEADER_SIZE));
    files.push({ name, path, sizeBytes, header, geometry: shape });
  }
  return { files, problems };
}

/** Physical offsets stored for `topic#key` within [beginMs, endMs], newest first. */
export function queryIndex(
  io: FileIO,
  files: IndexFileInfo[],
  indexKey: string,
  beginMs: number,
  endMs: number,
  maxCount: number,
): number[] {
  const out: number[] = [];
  for (const file of [...files].reverse()) {
    if (out.length >= maxCount) break;
    const { header } = file;
    const overlaps = header.endTimestamp >= beginMs && header.beginTimestamp <= endMs;
    if (!overlaps && header.indexCount > 1) continue;
    const bytes = io.map(file.path);
    const left = maxCount - out.length;
    out.push(
      ...selectPhysicalOffsets(bytes, file.geometry, indexKey, beginMs, endMs, left, header),
    );
  }
  return out;
}
