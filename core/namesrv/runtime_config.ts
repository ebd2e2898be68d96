// UPDATE_NAMESRV_CONFIG (318) and GET_NAMESRV_CONFIG (319): the name server's configuration read
// and changed at runtime as Java .properties text (what `mqadmin updateNamesrvConfig` and
// `getNamesrvConfig` send and print). As in RocketMQ, an update changes the live config object
// (keys read per request, such as enableTopicList, act at once; ports, paths and timers act at
// the next start), keys on the black list are refused with NO_PERMISSION, and the whole config
// is written to configStorePath. Unlike RocketMQ, an unknown key or a bad value refuses the
// whole update with a remark naming it instead of being skipped silently.

import { parseValue, type FieldSpec, type Schema } from "../config/config_schema.ts";
import { namesrvSchema, type NamesrvConfig } from "../config/namesrv_config.ts";
import { parseProperties } from "../config/properties.ts";

/** RocketMQ's default configBlackList for the name server. */
const blackList = new Set(["configBlackList", "configStorePath", "kvConfigPath"]);

export type ConfigUpdate =
  | { kind: "updated"; keys: string[] }
  | { kind: "refused"; code: "NO_PERMISSION" | "SYSTEM_ERROR"; remark: string };

/** `key=value` lines in schema order: RocketMQ's properties2String shape. */
export function formatNamesrvConfig(config: NamesrvConfig): string {
  let text = "";
  for (const key of Object.keys(namesrvSchema)) {
    text += `${key}=${String(config[key as keyof NamesrvConfig])}\n`;
  }
  return text;
}

/** Validates every key first and applies all or nothing. */
export function updateNamesrvConfig(config: NamesrvConfig, text: string): ConfigUpdate {
  const entries = parseProperties(text);
  if ([...entries.keys()].some((key) => blackList.has(key))) {
    return {
      kind: "refused",
      code: "NO_PERMISSION",
      remark: "Can not update config in black list.",
    };
  }
  const parsed: [keyof NamesrvConfig, string | number | boolean][] = [];
  for (const [key, raw] of entries) {
    const spec: FieldSpec | undefined = (namesrvSchema as Schema)[key];
    if (!spec)
      return { kind: "refused", code: "SYSTEM_ERROR", remark: `unknown config key: ${key}` };
    try {
      parsed.push([key as keyof NamesrvConfig, parseValue(key, spec, raw.trim())]);
    } catch (error) {
      return { kind: "refused", code: "SYSTEM_ERROR", remark: (error as Error).message };
    }
  }
  for (const [key, value] of parsed) (config as Record<string, unknown>)[key] = value;
  return { kind: "updated", keys: parsed.map(([key]) => key) };
}
