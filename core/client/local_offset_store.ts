// Offsets of a broadcasting consumer, kept in a local file as RocketMQ's LocalFileOffsetStore
// does (every member consumes every queue, so the broker cannot keep one offset per group).
// JSON {"offsetTable": {"brokerName/topic/queueId": offset}}, replaced crash-safely.

import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { ConfigError } from "../common/errors.ts";

export class LocalOffsetStore {
  private readonly table = new Map<string, number>();
  private dirty = false;

  constructor(readonly path: string) {}

  load(): void {
    if (!existsSync(this.path)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, "utf8"));
    } catch (error) {
      throw new ConfigError(`offset file ${this.path} is unreadable: ${(error as Error).message}`);
    }
    const table = (parsed as { offsetTable?: Record<string, unknown> }).offsetTable ?? {};
    for (const [key, value] of Object.entries(table)) {
      if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0)
        this.table.set(key, value);
    }
  }

  get(key: string): number | undefined {
    return this.table.get(key);
  }

  set(key: string, offset: number): void {
    if (this.table.get(key) === offset) return;
    this.table.set(key, offset);
    this.dirty = true;
  }

  persist(): void {
    if (!this.dirty) return;
    mkdirSync(dirname(this.path), { recursive: true });
    const temp = `${this.path}.tmp`;
    const fd = openSync(temp, "w");
    try {
      writeSync(fd, JSON.stringify({ offsetTable: Object.fromEntries(this.table) }, null, 1));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.path);
    this.dirty = false;
  }
}
