// The index file (spec §5.6): a 40-byte header, hashSlotNum 4-byte slots, then indexNum
// 20-byte entries chained newest-first per slot.
//
// Header:                                   Entry i at 40 + hashSlotNum*4 + i*20:
// | off | size | field          |            | off | size | field                        |
// | 0   | 8    | beginTimestamp |            | 0   | 4    | keyHash = abs(hashCode(key)) |
// | 8   | 8    | endTimestamp   |            | 4   | 8    | commit log physical offset   |
// | 16  | 8    | beginPhyOffset |            | 12  | 4    | timeDiff seconds since begin |
// | 24  | 8    | endPhyOffset   |            | 16  | 4    | previous entry in slot (0 end) |
// | 32  | 4    | hashSlotCount  |
// | 36  | 4    | indexCount (next entry number; starts at 1) |

import { assert } from "../common/assert.ts";
import { BoundedMemo } from "../common/bounded_memo.ts";
import { javaStringHashCode, javaStringHashCodeFrom } from "../common/checksum.ts";
import { getInt64, setInt64 } from "../common/int64.ts";

export const INDEX_HEADER_SIZE = 40;
export const HASH_SLOT_SIZE = 4;
export const INDEX_ENTRY_SIZE = 20;

export interface IndexHeader {
  beginTimestamp: number;
  endTimestamp: number;
  beginPhyOffset: number;
  endPhyOffset: number;
  hashSlotCount: number;
  indexCount: number;
}

export interface IndexGeometry {
  hashSlotNum: number;
  indexNum: number;
}

export function indexFileBytes(geometry: IndexGeometry): number {
  return (
    INDEX_HEADER_SIZE + geometry.hashSlotNum * HASH_SLOT_SIZE + geometry.indexNum * INDEX_ENTRY_SIZE
  );
}

/** abs(String.hashCode(key)); 0 when abs overflows (Integer.MIN_VALUE), as RocketMQ does. */
export function indexKeyHash(key: string): number {
  const hash = javaStringHashCode(key);
  const abs = Math.abs(hash);
  return abs > 0x7fffffff ? 0 : abs;
}

/** indexKeyHash(`${topic}#${key}`) without building that string (the dispatch hot path). */
export function topicKeyHash(topic: string, key: string): number {
  const hash = javaStringHashCodeFrom(topicPrefixHashes.get(topic), key);
  const abs = Math.abs(hash);
  return abs > 0x7fffffff ? 0 : abs;
}

// Every indexed key of a message hashes its topic first: the few topics' prefix hashes (the
// String.hashCode of `${topic}#`) are kept.
const topicPrefixHashes = new BoundedMemo(4096, (topic: string) =>
  javaStringHashCodeFrom(javaStringHashCode(topic), "#"),
);

export function decodeIndexHeader(bytes: Uint8Array): IndexHeader {
  assert(bytes.length >= INDEX_HEADER_SIZE, "index header is 40 bytes");
  const view = new DataView(bytes.buffer, bytes.byteOffset, INDEX_HEADER_SIZE);
  return {
    beginTimestamp: Number(view.getBigInt64(0)),
    endTimestamp: Number(view.getBigInt64(8)),
    beginPhyOffset: Number(view.getBigInt64(16)),
    endPhyOffset: Number(view.getBigInt64(24)),
    hashSlotCount: view.getInt32(32),
    indexCount: view.getInt32(36),
  };
}

export function encodeIndexHeader(out: Uint8Array, header: IndexHeader): void {
  const view = new DataView(out.buffer, out.byteOffset, INDEX_HEADER_SIZE);
  view.setBigInt64(0, BigInt(header.beginTimestamp));
  view.setBigInt64(8, BigInt(header.endTimestamp));
  view.setBigInt64(16, BigInt(header.beginPhyOffset));
  view.setBigInt64(24, BigInt(header.endPhyOffset));
  view.setInt32(32, header.hashSlotCount);
  view.setInt32(36, header.indexCount);
}

export interface IndexEntry {
  keyHash: number;
  physicalOffset: number;
  timeDiffSeconds: number;
  previousIndex: number;
}

export function slotPosition(geometry: IndexGeometry, keyHash: number): number {
  return INDEX_HEADER_SIZE + (keyHash % geometry.hashSlotNum) * HASH_SLOT_SIZE;
}

export function entryPosition(geometry: IndexGeometry, index: number): number {
  return INDEX_HEADER_SIZE + geometry.hashSlotNum * HASH_SLOT_SIZE + index * INDEX_ENTRY_SIZE;
}

export function decodeEntry(bytes: Uint8Array, pos: number): IndexEntry {
  const view = new DataView(bytes.buffer, bytes.byteOffset + pos, INDEX_ENTRY_SIZE);
  return {
    keyHash: view.getInt32(0),
    physicalOffset: getInt64(view, 4) ?? -1,
    timeDiffSeconds: view.getInt32(12),
    previousIndex: view.getInt32(16),
  };
}

export function encodeEntry(out: Uint8Array, pos: number, entry: IndexEntry): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  encodeEntryFields(
    view,
    pos,
    entry.keyHash,
    entry.physicalOffset,
    entry.timeDiffSeconds,
    entry.previousIndex,
  );
}

/** encodeEntry through a view the caller keeps: no entry object or view per indexed key. */
export function encodeEntryFields(
  view: DataView,
  pos: number,
  keyHash: number,
  physicalOffset: number,
  timeDiffSeconds: number,
  previousIndex: number,
): void {
  view.setInt32(pos, keyHash);
  setInt64(view, pos + 4, physicalOffset);
  view.setInt32(pos + 12, timeDiffSeconds);
  view.setInt32(pos + 16, previousIndex);
}

/**
 * Physical offsets of entries for `key` stored between beginMs and endMs, newest first, at most
 * `maxCount`, walking the slot's chain (IndexFile#selectPhyOffset). Bad chain links stop the walk.
 */
export function selectPhysicalOffsets(
  bytes: Uint8Array,
  geometry: IndexGeometry,
  key: string,
  beginMs: number,
  endMs: number,
  maxCount: number,
  /** The header to trust (a live writer's in-memory one); default: the bytes' own. */
  knownHeader?: IndexHeader,
): number[] {
  const header = knownHeader ?? decodeIndexHeader(bytes);
  const keyHash = indexKeyHash(key);
  const slotView = new DataView(
    bytes.buffer,
    bytes.byteOffset + slotPosition(geometry, keyHash),
    4,
  );
  let index = slotView.getInt32(0);
  const out: number[] = [];
  let steps = 0;
  while (
    index > 0 &&
    index < header.indexCount &&
    index < geometry.indexNum &&
    entryPosition(geometry, index) + INDEX_ENTRY_SIZE <= bytes.length &&
    out.length < maxCount
  ) {
    if (++steps > geometry.indexNum) break; // a cycle in a corrupt file
    const entry = decodeEntry(bytes, entryPosition(geometry, index));
    const storedMs = header.beginTimestamp + entry.timeDiffSeconds * 1000;
    if (entry.keyHash === keyHash && storedMs >= beginMs && storedMs <= endMs)
      out.push(entry.physicalOffset);
    const chainEnds = entry.previousIndex <= 0 || entry.previousIndex >= index;
    if (chainEnds || entry.timeDiffSeconds < 0 || storedMs < beginMs) break;
    index = entry.previousIndex;
  }
  return out;
}
