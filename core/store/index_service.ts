// Writes and queries the key index (spec §5.6): `topic#UNIQ_KEY` and `topic#<each KEYS token>`
// for every dispatched record except rollbacks, in files of hashSlotNum slots and indexNum
// entries named by creation time (yyyyMMddHHmmssSSS, local time, as RocketMQ names them).
//
// Writes are positional: entry, then slot, and the header once per dispatched batch (flush()).
// Idempotent on re-dispatch: records below the newest file's endPhyOffset are skipped.

import { compactLocalTime } from "../common/local_time.ts";
import { join } from "node:path";
import { assert } from "../common/assert.ts";
import type { Clock } from "../common/clock.ts";
import { MessageConst, transactionType, MessageSysFlag } from "../common/message.ts";
import { DirtyPages } from "./dirty_pages.ts";
import { SlotTable, slotsPerPage } from "./slot_table.ts";
import type { FileHandle, FileIO } from "./file_io.ts";
import {
  decodeEntry,
  encodeEntryFields,
  encodeIndexHeader,
  entryPosition,
  INDEX_ENTRY_SIZE,
  INDEX_HEADER_SIZE,
  indexFileBytes,
  topicKeyHash,
  slotPosition,
  type IndexGeometry,
  type IndexHeader,
} from "./index_codec.ts";
import { listIndexFiles, queryIndex, type IndexFileInfo } from "./index_read.ts";

/**
 * Changed slot pages (4 KiB each) an off-loop flush writes between two yields to the event
 * loop: at most 0.25 ms of pwrite (64 scattered pages; adjacent ones go in one write, much
 * less). Keys hash to random slots, so a second of puts dirties thousands of pages; written in
 * one go they stalled the loop 5-8 ms every second (every send in that window paid it, a 1 Hz
 * train of slow sends at 2,000 msgs/s).
 */
const slotPagesPerYield = 64;

/**
 * Dispatch leaves gathered entries in memory until this many wait, a query, a roll or the
 * flush: one write per dispatch run was a syscall on every single send's path (a W2 send
 * paid ~5 us for it). Safe across kill -9 as consume queue units are: the flush writes every
 * pending entry before the header that counts them, and recovery re-dispatches the rest.
 */
const pendingWriteEntriesMin = 512;

/** Lets I/O and timers run (not a delay: nothing here is timed). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface WritableIndexFile {
  name: string;
  path: string;
  handle: FileHandle;
  header: IndexHeader;
  dirty: boolean;
  /** Bumped by every change, so an async flush knows whether it covered all of them. */
  version: number;
  /** indexCount of the header last written to disk: a slower, older flush never undoes it. */
  diskIndexCount: number;
}

export interface IndexableRecord {
  topic: string;
  physicalOffset: number;
  storeTimestamp: number;
  sysFlag: number;
  /** The KEYS property as stored: keys separated by spaces (KEY_SEPARATOR). */
  keysText: string | undefined;
  uniqKey: string | undefined;
}

export class IndexService {
  private files: WritableIndexFile[] = [];
  private slotsFile: WritableIndexFile | null = null;
  private slots: SlotTable | null = null;
  private pendingEntries = new Uint8Array(INDEX_ENTRY_SIZE * 64);
  private pendingEntriesView = new DataView(this.pendingEntries.buffer);
  private pendingCount = 0;
  private pendingFirstIndex = 0;
  /** Slot-table pages changed since writeSlots() (slot_table.ts slotsPerPage to a page). */
  private readonly dirtySlots: DirtyPages;

  constructor(
    private readonly io: FileIO,
    private readonly dir: string,
    private readonly geometry: IndexGeometry,
    private readonly clock: Clock,
  ) {
    assert(geometry.indexNum >= 2 && geometry.hashSlotNum >= 1, "index geometry is usable");
    this.dirtySlots = new DirtyPages(geometry.hashSlotNum, slotsPerPage);
  }

