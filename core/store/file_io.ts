// The narrow file interface the store uses (STYLE rule 7): the real one on node:fs, and a
// faulty one for tests (faulty_file_io.ts). Positional reads and writes; whole-file read-only
// maps for scanning; explicit fsync. Every method may throw the platform's IO errors (ENOSPC,
// EIO); the store turns them into statuses and stops writing (sticky error, STYLE rule 6).

import {
  closeSync,
  existsSync,
  fdatasync,
  fsync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  statfsSync,
  writeSync,
  fsyncSync,
} from "node:fs";

export interface FileHandle {
  readonly path: string;
  /** Reads up to `length` bytes at `position` (fewer at end of file). */
  read(position: number, length: number): Uint8Array;
  /** Writes all of `bytes` at `position` or throws. */
  write(bytes: Uint8Array, position: number): void;
  /** Makes written bytes durable (fdatasync). */
  sync(): void;
  /** The same off the event loop (a worker thread), so appends go on meanwhile. */
  syncAsync(): Promise<void>;
  truncate(sizeBytes: number): void;
  sizeBytes(): number;
  close(): void;
}

export interface FileIO {
  exists(path: string): boolean;
  /** Names in `dir`, sorted; empty when the directory does not exist. */
  list(dir: string): string[];
  isDirectory(path: string): boolean;
  sizeBytes(path: string): number;
  mtimeMs(path: string): number;
  mkdirs(dir: string): void;
  /** Opens for reading and writing, creating the file (empty) when `create` is set. */
  open(path: string, options: { create: boolean; readOnly?: boolean }): FileHandle;
  /** A read-only view of the whole file (mmap where the platform allows). */
  map(path: string): Uint8Array;
  remove(path: string): void;
  rename(from: string, to: string): void;
  /** fsync a directory so a create/rename/remove in it is durable. */
  syncDirectory(dir: string): void;
  /** The same with the fsync off the event loop. */
  syncDirectoryAsync(dir: string): Promise<void>;
  /** Size and free space of the file system holding `path`. */
  diskSpace(path: string): DiskSpace;
}

export interface DiskSpace {
  totalBytes: number;
  /** Unallocated bytes, the blocks reserved for root included (statfs f_bfree). */
  freeBytes: number;
  /** What an unprivileged writer may still use (f_bavail): free minus the reserve. */
  usableBytes: number;
}

class RealFileHandle implements FileHandle {
  constructor(
    readonly path: string,
    private fd: number,
  ) {}

  read(position: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, out, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done === length ? out : out.subarray(0, done);
  }

  write(bytes: Uint8Array, position: number): void {
    let done = 0;
    while (done < bytes.length) {
      done += writeSync(this.fd, bytes, done, bytes.length - done, position + done);
    }
  }

  sync(): void {
    fdatasyncSync(this.fd);
  }

  syncAsync(): Promise<void> {
    const fd = this.fd;
    return new Promise((resolve, reject) =>
      fdatasync(fd, (error) => (error ? reject(error) : resolve())),
    );
  }

  truncate(sizeBytes: number): void {
    ftruncateSync(this.fd, sizeBytes);
  }

  sizeBytes(): number {
    return fstatSync(this.fd).size;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

export class RealFileIO implements FileIO {
  exists(path: string): boolean {
    return existsSync(path);
  }

  list(dir: string): string[] {
    if (!existsSync(dir)) return [];
    return readdirSync(dir).sort();
  }

  isDirectory(path: string): boolean {
    return existsSync(path) && statSync(path).isDirectory();
  }

  sizeBytes(path: string): number {
    return statSync(path).size;
  }

  mtimeMs(path: string): number {
    return statSync(path).mtimeMs;
  }

  mkdirs(dir: string): void {
    mkdirSync(dir, { recursive: true });
  }

  open(path: string, options: { create: boolean; readOnly?: boolean }): FileHandle {
    const flags = options.readOnly ? "r" : options.create ? "a+" : "r+";
    // "a+" would force appends to the end; reopen as r+ once the file exists.
    if (flags === "a+") closeSync(openSync(path, "a"));
    return new RealFileHandle(path, openSync(path, flags === "a+" ? "r+" : flags));
  }

  map(path: string): Uint8Array {
    if (statSync(path).size === 0) return new Uint8Array(0);
    return Bun.mmap(path, { shared: false });
  }

  remove(path: string): void {
    rmSync(path, { force: true, recursive: true });
  }

  rename(from: string, to: string): void {
    renameSync(from, to);
  }

  diskSpace(path: string): DiskSpace {
    const stats = statfsSync(path);
    return {
      totalBytes: stats.blocks * stats.bsize,
      freeBytes: stats.bfree * stats.bsize,
      usableBytes: stats.bavail * stats.bsize,
    };
  }

  syncDirectory(dir: string): void {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  async syncDirectoryAsync(dir: string): Promise<void> {
    const fd = openSync(dir, "r");
    try {
      await new Promise<void>((resolve, reject) =>
        fsync(fd, (error) => (error ? reject(error) : resolve())),
      );
    } finally {
      closeSync(fd);
    }
  }
}
