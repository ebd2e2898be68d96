// A FileIO over another that records every mutating call ("write topics.json.tmp", "sync ...",
// "rename a b", "syncDirectory") and can simulate the process dying just before the n-th one.

import { basename } from "node:path";
import type { FileHandle, FileIO } from "../../core/store/file_io.ts";

export class CrashingFileIO implements FileIO {
  readonly ops: string[] = [];
  constructor(
    private readonly inner: FileIO,
    private readonly crashAtOp = Infinity,
  ) {}

  step(op: string): void {
    if (this.ops.length === this.crashAtOp) throw new Error(`simulated crash before ${op}`);
    this.ops.push(op);
  }

  exists = (path: string) => this.inner.exists(path);
  list = (dir: string) => this.inner.list(dir);
  isDirectory = (path: string) => this.inner.isDirectory(path);
  sizeBytes = (path: string) => this.inner.sizeBytes(path);
  mtimeMs = (path: string) => this.inner.mtimeMs(path);
  map = (path: string) => this.inner.map(path);
  diskSpace = (path: string) => this.inner.diskSpace(path);

  mkdirs(dir: string): void {
    this.step("mkdirs");
    this.inner.mkdirs(dir);
  }

  open(path: string, options: { create: boolean; readOnly?: boolean }): FileHandle {
    const handle = this.inner.open(path, options);
    const name = basename(path);
    const step = (op: string) => this.step(`${op} ${name}`);
    return {
      path,
      read: (position, length) => handle.read(position, length),
      write: (bytes, position) => (step("write"), handle.write(bytes, position)),
      sync: () => (step("sync"), handle.sync()),
      syncAsync: () => (step("sync"), handle.syncAsync()),
      truncate: (sizeBytes) => (step("truncate"), handle.truncate(sizeBytes)),
      sizeBytes: () => handle.sizeBytes(),
      close: () => handle.close(),
    };
  }

  remove(path: string): void {
    this.step(`remove ${basename(path)}`);
    this.inner.remove(path);
  }

  rename(from: string, to: string): void {
    this.step(`rename ${basename(from)} ${basename(to)}`);
    this.inner.rename(from, to);
  }

  syncDirectory(dir: string): void {
    this.step("syncDirectory");
    this.inner.syncDirectory(dir);
  }

  syncDirectoryAsync(dir: string): Promise<void> {
    this.step("syncDirectory");
    return this.inner.syncDirectoryAsync(dir);
  }
}
