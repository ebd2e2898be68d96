// Writes and queries the key index (spec §5.6): `topic#UNIQ_KEY` and `topic#<each KEYS token>`
// for every dispatched record except rollbacks, in files of hashSlotNum slots and indexNum
// entries named by creation time (yyyyMMddHHmmssSSS, local time, as RocketMQ names them).
//
// Writes are positional: entry, then slot, and the header once per dispatched batch (flush()).
// Idempotent on re-dispatch: records below the newest file's endPhyOffset are skipped.

import { join } from "node:path";
import { assert } from "../common/assert.ts";
import type { Clock } from "../common/clock.ts";
import { transactionType, MessageSysFlag } from "../common/message.ts";
import type { FileHandle, FileIO } from "./file_io.ts";
import {
  decodeIndexHeader,
  encodeEntry,
  encodeIndexHeader,
  entryPosition,
  INDEX_ENTRY_SIZE,
  INDEX_HEADER_SIZE,
  indexFileBytes,
  indexKeyHash,
  slotPosition,
  type IndexGeometry,
  type IndexHeader,
} from "./index_codec.ts";
import { listIndexFiles, queryIndex, type IndexFileInfo } from "./index_read.ts";

interface WritableIndexFile {
  name: string;
  path: string;
  handle: FileHandle;
  header: IndexHeader;
  dirty: boolean;
}

export interface IndexableRecord {
  topic: string;
  physicalOffset: number;
  storeTimestamp: number;
  sysFlag: number;
  keys: string[];
  uniqKey: string | undefined;
}

