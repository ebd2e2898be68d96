// The epoch file, `store/epochFileCheckpoint` (spec §9.3, RocketMQ's EpochFileCache over its
// CheckpointFile): which master epoch wrote which stretch of the commit log. Text, one item a
// line, lines ended by "\n" (Java's line separator on Linux):
//
// | line | content                                                                  |
// |------|--------------------------------------------------------------------------|
// | 1    | number of entries                                                        |
// | 2    | CRC32 of the entry lines (each with its "\n"), masked to 31 bits; 0 = unchecked |
// | 3... | "<epoch>-<startOffset>", epochs rising, start offsets not falling         |
//
// An entry ends where the next one starts; the last one ends at the log's end. The previous
// file is kept as `.bak` and read when the file itself is missing, empty or fails its check.
// Replicas compare these lists to find the last byte they share (lastCommonOffset).

import { existsSync, readFileSync } from "node:fs";
import { assert } from "../common/assert.ts";
import { crc32Masked } from "../common/checksum.ts";
import { writeFileDurably } from "../common/durable_file.ts";
import { CorruptionError } from "../common/errors.ts";

/** Its name under storePathRootDir (RocketMQ's storePathEpochFile default). */
export const EPOCH_FILE_NAME = "epochFileCheckpoint";

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

const encoder = new TextEncoder();

export function encodeEpochFile(entries: readonly EpochEntry[]): string {
  const lines = entries.map((e) => `${e.epoch}-${e.startOffset}\n`).join("");
  return `${entries.length}\n${crc32Masked(encoder.encode(lines))}\n${lines}`;
}

/** The entries of an epoch file's text; CorruptionError when it does not check out. */
export function decodeEpochFile(text: string): EpochEntry[] {
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  if (lines.length < 2) throw new CorruptionError("epoch file: no count and checksum lines");
  const count = Number(lines[0]);
  const crc = Number(lines[1]);
  if (!Number.isInteger(count) || !Number.isInteger(crc)) {
    throw new CorruptionError("epoch file: count or checksum is not a number");
  }
  const entries: EpochEntry[] = [];
  let body = "";
  for (const line of lines.slice(2)) {
    body += `${line}\n`;
    const match = /^(\d+)-(\d+)$/.exec(line);
    if (!match) continue; // RocketMQ skips lines it cannot read, then checks the count
    entries.push({ epoch: Number(match[1]), startOffset: Number(match[2]) });
  }
  if (entries.length !== count) {
    throw new CorruptionError(`epoch file: ${count} entries announced, ${entries.length} found`);
  }
  if (crc !== 0 && crc !== crc32Masked(encoder.encode(body))) {
    throw new CorruptionError("epoch file: checksum does not match");
  }
  for (let i = 1; i < entries.length; i++) {
    const [prev, next] = [entries[i - 1]!, entries[i]!];
    if (next.epoch <= prev.epoch || next.startOffset < prev.startOffset) {
      throw new CorruptionError(`epoch file: entry ${i} does not follow the one before`);
    }
  }
  return entries;
}

/**
 * The end of what two replicas share: the newest epoch both hold with the same start offset,
 * up to where the shorter of the two copies of it ends. -1 when they share no epoch.
 */
export function lastCommonOffset(
  local: readonly EpochEntry[],
  localEnd: number,
  remote: readonly EpochEntry[],
  remoteEnd: number,
): number {
  const endOf = (list: readonly EpochEntry[], i: number, logEnd: number) =>
    i + 1 < list.length ? list[i + 1]!.startOffset : logEnd;
  for (let i = local.length - 1; i >= 0; i--) {
    const mine = local[i]!;
    const j = remote.findIndex((e) => e.epoch === mine.epoch);
    if (j < 0 || remote[j]!.startOffset !== mine.startOffset) continue;
    return Math.min(endOf(local, i, localEnd), endOf(remote, j, remoteEnd));
  }
  return -1;
}

/**
 * Where a replica must cut its log to follow a master: the last common offset; or, sharing no
 * epoch with a master whose history reaches back as far as its own, the start of its own
 * first epoch (nothing it wrote since is in the master's log: say, a master killed before its
 * first byte reached anyone, whose successor's epoch took the same start). null when it cannot
 * be told (the master's list starts later: trimmed, or another store's): keep everything.
 * A replica with no epochs keeps its log (a store from before controller mode).
 */
export function truncationPoint(
  local: readonly EpochEntry[],
  localEnd: number,
  master: readonly EpochEntry[],
  masterEnd: number,
): number | null {
  if (local.length === 0) return localEnd;
  const common = lastCommonOffset(local, localEnd, master, masterEnd);
  if (common >= 0) return common;
  const masterFirst = master[0]?.startOffset;
  const localFirst = local[0]!.startOffset;
  return masterFirst !== undefined && masterFirst <= localFirst ? localFirst : null;
}

/** The epoch file of one store, in memory and on disk. */
export class EpochFile {
  private list: EpochEntry[] = [];

  constructor(private readonly path: string) {}

  /** Reads the file (or its .bak); a store without one has no epochs yet. */
  load(): void {
    for (const path of [this.path, `${this.path}.bak`]) {
      if (!existsSync(path)) continue;
      try {
        // An empty list is what a truncation to nothing wrote: it is the truth, not a cue to
        // read the .bak (whose epochs were cut away with their bytes).
        this.list = decodeEpochFile(readFileSync(path, "utf8"));
        return;
      } catch (error) {
        if (path.endsWith(".bak")) throw error;
      }
    }
    this.list = [];
  }

  entries(): readonly EpochEntry[] {
    return this.list;
  }

  lastEpoch(): number {
    return this.list[this.list.length - 1]?.epoch ?? 0;
  }

  /** The entry covering `offset` (the last one starting at or before it). */
  entryAt(offset: number): EpochEntry | undefined {
    let found: EpochEntry | undefined;
    for (const entry of this.list) if (entry.startOffset <= offset) found = entry;
    return found;
  }

  /** A new epoch starts at `startOffset` (a master taking over, or a slave following it). */
  append(entry: EpochEntry): void {
    const last = this.list[this.list.length - 1];
    if (last && last.epoch === entry.epoch) {
      assert(last.startOffset === entry.startOffset, "one epoch starts at one offset");
      return;
    }
    if (last) {
      assert(entry.epoch > last.epoch, "epochs rise");
      assert(entry.startOffset >= last.startOffset, "an epoch starts where the last one ended");
    }
    // An epoch that wrote nothing gives way to the next one starting at the same offset.
    // (RocketMQ keeps the old entry instead; then a master elected before writing anything
    // writes under its predecessor's epoch, and a deposed master's unreplicated bytes in that
    // epoch would pass for shared ones.)
    const kept =
      last && last.startOffset === entry.startOffset ? this.list.slice(0, -1) : this.list;
    this.list = [...kept, entry];
    this.persist();
  }

  /** The log was cut at `offset`: epochs that started at or after it are gone with it. */
  truncateFrom(offset: number): void {
    const kept = this.list.filter((e) => e.startOffset < offset);
    if (kept.length === this.list.length) return;
    this.list = kept;
    this.persist();
  }

  private persist(): void {
    writeFileDurably(this.path, encodeEpochFile(this.list), { backup: true });
  }
}
