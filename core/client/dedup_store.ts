// A persistent set of message keys a consumer has handled, each remembered for ttlMs, so an
// at-least-once redelivery (a consumer killed before its offset commit, a rebalance, a retry)
// can be recognised and skipped (idempotent.ts wraps a handler with it). It owns one local
// append-only file and keeps the live keys in memory, bounded by maxEntries (oldest forgotten
// first). Principle: a forgotten key only lets a message run twice, which RocketMQ allows anyway,
// while a wrongly remembered key would drop a message. So the file is checksummed line by line,
// a damaged file is repaired rather than fatal, and nothing is ever inferred from a bad line.
//
// File format (UTF-8 text, one record per line):
//   first line    "rmq-dedup 1"                      magic and format version
//   each record   key TAB handledAtMs TAB crc LF
//     key           the key, with "%", TAB, LF, CR written as %25, %09, %0A, %0D
//     handledAtMs   decimal ms since the epoch, from the injected Clock, when add() ran
//     crc           CRC32 (IEEE) of the UTF-8 bytes of "key TAB handledAtMs", 8 lowercase hex
// A later record for a key supersedes an earlier one. On open the records are read in order: a
// line that does not parse or whose CRC does not match is skipped (and counted), the bytes after
// the last LF (an append torn by a crash) are dropped, and if anything was skipped the file is
// rewritten at once, so that new appends never continue a torn line. A file whose first line is
// not the magic (and not a torn prefix of it) is someone else's: open refuses it (ConfigError)
// rather than overwrite it.
//
// Durability: add() writes its whole line with one write(2) before it returns, so the record is
// in the kernel page cache and survives kill -9 of this process. fsync only adds safety against
// power loss or an OS crash, so it is batched: at most fsyncIntervalMs after an add (checked on
// each add and on a clock timer), and on flush() and close(); fsyncIntervalMs 0 syncs every add.
// What power loss can cost is the last interval's records, i.e. those messages may run again.
// Compaction writes the live records to a temp file, fsyncs it, renames it over the log and
// fsyncs the folder (durable_file.ts): a crash at any point leaves the old log or the new one.
// An IO error is sticky (STYLE rule 6): the store stops writing, keeps answering from memory,
// and flush() / close() throw the error so the owner learns the file is behind.
//
// All file IO is synchronous on purpose: has() and add() have no await inside, so callers (see
// idempotent.ts) can check and record without another delivery interleaving.

import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { assert } from "../common/assert.ts";
import { crc32 } from "../common/checksum.ts";
import type { Clock, TimerHandle } from "../common/clock.ts";
import { writeFileDurably } from "../common/durable_file.ts";
import { ConfigError } from "../common/errors.ts";
import { hourMs, secondMs } from "../common/units.ts";

export const DEDUP_FILE_MAGIC = "rmq-dedup 1";

/** How long a handled key is remembered when the caller does not say. */
export const dedupTtlMsDefault = 24 * hourMs;
/** About 100 bytes of memory each with a UNIQ_KEY: size it as message rate x TTL. */
export const dedupEntriesMaxDefault = 100_000;
export const dedupFsyncIntervalMsDefault = secondMs;
/** Below this many records the file is never compacted: rewriting a tiny file buys nothing. */
export const dedupCompactLineCountMinDefault = 10_000;
/** Longer keys are stored as their SHA-256, so one odd business key cannot bloat the file. */
export const dedupKeyBytesMax = 512;

export interface DedupStoreOptions {
  clock: Clock;
  /** How long a handled key is remembered; default 24 h. */
  ttlMs?: number;
  /** Most keys kept; beyond it the oldest are forgotten first. Default 100 000. */
  maxEntries?: number;
  /** Longest a record may wait for fsync after add(); 0: fsync on every add. Default 1 s. */
  fsyncIntervalMs?: number;
  /** Compact once the file holds at least this many records and most of them are dead. */
  compactLineCountMin?: number;
}

