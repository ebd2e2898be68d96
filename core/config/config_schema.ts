// A typed config built from RocketMQ-named keys (STYLE rule 12). A schema lists each key with
// its kind and default; `resolveConfig` layers defaults < properties file < flags, validates
// every value, and remembers where each came from for --print-config. Unknown keys in a file
// are kept aside (RocketMQ ignores them silently; we report them so typos are visible).

import { ConfigError } from "../common/errors.ts";

export type FieldKind = "string" | "int" | "bool";

export interface FieldSpec<K extends FieldKind = FieldKind> {
  kind: K;
  doc: string;
  /** Inclusive bounds for int fields. */
  min?: number;
  max?: number;
  /** Allowed values for string fields. */
  oneOf?: readonly string[];
}

export type Schema = Record<string, FieldSpec>;

type ValueOf<F extends FieldSpec> = F["kind"] extends "int"
  ? number
  : F["kind"] extends "bool"
    ? boolean
    : string;

export type ConfigOf<S extends Schema> = { -readonly [K in keyof S]: ValueOf<S[K]> };

export type ConfigSource = "default" | "file" | "flag" | "env";

export interface Resolved<S extends Schema> {
  config: ConfigOf<S>;
  sources: Record<keyof S, ConfigSource>;
  unknownKeys: string[];
}

export interface ConfigLayer {
  source: ConfigSource;
  values: Map<string, string>;
}

/** Aliases: RocketMQ renamed some keys (e.g. mapedFileSizeCommitLog); old spellings still work. */
export type KeyAliases = Record<string, string>;

/**
 * The schema's entry for `key`, if it has one of its own: a key such as "constructor" or
 * "toString" names a member every object inherits, not a config key.
 */
export function fieldSpecOf(schema: Schema, key: string): FieldSpec | undefined {
  return Object.hasOwn(schema, key) ? schema[key] : undefined;
}

export function resolveConfig<S extends Schema>(
  schema: S,
  defaults: ConfigOf<S>,
  layers: ConfigLayer[],
  aliases: KeyAliases = {},
): Resolved<S> {
  const config = { ...defaults };
  const sources = Object.fromEntries(Object.keys(schema).map((k) => [k, "default"])) as Record<
    keyof S,
    ConfigSource
  >;
  const unknownKeys: string[] = [];
  for (const layer of layers) {
    for (const [rawKey, raw] of layer.values) {
      const key = (Object.hasOwn(aliases, rawKey) ? aliases[rawKey] : undefined) ?? rawKey;
      const spec = fieldSpecOf(schema, key);
      if (!spec) {
        unknownKeys.push(rawKey);
        continue;
      }
      (config as Record<string, unknown>)[key] = parseValue(key, spec, raw.trim());
      sources[key as keyof S] = layer.source;
    }
  }
  return { config, sources, unknownKeys };
}

export function parseValue(key: string, spec: FieldSpec, raw: string): string | number | boolean {
  switch (spec.kind) {
    case "int": {
      if (!/^-?\d+$/.test(raw)) throw new ConfigError(`${key}: expected an integer, got "${raw}"`);
      const value = Number(raw);
      if (!Number.isSafeInteger(value)) throw new ConfigError(`${key}: ${raw} is out of range`);
      if (spec.min !== undefined && value < spec.min) {
        throw new ConfigError(`${key}: ${value} is below the minimum ${spec.min}`);
      }
      if (spec.max !== undefined && value > spec.max) {
        throw new ConfigError(`${key}: ${value} is above the maximum ${spec.max}`);
      }
      return value;
    }
    case "bool": {
      // Java's Boolean.parseBoolean: "true" (any case) is true, anything else false. We are
      // stricter so a typo does not silently turn a feature off.
      const lower = raw.toLowerCase();
      if (lower === "true") return true;
      if (lower === "false") return false;
      throw new ConfigError(`${key}: expected true or false, got "${raw}"`);
    }
    case "string": {
      if (spec.oneOf && !spec.oneOf.includes(raw)) {
        throw new ConfigError(`${key}: expected one of ${spec.oneOf.join(", ")}, got "${raw}"`);
      }
      return raw;
    }
  }
}

/** `key=value` lines with the source of each, in schema order (what --print-config shows). */
export function describeConfig<S extends Schema>(resolved: Resolved<S>): string[] {
  return Object.keys(resolved.config).map((key) => {
    const value = (resolved.config as Record<string, unknown>)[key];
    return `${key}=${String(value)}  # ${resolved.sources[key as keyof S]}`;
  });
}