  /**
   * Opens existing files. After an unclean stop, files whose endTimestamp is newer than the
   * checkpoint's index time may hold entries that never reached disk: they are deleted and
   * rebuilt by re-dispatch (returned: the lowest beginPhyOffset deleted, to re-dispatch from).
   */
  load(
    abnormal: boolean,
    indexCheckpointMs: number,
    durablePhyOffset?: number,
  ): number | undefined {
    this.io.mkdirs(this.dir);
    const { files, problems } = listIndexFiles(this.io, this.dir, this.geometry);
    if (problems.length > 0) throw new Error(`index files: ${problems.join("; ")}`);
    let redispatchFrom: number | undefined;
    for (const file of files) {
      if (file.header.indexCount < 1) {
        // Created but never flushed (a crash right after a roll): nothing in it was durable.
        this.io.remove(file.path);
        continue;
      }
      if (abnormal && durablePhyOffset !== undefined) {
        // rmq's checkpoint says exactly what was durable. Entries for records at or past it may
        // point at records the crash took (the commit log is flushed separately): undo them
        // rather than rebuild the file (RocketMQ's time rule, below, is for its checkpoints).
        if (file.header.indexCount > 1 && file.header.beginPhyOffset >= durablePhyOffset) {
          this.io.remove(file.path);
          continue;
        }
        const opened = this.openFile(file);
        // Only the newest file takes slot writes; a crash between its slots reaching disk and
        // the header that counts their entries leaves slots past the count: walk them back.
        if (file === files[files.length - 1] && !this.repairSlotsPastCount(opened)) {
          this.slotsFile = null;
          this.slots = null;
          this.dirtySlots.clear();
          opened.handle.close();
          this.io.remove(file.path);
          redispatchFrom = Math.min(redispatchFrom ?? Infinity, file.header.beginPhyOffset);
          continue;
        }
        if (file.header.endPhyOffset >= durablePhyOffset) this.rollBack(opened, durablePhyOffset);
        this.files.push(opened);
        continue;
      }
      const newer = abnormal && file.header.endTimestamp > indexCheckpointMs;
      if (newer) {
        redispatchFrom = Math.min(redispatchFrom ?? Infinity, file.header.beginPhyOffset);
        this.io.remove(file.path);
        continue;
      }
      this.files.push(this.openFile(file));
    }
    return redispatchFrom;
  }

  /**
   * Removes the newest entries, those for records at or past `durablePhyOffset`, undoing their
   * head insertions in their slots (newest first), and writes the header and slots back. Torn
   * entries are recognised by a slot that does not point at them and are simply dropped.
   */
  private rollBack(file: WritableIndexFile, durablePhyOffset: number): void {
    const header = file.header;
    const slots = this.slotsOf(file);
    let count = Math.min(header.indexCount, this.geometry.indexNum);
    let kept: ReturnType<typeof decodeEntry> | undefined;
    while (count > 1) {
      const bytes = file.handle.read(entryPosition(this.geometry, count - 1), INDEX_ENTRY_SIZE);
      const entry = bytes.length === INDEX_ENTRY_SIZE ? decodeEntry(bytes, 0) : undefined;
      if (entry && entry.physicalOffset >= 0 && entry.physicalOffset < durablePhyOffset) {
        kept = entry;
        break;
      }
      if (entry && entry.keyHash >= 0) {
        const slot = entry.keyHash % this.geometry.hashSlotNum;
        if (slots.get(slot) === count - 1) {
          slots.set(
            slot,
            entry.previousIndex > 0 && entry.previousIndex < count - 1 ? entry.previousIndex : 0,
          );
          this.dirtySlots.mark(slot);
        }
      }
      count--;
    }
    header.indexCount = count;
    header.endPhyOffset = kept?.physicalOffset ?? header.beginPhyOffset;
    header.endTimestamp = kept
      ? header.beginTimestamp + kept.timeDiffSeconds * 1000
      : header.beginTimestamp;
    file.dirty = true;
    file.version++;
    this.flushFile(file);
  }

  /**
   * Points every slot that names an entry the header does not count at the newest counted
   * entry of its chain, following previousIndex through uncounted entries that are intact
   * (their key hash lands in that slot, their link goes back). False if a chain is torn: the
   * slot's older, durable entries are then unreachable and the file must be rebuilt.
   */
  private repairSlotsPastCount(file: WritableIndexFile): boolean {
    const count = Math.min(file.header.indexCount, this.geometry.indexNum);
    const slots = this.slotsOf(file);
    for (let slot = 0; slot < slots.length; slot++) {
      let at = slots.get(slot);
      if (at < count) continue;
      while (at >= count) {
        if (at >= this.geometry.indexNum) return false;
        const bytes = file.handle.read(entryPosition(this.geometry, at), INDEX_ENTRY_SIZE);
        if (bytes.length < INDEX_ENTRY_SIZE) return false;
        const entry = decodeEntry(bytes, 0);
        const intact =
          entry.keyHash >= 0 &&
          entry.keyHash % this.geometry.hashSlotNum === slot &&
          entry.previousIndex >= 0 &&
          entry.previousIndex < at;
        if (!intact) return false;
        at = entry.previousIndex;
      }
      slots.set(slot, at);
      this.dirtySlots.mark(slot);
      file.dirty = true;
      file.version++;
    }
    return true;
  }