export interface DedupStats {
  /** Keys held in memory (expired ones leave on the next add, tick or lookup). */
  liveCount: number;
  /** Records in the file now, live or dead. */
  fileLineCount: number;
  /** Keys forgotten because maxEntries was reached, since open. */
  evictedCount: number;
  /** Damaged lines skipped when the file was opened. */
  skippedLineCount: number;
  /** Bytes of a torn last line dropped when the file was opened. */
  droppedTailBytes: number;
  compactionCount: number;
  /** The IO error that stopped writes, if any (sticky until reopened). */
  writeError: Error | null;
}

interface DedupRecord {
  key: string;
  handledAtMs: number;
}

interface ParsedLog {
  records: DedupRecord[];
  skippedLineCount: number;
  droppedTailBytes: number;
  /** The file is missing, torn or damaged: write it afresh before appending. */
  needsRewrite: boolean;
}

function escapeKey(key: string): string {
  return key.replace(
    /[%\t\n\r]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
}

const escapes: Record<string, string> = { "%25": "%", "%09": "\t", "%0a": "\n", "%0d": "\r" };

/** The key, or null when the text holds a "%" that escapeKey cannot have written. */
function unescapeKey(text: string): string | null {
  let bad = false;
  const key = text.replace(/%(..)?/g, (match) => {
    const plain = escapes[match.toLowerCase()];
    if (plain === undefined) bad = true;
    return plain ?? "";
  });
  return bad ? null : key;
}

function crcHex(body: string): string {
  return crc32(Buffer.from(body, "utf8")).toString(16).padStart(8, "0");
}

/** One record as a file line, LF included. */
export function encodeDedupLine(key: string, handledAtMs: number): string {
  assert(key.length > 0, "dedup key must not be empty");
  assert(Number.isSafeInteger(handledAtMs) && handledAtMs >= 0, "handledAtMs out of range");
  const body = `${escapeKey(key)}\t${handledAtMs}`;
  return `${body}\t${crcHex(body)}\n`;
}

/** One line (without its LF) back to a record; null when it is damaged in any way. */
export function decodeDedupLine(line: string): DedupRecord | null {
  const fields = line.split("\t");
  if (fields.length !== 3) return null;
  const [escapedKey, timeText, crcText] = fields as [string, string, string];
  if (!/^[0-9]{1,16}$/.test(timeText) || !/^[0-9a-f]{8}$/.test(crcText)) return null;
  if (crcHex(`${escapedKey}\t${timeText}`) !== crcText) return null;
  const handledAtMs = Number(timeText);
  const key = unescapeKey(escapedKey);
  if (key === null || key.length === 0 || !Number.isSafeInteger(handledAtMs)) return null;
  return { key, handledAtMs };
}

/** Reads a whole file's text; throws ConfigError only when it is not a dedup file at all. */
export function parseDedupLog(text: string, path: string): ParsedLog {
  const header = `${DEDUP_FILE_MAGIC}\n`;
  if (!text.startsWith(header)) {
    // Empty, or a crash tore the header while the file was being created: start afresh.
    if (header.startsWith(text)) {
      return { records: [], skippedLineCount: 0, droppedTailBytes: 0, needsRewrite: true };
    }
    throw new ConfigError(`${path} is not a dedup store file (no "${DEDUP_FILE_MAGIC}" line)`);
  }
  const lines = text.slice(header.length).split("\n");
  const tail = lines.pop() ?? "";
  const records: DedupRecord[] = [];
  let skippedLineCount = 0;
  for (const line of lines) {
    const record = decodeDedupLine(line);
    if (record) records.push(record);
    else skippedLineCount++;
  }
  const droppedTailBytes = Buffer.byteLength(tail, "utf8");
  const needsRewrite = skippedLineCount > 0 || droppedTailBytes > 0;
  return { records, skippedLineCount, droppedTailBytes, needsRewrite };
}

function positiveInteger(name: string, value: number, allowZero = false): number {
  if (!Number.isSafeInteger(value) || value < 0 || (value === 0 && !allowZero)) {
    const kind = allowZero ? "non-negative" : "positive";
    throw new ConfigError(`dedup store: ${name} must be a ${kind} integer, got ${value}`);
  }
  return value;
}

export class DedupStore {
  /** key -> handledAtMs, in add order (a re-add moves the key to the end): oldest first. */
  private readonly entries = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly fsyncIntervalMs: number;
  private readonly compactLineCountMin: number;
  private readonly timer: TimerHandle | null;
  private fd: number | null = null;
  private fileLineCount = 0;
  private unsynced = false;
  private lastFsyncMs: number;
  private closed = false;
  private writeError: Error | null = null;
  private evictedCount = 0;
  private compactionCount = 0;
  private readonly skippedLineCount: number;
  private readonly droppedTailBytes: number;

  /**
   * Opens (or creates) the store at `path`, repairing a damaged file as the header says. IO
   * errors here are thrown (nothing depends on the store yet); later ones are sticky.
   */
  static open(path: string, options: DedupStoreOptions): DedupStore {
    mkdirSync(dirname(path), { recursive: true });
    const text = existsSync(path) ? readFileSync(path, "utf8") : "";
    const store = new DedupStore(path, options, parseDedupLog(text, path));
    if (store.writeError) {
      const error = store.writeError;
      store.timer?.cancel();
      store.closed = true;
      throw error;
    }
    return store;
  }

  private constructor(
    readonly path: string,
    private readonly options: DedupStoreOptions,
    parsed: ParsedLog,
  ) {
    this.ttlMs = positiveInteger("ttlMs", options.ttlMs ?? dedupTtlMsDefault);
    this.maxEntries = positiveInteger("maxEntries", options.maxEntries ?? dedupEntriesMaxDefault);
    this.fsyncIntervalMs = positiveInteger(
      "fsyncIntervalMs",
      options.fsyncIntervalMs ?? dedupFsyncIntervalMsDefault,
      true,
    );
    this.compactLineCountMin = positiveInteger(
      "compactLineCountMin",
      options.compactLineCountMin ?? dedupCompactLineCountMinDefault,
    );
    this.skippedLineCount = parsed.skippedLineCount;
    this.droppedTailBytes = parsed.droppedTailBytes;
    const nowMs = options.clock.nowMs();
    this.lastFsyncMs = nowMs;
    for (const { key, handledAtMs } of parsed.records) {
      if (this.isExpired(handledAtMs, nowMs)) continue;
      this.entries.delete(key);
      this.entries.set(key, handledAtMs);
    }
    this.evictOverflow();
    this.fileLineCount = parsed.records.length;
    // A missing, torn or damaged file is rewritten before any append (a repair, not counted as
    // a compaction); a healthy one is compacted only if due.
    if (parsed.needsRewrite) this.rewrite();
    else if (this.compactionDue()) this.compact();
    else this.openForAppend();
    this.timer =
      this.fsyncIntervalMs > 0
        ? options.clock.every(this.fsyncIntervalMs, () => this.tick())
        : null;
  }

  /** True when `key` was added less than ttlMs ago (and not evicted since). */
  has(key: string): boolean {
    assert(!this.closed, "dedup store used after close");
    const storedKey = storedKeyOf(key);
    const handledAtMs = this.entries.get(storedKey);
    if (handledAtMs === undefined) return false;
    if (!this.isExpired(handledAtMs, this.options.clock.nowMs())) return true;
    this.entries.delete(storedKey);
    return false;
  }

  /** Records `key` as handled now; the record survives kill -9 once this returns. */
  add(key: string): void {
    assert(!this.closed, "dedup store used after close");
    const storedKey = storedKeyOf(key);
    const nowMs = this.options.clock.nowMs();
    this.entries.delete(storedKey);
    this.entries.set(storedKey, nowMs);
    this.pruneExpired(nowMs);
    this.evictOverflow();
    this.append(encodeDedupLine(storedKey, nowMs));
    if (this.fsyncIntervalMs === 0 || nowMs - this.lastFsyncMs >= this.fsyncIntervalMs) {
      this.sync(nowMs);
    }
    if (this.compactionDue()) this.compact();
  }

  /**
   * Housekeeping, driven by the clock timer every fsyncIntervalMs (or by the owner when that is
   * 0): fsync what is pending, forget expired keys, compact when dead records dominate.
   */
  tick(): void {
    if (this.closed) return;
    const nowMs = this.options.clock.nowMs();
    this.sync(nowMs);
    this.pruneExpired(nowMs);
    if (this.compactionDue()) this.compact();
  }

  /** Makes every record added so far durable; throws the sticky IO error if writes stopped. */
  flush(): void {
    assert(!this.closed, "dedup store used after close");
    this.sync(this.options.clock.nowMs());
    if (this.writeError) throw this.writeError;
  }

  /**
   * Rewrites the file with only the live keys (crash-safe replace). Runs by itself when the file
   * holds at least compactLineCountMin records and more than twice the live count.
   */
  compact(): void {
    assert(!this.closed, "dedup store used after close");
    if (this.rewrite()) this.compactionCount++;
  }

  /** Replaces the file with the magic and the live records; false after an IO error. */
  private rewrite(): boolean {
    if (this.writeError) return false;
    const nowMs = this.options.clock.nowMs();
    this.pruneExpired(nowMs);
    this.closeFd();
    const lines = [`${DEDUP_FILE_MAGIC}\n`];
    for (const [key, handledAtMs] of this.entries) lines.push(encodeDedupLine(key, handledAtMs));
    try {
      writeFileDurably(this.path, lines.join(""), { backup: false });
      this.fileLineCount = this.entries.size;
      this.unsynced = false;
      this.lastFsyncMs = nowMs;
      this.openForAppend();
    } catch (error) {
      this.fail(error);
    }
    return this.writeError === null;
  }

  /** Stops the timer, fsyncs and closes the file; throws the sticky IO error if there was one. */
  close(): void {
    if (this.closed) return;
    this.timer?.cancel();
    this.sync(this.options.clock.nowMs());
    this.closeFd();
    this.closed = true;
    if (this.writeError) throw this.writeError;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  stats(): DedupStats {
    return {
      liveCount: this.entries.size,
      fileLineCount: this.fileLineCount,
      evictedCount: this.evictedCount,
      skippedLineCount: this.skippedLineCount,
      droppedTailBytes: this.droppedTailBytes,
      compactionCount: this.compactionCount,
      writeError: this.writeError,
    };
  }

  private isExpired(handledAtMs: number, nowMs: number): boolean {
    return nowMs - handledAtMs >= this.ttlMs;
  }

  /**
   * Forgets expired keys from the oldest end. Add order is time order unless the clock stepped
   * back; then a few expired keys wait behind a younger one, which has() still reads correctly.
   */
  private pruneExpired(nowMs: number): void {
    for (const [key, handledAtMs] of this.entries) {
      if (!this.isExpired(handledAtMs, nowMs)) break;
      this.entries.delete(key);
    }
  }

  private evictOverflow(): void {
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      assert(!oldest.done, "a map over its limit has a first key");
      this.entries.delete(oldest.value);
      this.evictedCount++;
    }
  }

  private compactionDue(): boolean {
    return (
      this.fileLineCount >= this.compactLineCountMin && this.fileLineCount > 2 * this.entries.size
    );
  }

  private openForAppend(): void {
    try {
      this.fd = openSync(this.path, "a");
    } catch (error) {
      this.fail(error);
    }
  }

  private append(line: string): void {
    if (this.fd === null) return; // after a write error: memory only
    const bytes = Buffer.from(line, "utf8");
    try {
      let written = 0;
      while (written < bytes.length) {
        written += writeSync(this.fd, bytes, written, bytes.length - written);
      }
      this.fileLineCount++;
      this.unsynced = true;
    } catch (error) {
      this.fail(error);
    }
  }

  private sync(nowMs: number): void {
    if (this.fd === null || !this.unsynced) return;
    try {
      fsyncSync(this.fd);
      this.unsynced = false;
      this.lastFsyncMs = nowMs;
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    this.writeError ??= error instanceof Error ? error : new Error(String(error));
    this.closeFd();
  }

  private closeFd(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      closeSync(fd);
    } catch {
      // Nothing left to do with a descriptor that will not close; writes already stopped.
    }
  }
}

/** The key as stored: itself, or its SHA-256 when longer than dedupKeyBytesMax. */
function storedKeyOf(key: string): string {
  assert(key.length > 0, "dedup key must not be empty");
  if (Buffer.byteLength(key, "utf8") <= dedupKeyBytesMax) return key;
  return `sha256:${createHash("sha256").update(key, "utf8").digest("hex")}`;
}
