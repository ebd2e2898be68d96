// Where RocketMQ keeps each store file under storePathRootDir (spec §5.1), and the 20-digit
// offset file names of mapped files.

import { join } from "node:path";
import { assert } from "../common/assert.ts";

export interface StorePaths {
  root: string;
  commitLog: string;
  consumeQueue: string;
  index: string;
  checkpoint: string;
  abort: string;
  lock: string;
  config: string;
}

export function storePaths(root: string, commitLogDir?: string): StorePaths {
  return {
    root,
    commitLog: commitLogDir ?? join(root, "commitlog"),
    consumeQueue: join(root, "consumequeue"),
    index: join(root, "index"),
    checkpoint: join(root, "checkpoint"),
    abort: join(root, "abort"),
    lock: join(root, "lock"),
    config: join(root, "config"),
  };
}

export function consumeQueueDir(paths: StorePaths, topic: string, queueId: number): string {
  return join(paths.consumeQueue, topic, String(queueId));
}

/** UtilAll#offset2FileName: the start offset, zero-padded to 20 digits. */
export function offsetToFileName(offset: number): string {
  assert(Number.isSafeInteger(offset) && offset >= 0, "file offsets are non-negative integers");
  return String(offset).padStart(20, "0");
}

/** The start offset a mapped file's name encodes, or undefined for other names. */
export function fileNameToOffset(name: string): number | undefined {
  if (!/^\d{20}$/.test(name)) return undefined;
  const value = Number(name);
  return Number.isSafeInteger(value) ? value : undefined;
}
