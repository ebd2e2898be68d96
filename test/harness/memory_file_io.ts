// An in-memory FileIO with faults, for store tests (STYLE rule 9). Each file keeps what the
// "page cache" holds and what is durable; sync() makes a file durable; crash() throws away
// every unsynced byte (optionally keeping a random prefix of the unsynced writes: a torn
// write-back). Faults: ENOSPC after a byte budget (the write that crosses it is torn), and
// corrupted reads at chosen offsets. Deterministic from its Prng.

import { dirname } from "node:path";
import { Prng } from "../../core/common/prng.ts";
import type { DiskSpace, FileHandle, FileIO } from "../../core/store/file_io.ts";

interface MemFile {
  current: Uint8Array;
  durable: Uint8Array;
  /** Writes since the last sync, in order, for torn crash replay. */
  unsynced: { position: number; bytes: Uint8Array }[];
  mtimeMs: number;
}

export class DiskFullError extends Error {
  code = "ENOSPC";
  constructor(path: string) {
    super(`ENOSPC: no space left on device, write '${path}'`);
  }
}

export class MemoryFileIO implements FileIO {
  readonly files = new Map<string, MemFile>();
  readonly dirs = new Set<string>(["/"]);
  /** Bytes writes may still take; Infinity for no limit. */
  bytesBudget = Infinity;
  /** path -> absolute offsets whose byte reads come back flipped. */
  readonly corruptReads = new Map<string, Set<number>>();
  syncCount = 0;
  /** Bumped by crash(): handles opened before it are dead. */
  epoch = 0;
  /** When set, fdatasync fails with EIO (a dying disk). */
  failSync = false;
  /** What diskSpace reports (tests set it to simulate a filling disk; usable = free unless set). */
  space: { totalBytes: number; freeBytes: number; usableBytes?: number } = {
    totalBytes: 1 << 30,
    freeBytes: 1 << 29,
  };
  /** Source of file modification times (tests pass their manual clock). */
  now: () => number = () => 0;

  constructor(private readonly prng = new Prng(1)) {}

  diskSpace(_path: string): DiskSpace {
    return { ...this.space, usableBytes: this.space.usableBytes ?? this.space.freeBytes };
  }

  /** Drops every unsynced byte; with `torn`, keeps a random prefix of each file's writes. */
  crash(torn = false): void {
    // The crashed process is gone: handles it held must not write into the next one's files.
    this.epoch++;
    for (const file of this.files.values()) {
      const next = file.durable.slice();
      if (torn && file.unsynced.length > 0) {
        const keep = this.prng.below(file.unsynced.length + 1);
        for (const w of file.unsynced.slice(0, keep)) {
          const cut =
            w === file.unsynced[keep - 1] ? this.prng.below(w.bytes.length + 1) : w.bytes.length;
          grow(next, w.position + cut).set(w.bytes.subarray(0, cut), w.position);
        }
      }
      file.current = next;
      file.unsynced = [];
    }
  }

  exists(path: string): boolean {
    return this.files.has(path) || this.dirs.has(path);
  }

  list(dir: string): string[] {
    const prefix = dir.endsWith("/") ? dir : `${dir}/`;
    const names = new Set<string>();
    for (const path of [...this.files.keys(), ...this.dirs]) {
      if (path.startsWith(prefix) && path.length > prefix.length) {
        names.add(path.slice(prefix.length).split("/")[0]!);
      }
    }
    return [...names].sort();
  }

  isDirectory(path: string): boolean {
    return this.dirs.has(path);
  }

  sizeBytes(path: string): number {
    return this.file(path).current.length;
  }

  mtimeMs(path: string): number {
    return this.file(path).mtimeMs;
  }

  mkdirs(dir: string): void {
    for (let d = dir; d !== "/" && d !== "."; d = dirname(d)) this.dirs.add(d);
  }

