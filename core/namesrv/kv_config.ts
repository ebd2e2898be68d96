// The name server's KV config (spec §2.1, §2.6): namespace -> key -> value, persisted to
// kvConfigPath as RocketMQ writes it, `{"configTable":{ns:{k:v}}}`. ORDER_TOPIC_CONFIG lives here.
//
// Persistence is crash-safe: write a temp file, fsync it, keep the previous file as .bak, rename
// the temp over the real name. On load, a corrupt file falls back to .bak; if both are corrupt
// the name server refuses to start rather than overwrite what an operator may want to recover.

import { existsSync, readFileSync } from "node:fs";
import { writeFileDurably } from "../common/durable_file.ts";
import { ConfigError } from "../common/errors.ts";
import { parseLenientJson } from "../protocol/fastjson.ts";
import { asObject } from "../protocol/topic_config.ts";

export const NAMESPACE_ORDER_TOPIC_CONFIG = "ORDER_TOPIC_CONFIG";

export class KvConfig {
  private readonly table = new Map<string, Map<string, string>>();

  /** `path` null keeps the table in memory only (tests). */
  constructor(private readonly path: string | null) {}

  load(): void {
    if (this.path === null) return;
    const candidates = [this.path, `${this.path}.bak`].filter((p) => existsSync(p));
    const errors: string[] = [];
    for (const candidate of candidates) {
      try {
        this.parse(readFileSync(candidate, "utf8"));
        return;
      } catch (error) {
        errors.push(`${candidate}: ${(error as Error).message}`);
      }
    }
    if (errors.length > 0) {
      throw new ConfigError(`cannot read KV config (${errors.join("; ")}); fix or move the file`);
    }
  }

  private parse(text: string): void {
    const root = asObject(parseLenientJson(text), "kvConfig");
    const configTable = asObject(root.configTable ?? {}, "configTable");
    this.table.clear();
    for (const [namespace, entries] of Object.entries(configTable)) {
      const map = new Map<string, string>();
      for (const [key, value] of Object.entries(asObject(entries, namespace))) {
        map.set(key, String(value));
      }
      this.table.set(namespace, map);
    }
  }

  put(namespace: string, key: string, value: string): void {
    let entries = this.table.get(namespace);
    if (!entries) this.table.set(namespace, (entries = new Map()));
    entries.set(key, value);
    this.persist();
  }

  get(namespace: string, key: string): string | undefined {
    return this.table.get(namespace)?.get(key);
  }

  delete(namespace: string, key: string): void {
    const entries = this.table.get(namespace);
    if (!entries?.delete(key)) return;
    if (entries.size === 0) this.table.delete(namespace);
    this.persist();
  }

  /** The namespace's entries, or undefined when it has none (RocketMQ answers QUERY_NOT_FOUND). */
  list(namespace: string): Map<string, string> | undefined {
    const entries = this.table.get(namespace);
    return entries && entries.size > 0 ? new Map(entries) : undefined;
  }

  private persist(): void {
    if (this.path === null) return;
    const configTable: Record<string, Record<string, string>> = {};
    for (const [ns, entries] of this.table) configTable[ns] = Object.fromEntries(entries);
    writeFileDurably(this.path, JSON.stringify({ configTable }, null, 1), { backup: true });
  }
}
