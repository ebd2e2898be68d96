// Offsets of a broadcasting consumer, kept in a local file as RocketMQ's LocalFileOffsetStore
// does (every member consumes every queue, so the broker cannot keep one offset per group).
// JSON {"offsetTable": {"brokerName/topic/queueId": offset}}, replaced crash-safely.

import { existsSync, readFileSync } from "node:fs";
import { writeFileDurably } from "../common/durable_file.ts";
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
    const text = JSON.stringify({ offsetTable: Object.fromEntries(this.table) }, null, 1);
    writeFileDurably(this.path, text, { backup: false });
    this.dirty = false;
  }
}
