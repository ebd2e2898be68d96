// Replacing a small file so a crash leaves either the old or the new content: write a temp
// file, fsync it, optionally keep the current file as <path>.bak, rename over, fsync the folder.
// For the few local state files outside the store (name server KV config, broadcast offsets).

import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";

export function writeFileDurably(path: string, text: string, options: { backup: boolean }): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const temp = `${path}.tmp`;
  const fd = openSync(temp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (options.backup && existsSync(path)) copyFileSync(path, `${path}.bak`);
  renameSync(temp, path);
  const dirFd = openSync(dir, "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