function timeName(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}${two(d.getMonth() + 1)}${two(d.getDate())}` +
    `${two(d.getHours())}${two(d.getMinutes())}${two(d.getSeconds())}` +
    String(d.getMilliseconds()).padStart(3, "0")
  );
}

export class IndexService {
  private files: WritableIndexFile[] = [];
  private readonly entryBuffer = new Uint8Array(INDEX_ENTRY_SIZE);
  private readonly slotBuffer = new Uint8Array(4);

  constructor(
    private readonly io: FileIO,
    private readonly dir: string,
    private readonly geometry: IndexGeometry,
    private readonly clock: Clock,
  ) {
    assert(geometry.indexNum >= 2 && geometry.hashSlotNum >= 1, "index geometry is usable");
  }

  /**
   * Opens existing files. After an unclean stop, files whose endTimestamp is newer than the
   * checkpoint's index time may hold entries that never reached disk: they are deleted and
   * rebuilt by re-dispatch (returned: the lowest beginPhyOffset deleted, to re-dispatch from).
   */
  load(abnormal: boolean, indexCheckpointMs: number): number | undefined {
    this.io.mkdirs(this.dir);
    const { files, problems } = listIndexFiles(this.io, this.dir, this.geometry);
    if (problems.length > 0) throw new Error(`index files: ${problems.join("; ")}`);
    let redispatchFrom: number | undefined;
    for (const file of files) {
      if (abnormal && file.header.endTimestamp > indexCheckpointMs) {
        redispatchFrom = Math.min(redispatchFrom ?? Infinity, file.header.beginPhyOffset);
        this.io.remove(file.path);
        continue;
      }
      this.files.push(this.openFile(file));
    }
    return redispatchFrom;
  }

  private openFile(file: IndexFileInfo): WritableIndexFile {
    const handle = this.io.open(file.path, { create: false });
    return { name: file.name, path: file.path, handle, header: file.header, dirty: false };
  }

  /**
   * Drops files holding entries at or past `physicalEnd` (the commit log was cut there); returns
   * the lowest beginPhyOffset dropped, from where re-dispatch rebuilds them.
   */
  dropFilesReaching(physicalEnd: number): number | undefined {
    let from: number | undefined;
    while (this.files.length > 0) {
      const last = this.files[this.files.length - 1]!;
      if (last.header.indexCount <= 1 || last.header.endPhyOffset < physicalEnd) break;
      this.files.pop();
      last.handle.close();
      this.io.remove(last.path);
      from = last.header.beginPhyOffset;
    }
    return from;
  }

  /** The newest file's end: records below it are indexed already. */
  endPhyOffset(): number {
    return this.files[this.files.length - 1]?.header.endPhyOffset ?? 0;
  }

  build(record: IndexableRecord): void {
    if (transactionType(record.sysFlag) === MessageSysFlag.TRANSACTION_ROLLBACK_TYPE) return;
    const last = this.files[this.files.length - 1];
    if (last && record.physicalOffset < last.header.endPhyOffset) return;
    if (record.uniqKey) this.putKey(`${record.topic}#${record.uniqKey}`, record);
    for (const key of record.keys) if (key) this.putKey(`${record.topic}#${key}`, record);
  }

  private putKey(key: string, record: IndexableRecord): void {
    let file = this.files[this.files.length - 1];
    if (!file || file.header.indexCount >= this.geometry.indexNum) file = this.roll(file);
    const header = file.header;
    const keyHash = indexKeyHash(key);
    const slotAt = slotPosition(this.geometry, keyHash);
    const slotBytes = file.handle.read(slotAt, 4);
    let previous = new DataView(slotBytes.buffer, slotBytes.byteOffset, 4).getInt32(0);
    if (previous <= 0 || previous >= header.indexCount) previous = 0;
    let timeDiff = 0;
    if (header.beginTimestamp > 0) {
      timeDiff = Math.floor((record.storeTimestamp - header.beginTimestamp) / 1000);
      timeDiff = Math.min(Math.max(timeDiff, 0), 0x7fffffff);
    }
    const index = header.indexCount;
    encodeEntry(this.entryBuffer, 0, {
      keyHash,
      physicalOffset: record.physicalOffset,
      timeDiffSeconds: timeDiff,
      previousIndex: previous,
    });
    file.handle.write(this.entryBuffer, entryPosition(this.geometry, index));
    new DataView(this.slotBuffer.buffer).setInt32(0, index);
    file.handle.write(this.slotBuffer, slotAt);
    if (previous === 0) header.hashSlotCount++;
    header.indexCount++;
    if (header.indexCount === 2) {
      // The first entry sets the file's begin values (a rolled file was seeded with the old end).
      header.beginPhyOffset = record.physicalOffset;
      header.beginTimestamp = record.storeTimestamp;
    }
    header.endPhyOffset = record.physicalOffset;
    header.endTimestamp = record.storeTimestamp;
    file.dirty = true;
  }

  private roll(previous: WritableIndexFile | undefined): WritableIndexFile {
    if (previous) this.flushFile(previous);
    let ms = this.clock.nowMs();
    let name = timeName(ms);
    while (this.io.exists(join(this.dir, name))) name = timeName(++ms);
    const path = join(this.dir, name);
    const handle = this.io.open(path, { create: true });
    handle.truncate(indexFileBytes(this.geometry));
    const header: IndexHeader = {
      beginTimestamp: previous?.header.endTimestamp ?? 0,
      endTimestamp: previous?.header.endTimestamp ?? 0,
      beginPhyOffset: previous?.header.endPhyOffset ?? 0,
      endPhyOffset: previous?.header.endPhyOffset ?? 0,
      hashSlotCount: 0,
      indexCount: 1,
    };
    const file = { name, path, handle, header, dirty: true };
    this.files.push(file);
    this.io.syncDirectory(this.dir);
    return file;
  }

  /** Writes changed headers and makes every index write durable. */
  flush(): void {
    for (const file of this.files) if (file.dirty) this.flushFile(file);
  }

  private flushFile(file: WritableIndexFile): void {
    const headerBytes = new Uint8Array(INDEX_HEADER_SIZE);
    encodeIndexHeader(headerBytes, file.header);
    file.handle.write(headerBytes, 0);
    file.handle.sync();
    file.dirty = false;
  }

  /** Writes headers without syncing, so readers of the files see current counts. */
  publishHeaders(): void {
    const headerBytes = new Uint8Array(INDEX_HEADER_SIZE);
    for (const file of this.files) {
      if (!file.dirty) continue;
      encodeIndexHeader(headerBytes, file.header);
      file.handle.write(headerBytes, 0);
    }
  }

  query(indexKey: string, beginMs: number, endMs: number, maxCount: number): number[] {
    this.publishHeaders();
    const infos: IndexFileInfo[] = this.files.map((f) => ({
      name: f.name,
      path: f.path,
      sizeBytes: indexFileBytes(this.geometry),
      header: decodeIndexHeader(f.handle.read(0, INDEX_HEADER_SIZE)),
      geometry: this.geometry,
    }));
    return queryIndex(this.io, infos, indexKey, beginMs, endMs, maxCount);
  }

  /** Newest file's header values for QUERY_MESSAGE responses. */
  lastUpdate(): { timestamp: number; phyOffset: number } {
    const last = this.files[this.files.length - 1];
    return { timestamp: last?.header.endTimestamp ?? 0, phyOffset: last?.header.endPhyOffset ?? 0 };
  }

  /** Deletes files wholly below `minPhyOffset` (their records are gone). */
  deleteBelow(minPhyOffset: number): number {
    let removed = 0;
    while (this.files.length > 1 && this.files[0]!.header.endPhyOffset < minPhyOffset) {
      const file = this.files.shift()!;
      file.handle.close();
      this.io.remove(file.path);
      removed++;
    }
    return removed;
  }

  close(): void {
    for (const file of this.files) file.handle.close();
  }
}
