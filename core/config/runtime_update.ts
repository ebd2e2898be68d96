// A server's configuration read and changed at runtime as Java .properties text: what
// `mqadmin getBrokerConfig` / `updateBrokerConfig` (and the name server's pair) send and print.
// An update is checked whole before any of it applies: every key must be in the schema and
// allowed (the caller's rule), every value must parse. Unlike RocketMQ, which skips an unknown
// key silently, a refusal names the key.

import { fieldSpecOf, parseValue, type Schema } from "./config_schema.ts";
import { parseProperties } from "./properties.ts";

export type ConfigValue = string | number | boolean;

export type ConfigRefusal = { code: "NO_PERMISSION" | "SYSTEM_ERROR"; remark: string };

export type ConfigUpdate =
  { kind: "updated"; values: Map<string, ConfigValue> } | ({ kind: "refused" } & ConfigRefusal);

/** `key=value` lines in schema order: RocketMQ's properties2String shape. */
export function formatConfig(schema: Schema, config: object): string {
  let text = "";
  const values = config as Record<string, unknown>;
  for (const key of Object.keys(schema)) text += `${key}=${String(values[key])}\n`;
  return text;
}

/** Parses an update; `refuse` may turn down a known key (a black list, a start-only key). */
export function parseConfigUpdate(
  schema: Schema,
  text: string,
  refuse: (key: string) => ConfigRefusal | undefined,
): ConfigUpdate {
  const entries = parseProperties(text);
  for (const key of entries.keys()) {
    const refusal = refuse(key);
    if (refusal) return { kind: "refused", ...refusal };
  }
  const values = new Map<string, ConfigValue>();
  for (const [key, raw] of entries) {
    const spec = fieldSpecOf(schema, key);
    if (!spec)
      return { kind: "refused", code: "SYSTEM_ERROR", remark: `unknown config key: ${key}` };
    try {
      values.set(key, parseValue(key, spec, raw.trim()));
    } catch (error) {
      return { kind: "refused", code: "SYSTEM_ERROR", remark: (error as Error).message };
    }
  }
  return { kind: "updated", values };
}