  private openFile(file: IndexFileInfo): WritableIndexFile {
    const handle = this.io.open(file.path, { create: false });
    return {
      name: file.name,
      path: file.path,
      handle,
      header: file.header,
      dirty: false,
      version: 0,
      diskIndexCount: file.header.indexCount,
    };
  }

  /**
   * Undoes the entries of records at or past `physicalEnd` in a running index (a replica cut
   * its log there): files that begin past it go, and the newest one left is rolled back entry
   * by entry, so the cost is the cut tail, not a rebuild of the index.
   */
  truncateTo(physicalEnd: number): void {
    this.flush(); // gathered entries and slots on disk first: the rollback reads them there
    while (this.files.length > 0) {
      const last = this.files[this.files.length - 1]!;
      if (last.header.indexCount > 1 && last.header.beginPhyOffset >= physicalEnd) {
        this.files.pop();
        if (last === this.slotsFile) {
          this.slotsFile = null;
          this.slots = null;
          this.dirtySlots.clear();
        }
        last.handle.close();
        this.io.remove(last.path);
        continue;
      }
      if (last.header.endPhyOffset >= physicalEnd) this.rollBack(last, physicalEnd);
      break;
    }
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
      if (last === this.slotsFile) {
        this.slotsFile = null;
        this.slots = null;
        this.pendingCount = 0;
        this.dirtySlots.clear();
      }
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
    // endPhyOffset is the newest indexed record's own offset: a dispatch that passes over it
    // again (recovery re-dispatching from further back) must not index it twice.
    if (last && record.physicalOffset <= last.header.endPhyOffset) return;
    if (record.uniqKey) this.putKey(record.uniqKey, record);
    const keys = record.keysText;
    if (!keys) return;
    // Split by hand: no array per record on the dispatch path.
    for (let start = 0; start <= keys.length;) {
      let end = keys.indexOf(MessageConst.KEY_SEPARATOR, start);
      if (end < 0) end = keys.length;
      if (end > start) this.putKey(keys.slice(start, end), record);
      start = end + 1;
    }
  }

  /** Indexes `${record.topic}#${key}`. */
  private putKey(key: string, record: IndexableRecord): void {
    let file = this.files[this.files.length - 1];
    if (!file || file.header.indexCount >= this.geometry.indexNum) file = this.roll(file);
    const header = file.header;
    const slots = this.slotsOf(file);
    const keyHash = topicKeyHash(record.topic, key);
    const slot = keyHash % this.geometry.hashSlotNum;
    let previous = slots.get(slot);
    if (previous <= 0 || previous >= header.indexCount) previous = 0;
    let timeDiff = 0;
    if (header.beginTimestamp > 0) {
      timeDiff = Math.floor((record.storeTimestamp - header.beginTimestamp) / 1000);
      timeDiff = Math.min(Math.max(timeDiff, 0), 0x7fffffff);
    }
    const index = header.indexCount;
    if (this.pendingCount === 0) this.pendingFirstIndex = index;
    if ((this.pendingCount + 1) * INDEX_ENTRY_SIZE > this.pendingEntries.length) {
      const grown = new Uint8Array(this.pendingEntries.length * 2);
      grown.set(this.pendingEntries);
      this.pendingEntries = grown;
      this.pendingEntriesView = new DataView(grown.buffer);
    }
    encodeEntryFields(
      this.pendingEntriesView,
      this.pendingCount * INDEX_ENTRY_SIZE,
      keyHash,
      record.physicalOffset,
      timeDiff,
      previous,
    );
    this.pendingCount++;
    slots.set(slot, index);
    this.dirtySlots.mark(slot);
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
    file.version++;
  }

  /** The newest file's slot table in memory, each page read from the file when first used. */
  private slotsOf(file: WritableIndexFile): SlotTable {
    if (this.slotsFile !== file || !this.slots) {
      const { handle } = file;
      this.slots = SlotTable.lazy(this.geometry.hashSlotNum, (first, count) =>
        handle.read(INDEX_HEADER_SIZE + first * 4, count * 4),
      );
      this.slotsFile = file;
    }
    return this.slots;
  }

  /**
   * Writes gathered entries (one write: they are contiguous). Changed slots wait for
   * writeSlots() (flush, query, roll): they are random 4-byte writes, cheaper as whole pages
   * once a second.
   */
  writePending(): void {
    const file = this.slotsFile;
    if (!file || this.pendingCount === 0) return;
    const bytes = this.pendingEntries.subarray(0, this.pendingCount * INDEX_ENTRY_SIZE);
    file.handle.write(bytes, entryPosition(this.geometry, this.pendingFirstIndex));
    this.pendingCount = 0;
  }

  /** Dispatch calls it at the end of every run: writes once enough entries wait. */
  writePendingIfFull(): void {
    if (this.pendingCount >= pendingWriteEntriesMin) this.writePending();
  }