  open(path: string, options: { create: boolean; readOnly?: boolean }): FileHandle {
    if (!this.files.has(path)) {
      if (!options.create) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
      if (!this.dirs.has(dirname(path)))
        throw Object.assign(new Error(`ENOENT: ${dirname(path)}`), { code: "ENOENT" });
      this.files.set(path, {
        current: new Uint8Array(0),
        durable: new Uint8Array(0),
        unsynced: [],
        mtimeMs: 0,
      });
    }
    return new MemoryHandle(this, path);
  }

  map(path: string): Uint8Array {
    return this.readAt(path, 0, this.sizeBytes(path));
  }

  remove(path: string): void {
    for (const key of [...this.files.keys()])
      if (key === path || key.startsWith(`${path}/`)) this.files.delete(key);
    for (const key of [...this.dirs])
      if (key === path || key.startsWith(`${path}/`)) this.dirs.delete(key);
  }

  rename(from: string, to: string): void {
    const file = this.file(from);
    this.files.delete(from);
    this.files.set(to, file);
  }

  syncDirectory(_dir: string): void {}

  async syncDirectoryAsync(_dir: string): Promise<void> {}

  file(path: string): MemFile {
    const file = this.files.get(path);
    if (!file) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
    return file;
  }

  readAt(path: string, position: number, length: number): Uint8Array {
    const file = this.file(path);
    const out = file.current.slice(position, Math.min(file.current.length, position + length));
    for (const offset of this.corruptReads.get(path) ?? []) {
      if (offset >= position && offset < position + out.length) out[offset - position]! ^= 0xff;
    }
    return out;
  }

  writeAt(path: string, bytes: Uint8Array, position: number): void {
    const file = this.file(path);
    let take = bytes.length;
    const overBudget = take > this.bytesBudget;
    if (overBudget) take = Math.max(0, Math.floor(this.bytesBudget));
    this.bytesBudget -= take;
    const part = bytes.slice(0, take);
    file.current = grow(file.current, position + take);
    file.current.set(part, position);
    file.unsynced.push({ position, bytes: part });
    file.mtimeMs = this.now();
    if (overBudget) throw new DiskFullError(path);
  }
}

/** A copy of `bytes` at least `length` long (the same array if already long enough). */
function grow(bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.length >= length) return bytes;
  const out = new Uint8Array(length);
  out.set(bytes);
  return out;
}

class MemoryHandle implements FileHandle {
  private readonly epoch: number;

  constructor(
    private readonly fs: MemoryFileIO,
    readonly path: string,
  ) {
    this.epoch = fs.epoch;
  }

  /** A flush still in flight when the test crashed the "process" must not outlive it. */
  private alive(): void {
    if (this.epoch !== this.fs.epoch) throw new Error(`${this.path}: handle of a crashed process`);
  }

  read(position: number, length: number): Uint8Array {
    this.alive();
    return this.fs.readAt(this.path, position, length);
  }

  write(bytes: Uint8Array, position: number): void {
    this.alive();
    this.fs.writeAt(this.path, bytes, position);
  }

  sync(): void {
    this.alive();
    if (this.fs.failSync)
      throw Object.assign(new Error(`EIO: fdatasync ${this.path}`), { code: "EIO" });
    const file = this.fs.file(this.path);
    file.durable = file.current.slice();
    file.unsynced = [];
    this.fs.syncCount++;
  }

  syncAsync(): Promise<void> {
    return Promise.resolve().then(() => this.sync());
  }

  truncate(sizeBytes: number): void {
    this.alive();
    const file = this.fs.file(this.path);
    const next = new Uint8Array(sizeBytes);
    next.set(file.current.subarray(0, Math.min(sizeBytes, file.current.length)));
    file.current = next;
    // A size change is metadata: RocketMQ-style preallocation is durable once done.
    const durable = new Uint8Array(sizeBytes);
    durable.set(file.durable.subarray(0, Math.min(sizeBytes, file.durable.length)));
    file.durable = durable;
  }

  sizeBytes(): number {
    return this.fs.sizeBytes(this.path);
  }

  close(): void {}
}
