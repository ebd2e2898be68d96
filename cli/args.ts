// Turns raw command-line values into validated configs before any core code runs (STYLE rule
// 12): defaults < `-c` properties file < flags, with where each value came from.

import { readFileSync } from "node:fs";
import { ConfigError } from "../core/common/index.ts";
import {
  parseProperties,
  resolveConfig,
  type ConfigLayer,
  type Resolved,
  type Schema,
  type ConfigOf,
} from "../core/config/index.ts";

export function readPropertiesFile(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  return parseProperties(text);
}

/** "host:port" -> bind host and port, for --listen. */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(value.trim());
  if (!match || match[1] === "") {
    throw new ConfigError(`--listen expects host:port, got "${value}"`);
  }
  const port = Number(match[2]);
  if (port > 65535) throw new ConfigError(`--listen port ${port} is out of range`);
  return { host: match[1]!.replace(/^\[(.*)\]$/, "$1"), port };
}

export function resolveWithFile<S extends Schema>(
  schema: S,
  defaults: ConfigOf<S>,
  configFile: string | undefined,
  flags: Map<string, string>,
): Resolved<S> {
  const layers: ConfigLayer[] = [];
  if (configFile) layers.push({ source: "file", values: readPropertiesFile(configFile) });
  layers.push({ source: "flag", values: flags });
  return resolveConfig(schema, defaults, layers);
}