  private roll(previous: WritableIndexFile | undefined): WritableIndexFile {
    this.writePending();
    if (previous) this.flushFile(previous);
    let ms = this.clock.nowMs();
    let name = compactLocalTime(ms);
    while (this.io.exists(join(this.dir, name))) name = compactLocalTime(++ms);
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
    const file = { name, path, handle, header, dirty: true, version: 0, diskIndexCount: 0 };
    this.files.push(file);
    this.io.syncDirectory(this.dir);
    // A new file's slots are all zero: reading its 20 MB of them stalled the first put.
    assert(this.dirtySlots.size === 0, "the previous file's slots were written before a roll");
    this.slots = new SlotTable(this.geometry.hashSlotNum);
    this.slotsFile = file;
    return file;
  }

  /** Slot pages changed since they were last written (for tests and diagnostics). */
  dirtySlotPageCount(): number {
    return this.dirtySlots.size;
  }

  /**
   * Writes the changed slots of the newest file (up to `pagesMax` 4 KiB pages): runs of
   * adjacent pages go in one write each, straight from the table (it holds the file's bytes).
   */
  private writeSlots(pagesMax = Infinity): void {
    const file = this.slotsFile;
    if (!file || this.dirtySlots.size === 0) return;
    const slots = this.slots!;
    const slotsPerPage = this.dirtySlots.itemsPerPage;
    const pages = this.dirtySlots.take(pagesMax).sort((a, b) => a - b);
    for (let i = 0; i < pages.length;) {
      let end = i + 1;
      while (end < pages.length && pages[end] === pages[end - 1]! + 1) end++;
      const first = pages[i]! * slotsPerPage;
      const count = Math.min((end - i) * slotsPerPage, this.geometry.hashSlotNum - first);
      file.handle.write(slots.bytesOf(first, count), slotPosition(this.geometry, first));
      i = end;
    }
  }

  /** Writes changed headers and makes every index write durable. */
  flush(): void {
    for (const file of this.files) if (file.dirty) this.flushFile(file);
  }

  /**
   * flush() off the event loop. The header written is a snapshot taken with the entries and
   * slots it counts, so keys indexed meanwhile stay uncounted on disk until the next flush.
   */
  async flushAsync(): Promise<void> {
    for (const file of [...this.files]) {
      if (!file.dirty) continue;
      if (file === this.slotsFile) {
        this.writePending();
        // The pages dirty now, a chunk per turn; each write takes the slots as they are then
        // (one ahead of the header below is what recovery repairs: repairSlotsPastCount).
        // Pages dirtied meanwhile go with the entries just before the header snapshot.
        let pagesLeft = this.dirtySlots.size;
        while (pagesLeft > 0 && file === this.slotsFile) {
          this.writeSlots(slotPagesPerYield);
          pagesLeft -= slotPagesPerYield;
          await yieldToEventLoop();
        }
      }
      this.writeEntriesAndSlots(file);
      const version = file.version;
      const header = { ...file.header };
      await file.handle.syncAsync();
      if (header.indexCount < file.diskIndexCount) continue; // a newer flush got there first
      this.writeHeader(file, header);
      await file.handle.syncAsync();
      if (file.version === version) file.dirty = false;
    }
  }

  /**
   * Entries and slots first, made durable, then the header that counts them, made durable: on
   * disk the header never claims an entry its slots do not reach, whatever a crash cuts.
   */
  private flushFile(file: WritableIndexFile): void {
    this.writeEntriesAndSlots(file);
    file.handle.sync();
    this.writeHeader(file, file.header);
    file.handle.sync();
    file.dirty = false;
  }

  /** Gathered entries and changed slots, which only the newest file has. */
  private writeEntriesAndSlots(file: WritableIndexFile): void {
    if (file !== this.slotsFile) return;
    this.writePending();
    this.writeSlots();
  }

  private writeHeader(file: WritableIndexFile, header: IndexHeader): void {
    const headerBytes = new Uint8Array(INDEX_HEADER_SIZE);
    encodeIndexHeader(headerBytes, header);
    file.handle.write(headerBytes, 0);
    file.diskIndexCount = header.indexCount;
  }

  query(indexKey: string, beginMs: number, endMs: number, maxCount: number): number[] {
    this.writePending();
    this.writeSlots();
    // Headers from memory: on disk they change only at flush (see flushFile).
    const infos: IndexFileInfo[] = this.files.map((f) => ({
      name: f.name,
      path: f.path,
      sizeBytes: indexFileBytes(this.geometry),
      header: { ...f.header },
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
    this.writePending();
    this.writeSlots();
    for (const file of this.files) file.handle.close();
  }
}
