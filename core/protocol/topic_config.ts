// TopicConfig and DataVersion as brokers describe them to name servers (spec §2.2), with
// lenient readers for the JSON a broker sends. Field names are RocketMQ's.

import { ProtocolError } from "../common/errors.ts";
import type { JsonValue } from "./fastjson.ts";

/** PermName bits (spec §2.4). */
export const Perm = { PRIORITY: 8, READ: 4, WRITE: 2, INHERIT: 1 } as const;

export interface DataVersion {
  counter: number;
  stateVersion: number;
  timestamp: number;
}

export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: string;
  topicSysFlag: number;
  order: boolean;
  attributes: Record<string, string>;
}

/** A topic with RocketMQ's defaults: equal read and write queues, read-write, SINGLE_TAG. */
export function topicConfig(
  name: string,
  queues: number,
  perm: number = Perm.READ | Perm.WRITE,
): TopicConfig {
  return {
    topicName: name,
    readQueueNums: queues,
    writeQueueNums: queues,
    perm,
    topicFilterType: "SINGLE_TAG",
    topicSysFlag: 0,
    order: false,
    attributes: {},
  };
}

export function sameDataVersion(a: DataVersion, b: DataVersion): boolean {
  return (
    a.counter === b.counter && a.timestamp === b.timestamp && a.stateVersion === b.stateVersion
  );
}

type JsonObject = Record<string, JsonValue>;

export function asObject(value: JsonValue | undefined, what: string): JsonObject {
  if (value === null || value === undefined || typeof value !== "object" || Array.isArray(value)) {
    throw new ProtocolError(`${what} is not an object`);
  }
  return value;
}

export function intOf(value: JsonValue | undefined, what: string, fallback?: number): number {
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw new ProtocolError(`${what} is missing`);
  }
  const num = typeof value === "string" ? Number(value) : value;
  if (typeof num !== "number" || !Number.isSafeInteger(num)) {
    throw new ProtocolError(`${what} is not an integer`);
  }
  return num;
}

export function stringOf(value: JsonValue | undefined, what: string, fallback?: string): string {
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw new ProtocolError(`${what} is missing`);
  }
  if (typeof value !== "string") throw new ProtocolError(`${what} is not a string`);
  return value;
}

export function dataVersionFromJson(value: JsonValue | undefined): DataVersion {
  if (value === undefined || value === null) return { counter: 0, stateVersion: 0, timestamp: 0 };
  const obj = asObject(value, "dataVersion");
  return {
    counter: intOf(obj.counter, "dataVersion.counter", 0),
    stateVersion: intOf(obj.stateVersion, "dataVersion.stateVersion", 0),
    timestamp: intOf(obj.timestamp, "dataVersion.timestamp", 0),
  };
}

export function topicConfigFromJson(name: string, value: JsonValue | undefined): TopicConfig {
  const obj = asObject(value, `topic config ${name}`);
  const attributes: Record<string, string> = {};
  if (obj.attributes !== undefined && obj.attributes !== null) {
    for (const [k, v] of Object.entries(asObject(obj.attributes, "attributes"))) {
      attributes[k] = String(v);
    }
  }
  return {
    topicName: stringOf(obj.topicName, "topicName", name),
    readQueueNums: intOf(obj.readQueueNums, "readQueueNums", 16),
    writeQueueNums: intOf(obj.writeQueueNums, "writeQueueNums", 16),
    perm: intOf(obj.perm, "perm", Perm.READ | Perm.WRITE),
    topicFilterType: stringOf(obj.topicFilterType, "topicFilterType", "SINGLE_TAG"),
    topicSysFlag: intOf(obj.topicSysFlag, "topicSysFlag", 0),
    order: obj.order === true || obj.order === "true",
    attributes,
  };
}

/** The JSON members of a TopicConfig in fastjson's (alphabetical) order. */
export function topicConfigToWritable(config: TopicConfig): Record<string, JsonValue> {
  return {
    attributes: config.attributes,
    order: config.order,
    perm: config.perm,
    readQueueNums: config.readQueueNums,
    topicFilterType: config.topicFilterType,
    topicName: config.topicName,
    topicSysFlag: config.topicSysFlag,
    writeQueueNums: config.writeQueueNums,
  };
}
