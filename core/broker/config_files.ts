// The broker's metadata files in <storeRoot>/config (spec §5.12), as pure codecs:
// decode(text) -> value and encode(value) -> text. Writing keeps RocketMQ's shape: fastjson
// pretty printing, members in alphabetical order, bare integer keys for queue ids and delay
// levels. Tables are written sorted by key so our output is deterministic (a Java broker's
// order is that of its hash map, which no reader depends on).
//
// Reading is lenient, because the files may come from Apache RocketMQ 4.x or 5.x: numeric keys
// quoted or bare, members a version does not write are defaulted (4.9.7 writes no dataVersion in
// consumerOffset.json or delayOffset.json, no stateVersion, no topic attributes, no
// forbiddenTable and only nine subscription group members). Subscription groups keep every
// member we read, including ones we do not model, so rewriting a 5.x file loses nothing.
//
// Every decode failure is a CorruptionError naming the file; persistence and the .bak fallback
// live in config_file_persist.ts.
//
//   file                    shape
//   topics.json             {dataVersion, topicConfigTable: {topic: TopicConfig}}
//   consumerOffset.json     {dataVersion?, offsetTable: {"topic@group": {queueId: nextOffset}}}
//   subscriptionGroup.json  {dataVersion, forbiddenTable?, subscriptionGroupTable: {group: {...}}}
//   delayOffset.json        {dataVersion?, offsetTable: {delayLevel: nextQueueOffset}}

import { CorruptionError, ProtocolError } from "../common/errors.ts";
import { parseLenientJson, type JsonValue, type Writable } from "../protocol/fastjson.ts";
import {
  asObject,
  dataVersionFromJson,
  intOf,
  stringOf,
  topicConfigFromJson,
  topicConfigToWritable,
  type DataVersion,
  type TopicConfig,
} from "../protocol/topic_config.ts";
import { writePrettyJson } from "./fastjson_pretty.ts";

type JsonObject = Record<string, JsonValue>;

/** A metadata file's codec; `empty` is what a broker starts from when neither copy exists. */
export interface ConfigFileCodec<T> {
  /** RocketMQ's file name under <storeRoot>/config. */
  readonly fileName: string;
  empty(): T;
  /** Throws CorruptionError on anything that is not a readable file of this kind. */
  decode(text: string): T;
  encode(value: T): string;
}

export interface TopicsFile {
  dataVersion: DataVersion;
  topicConfigTable: Map<string, TopicConfig>;
}

export interface ConsumerOffsetFile {
  /** Absent in files RocketMQ 4.x wrote; kept absent on rewrite. */
  dataVersion?: DataVersion;
  /** "topic@group" -> queue id -> next queue offset to consume. */
  offsetTable: Map<string, Map<number, number>>;
}

export interface SubscriptionGroupConfig {
  groupName: string;
  consumeEnable: boolean;
  consumeFromMinEnable: boolean;
  consumeBroadcastEnable: boolean;
  consumeMessageOrderly: boolean;
  retryQueueNums: number;
  retryMaxTimes: number;
  /** RocketMQ 5.x GroupRetryPolicy, kept as read: {"type":"CUSTOMIZED"} by default. */
  groupRetryPolicy: JsonObject;
  brokerId: number;
  whichBrokerWhenConsumeSlowly: number;
  notifyConsumerIdsChangedEnable: boolean;
  groupSysFlag: number;
  consumeTimeoutMinute: number;
  attributes: Record<string, string>;
  /** Members we do not model (e.g. 5.x subscriptionDataSet), written back unchanged. */
  otherMembers: JsonObject;
}

export interface SubscriptionGroupFile {
  dataVersion: DataVersion;
  /** group -> topic -> forbidden permission bits (RocketMQ 5.x). */
  forbiddenTable: Map<string, Map<string, number>>;
  subscriptionGroupTable: Map<string, SubscriptionGroupConfig>;
}

export interface DelayOffsetFile {
  /** Absent in files RocketMQ 4.x wrote; kept absent on rewrite. */
  dataVersion?: DataVersion;
  /** delay level (1-based) -> next queue offset of SCHEDULE_TOPIC_XXXX queue level-1. */
  offsetTable: Map<number, number>;
}

const int32Max = 2 ** 31 - 1;

export function emptyDataVersion(): DataVersion {
  return { counter: 0, stateVersion: 0, timestamp: 0 };
}

/** RocketMQ's DataVersion#nextVersion: one more change, stamped with the caller's clock. */
export function nextDataVersion(
  current: DataVersion,
  nowMs: number,
  stateVersion = 0,
): DataVersion {
  return { counter: current.counter + 1, stateVersion, timestamp: nowMs };
}

/** The offsetTable key of consumerOffset.json (topic and group names cannot contain '@'). */
export function consumerOffsetKey(topic: string, group: string): string {
  return `${topic}@${group}`;
}

// ---- topics.json ------------------------------------------------------------------------

export function decodeTopics(text: string): TopicsFile {
  return decodeFile("topics.json", text, (root) => {
    const topicConfigTable = new Map<string, TopicConfig>();
    for (const [name, value] of entriesOf(root.topicConfigTable, "topicConfigTable")) {
      topicConfigTable.set(name, topicConfigFromJson(name, value));
    }
    return { dataVersion: dataVersionFromJson(root.dataVersion), topicConfigTable };
  });
}

export function encodeTopics(value: TopicsFile): string {
  const table = new Map<string, Writable>();
  for (const name of sortedStrings(value.topicConfigTable.keys())) {
    table.set(name, topicConfigToWritable(value.topicConfigTable.get(name)!));
  }
  return writePrettyJson({
    dataVersion: dataVersionToWritable(value.dataVersion),
    topicConfigTable: table,
  });
}

// ---- consumerOffset.json ----------------------------------------------------------------

export function decodeConsumerOffsets(text: string): ConsumerOffsetFile {
  return decodeFile("consumerOffset.json", text, (root) => {
    const offsetTable = new Map<string, Map<number, number>>();
    for (const [key, queues] of entriesOf(root.offsetTable, "offsetTable")) {
      offsetTable.set(key, integerKeyedTable(queues, `offsetTable.${key}`));
    }
    return withDataVersion(root, { offsetTable });
  });
}

export function encodeConsumerOffsets(value: ConsumerOffsetFile): string {
  const table = new Map<string, Writable>();
  for (const key of sortedStrings(value.offsetTable.keys())) {
    table.set(key, sortedByNumber(value.offsetTable.get(key)!));
  }
  return writePrettyJson({
    dataVersion: value.dataVersion && dataVersionToWritable(value.dataVersion),
    offsetTable: table,
  });
}

// ---- subscriptionGroup.json -------------------------------------------------------------

/** A group as RocketMQ creates it on first use (SubscriptionGroupConfig's defaults). */
export function defaultSubscriptionGroup(groupName: string): SubscriptionGroupConfig {
  return {
    groupName,
    consumeEnable: true,
    consumeFromMinEnable: true,
    consumeBroadcastEnable: true,
    consumeMessageOrderly: false,
    retryQueueNums: 1,
    retryMaxTimes: 16,
    groupRetryPolicy: { type: "CUSTOMIZED" },
    brokerId: 0,
    whichBrokerWhenConsumeSlowly: 1,
    notifyConsumerIdsChangedEnable: true,
    groupSysFlag: 0,
    consumeTimeoutMinute: 15,
    attributes: {},
    otherMembers: {},
  };
}

const modelledGroupMembers = new Set(
  Object.keys(defaultSubscriptionGroup("")).filter((member) => member !== "otherMembers"),
);

export function decodeSubscriptionGroups(text: string): SubscriptionGroupFile {
  return decodeFile("subscriptionGroup.json", text, (root) => {
    const subscriptionGroupTable = new Map<string, SubscriptionGroupConfig>();
    for (const [name, value] of entriesOf(root.subscriptionGroupTable, "subscriptionGroupTable")) {
      subscriptionGroupTable.set(name, groupFromJson(name, value));
    }
    const forbiddenTable = new Map<string, Map<string, number>>();
    for (const [group, topics] of entriesOf(root.forbiddenTable, "forbiddenTable")) {
      const perTopic = new Map<string, number>();
      for (const [topic, bits] of entriesOf(topics, `forbiddenTable.${group}`)) {
        perTopic.set(topic, intOf(bits, `forbiddenTable.${group}.${topic}`));
      }
      forbiddenTable.set(group, perTopic);
    }
    return {
      dataVersion: dataVersionFromJson(root.dataVersion),
      forbiddenTable,
      subscriptionGroupTable,
    };
  });
}

/**
 * One group's settings as UPDATE_AND_CREATE_SUBSCRIPTIONGROUP carries them (its
 * SubscriptionGroupConfig in JSON); members left out take RocketMQ's defaults. Throws
 * ProtocolError on a body that is not one, or names no group.
 */
export function decodeSubscriptionGroup(text: string): SubscriptionGroupConfig {
  const root = asObject(parseLenientJson(text), "the body");
  const name = root.groupName;
  if (typeof name !== "string" || name.length === 0) {
    throw new ProtocolError("the body names no groupName");
  }
  return groupFromJson(name, root);
}

function groupFromJson(name: string, value: JsonValue): SubscriptionGroupConfig {
  const what = `subscription group ${name}`;
  const obj = asObject(value, what);
  const defaults = defaultSubscriptionGroup(name);
  const bool = (member: string, fallback: boolean) =>
    boolOf(obj[member], `${what}: ${member}`, fallback);
  const int = (member: string, fallback: number) =>
    intOf(obj[member], `${what}: ${member}`, fallback);
  const otherMembers: JsonObject = {};
  for (const [member, raw] of Object.entries(obj)) {
    if (!modelledGroupMembers.has(member)) setMember(otherMembers, member, raw);
  }
  const retryPolicy = obj.groupRetryPolicy;
  return {
    groupName: stringOf(obj.groupName, `${what}: groupName`, name),
    consumeEnable: bool("consumeEnable", defaults.consumeEnable),
    consumeFromMinEnable: bool("consumeFromMinEnable", defaults.consumeFromMinEnable),
    consumeBroadcastEnable: bool("consumeBroadcastEnable", defaults.consumeBroadcastEnable),
    consumeMessageOrderly: bool("consumeMessageOrderly", defaults.consumeMessageOrderly),
    retryQueueNums: int("retryQueueNums", defaults.retryQueueNums),
    retryMaxTimes: int("retryMaxTimes", defaults.retryMaxTimes),
    groupRetryPolicy:
      retryPolicy === undefined || retryPolicy === null
        ? defaults.groupRetryPolicy
        : asObject(retryPolicy, `${what}: groupRetryPolicy`),
    brokerId: int("brokerId", defaults.brokerId),
    whichBrokerWhenConsumeSlowly: int(
      "whichBrokerWhenConsumeSlowly",
      defaults.whichBrokerWhenConsumeSlowly,
    ),
    notifyConsumerIdsChangedEnable: bool(
      "notifyConsumerIdsChangedEnable",
      defaults.notifyConsumerIdsChangedEnable,
    ),
    groupSysFlag: int("groupSysFlag", defaults.groupSysFlag),
    consumeTimeoutMinute: int("consumeTimeoutMinute", defaults.consumeTimeoutMinute),
    attributes: stringTable(obj.attributes, `${what}: attributes`),
    otherMembers,
  };
}

function groupToWritable(group: SubscriptionGroupConfig): Writable {
  const { otherMembers, ...modelled } = group;
  const merged: Record<string, Writable> = { ...otherMembers, ...modelled };
  const out: Record<string, Writable> = {};
  for (const member of sortedStrings(Object.keys(merged))) setMember(out, member, merged[member]);
  return out;
}

export function encodeSubscriptionGroups(value: SubscriptionGroupFile): string {
  const forbidden = new Map<string, Writable>();
  for (const group of sortedStrings(value.forbiddenTable.keys())) {
    const perTopic = value.forbiddenTable.get(group)!;
    forbidden.set(group, new Map(sortedStrings(perTopic.keys()).map((t) => [t, perTopic.get(t)!])));
  }
  const groups = new Map<string, Writable>();
  for (const name of sortedStrings(value.subscriptionGroupTable.keys())) {
    groups.set(name, groupToWritable(value.subscriptionGroupTable.get(name)!));
  }
  return writePrettyJson({
    dataVersion: dataVersionToWritable(value.dataVersion),
    forbiddenTable: forbidden,
    subscriptionGroupTable: groups,
  });
}

// ---- delayOffset.json -------------------------------------------------------------------

export function decodeDelayOffsets(text: string): DelayOffsetFile {
  return decodeFile("delayOffset.json", text, (root) =>
    withDataVersion(root, { offsetTable: integerKeyedTable(root.offsetTable, "offsetTable") }),
  );
}

export function encodeDelayOffsets(value: DelayOffsetFile): string {
  return writePrettyJson({
    dataVersion: value.dataVersion && dataVersionToWritable(value.dataVersion),
    offsetTable: sortedByNumber(value.offsetTable),
  });
}

// ---- codecs -----------------------------------------------------------------------------

export const topicsJson: ConfigFileCodec<TopicsFile> = {
  fileName: "topics.json",
  empty: () => ({ dataVersion: emptyDataVersion(), topicConfigTable: new Map() }),
  decode: decodeTopics,
  encode: encodeTopics,
};

export const consumerOffsetJson: ConfigFileCodec<ConsumerOffsetFile> = {
  fileName: "consumerOffset.json",
  empty: () => ({ dataVersion: emptyDataVersion(), offsetTable: new Map() }),
  decode: decodeConsumerOffsets,
  encode: encodeConsumerOffsets,
};

export const subscriptionGroupJson: ConfigFileCodec<SubscriptionGroupFile> = {
  fileName: "subscriptionGroup.json",
  empty: () => ({
    dataVersion: emptyDataVersion(),
    forbiddenTable: new Map(),
    subscriptionGroupTable: new Map(),
  }),
  decode: decodeSubscriptionGroups,
  encode: encodeSubscriptionGroups,
};

export const delayOffsetJson: ConfigFileCodec<DelayOffsetFile> = {
  fileName: "delayOffset.json",
  empty: () => ({ dataVersion: emptyDataVersion(), offsetTable: new Map() }),
  decode: decodeDelayOffsets,
  encode: encodeDelayOffsets,
};

// ---- helpers ----------------------------------------------------------------------------

function decodeFile<T>(fileName: string, text: string, read: (root: JsonObject) => T): T {
  try {
    return read(asObject(parseLenientJson(text), "the top level"));
  } catch (error) {
    // RangeError: a native parser refusing input nested deeper than its stack allows.
    if (error instanceof ProtocolError || error instanceof RangeError) {
      throw new CorruptionError(`${fileName}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

function withDataVersion<T extends object>(
  root: JsonObject,
  value: T,
): T & { dataVersion?: DataVersion } {
  if (root.dataVersion === undefined || root.dataVersion === null) return value;
  return { dataVersion: dataVersionFromJson(root.dataVersion), ...value };
}

function dataVersionToWritable(version: DataVersion): Writable {
  return {
    counter: version.counter,
    stateVersion: version.stateVersion,
    timestamp: version.timestamp,
  };
}

/** An object member as [key, value] pairs; absent or null reads as empty. */
function entriesOf(value: JsonValue | undefined, what: string): [string, JsonValue][] {
  if (value === undefined || value === null) return [];
  return Object.entries(asObject(value, what));
}

/** {0:250,"1":248} -> Map {0 => 250, 1 => 248}; keys must be int32 ids >= 0. */
function integerKeyedTable(value: JsonValue | undefined, what: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const [key, raw] of entriesOf(value, what)) {
    const id = /^\d{1,10}$/.test(key) ? Number(key) : NaN;
    if (!(id <= int32Max))
      throw new ProtocolError(`${what}: key ${JSON.stringify(key)} is not an id`);
    out.set(id, intOf(raw, `${what}.${key}`));
  }
  return out;
}

function stringTable(value: JsonValue | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, raw] of entriesOf(value, what)) {
    if (typeof raw === "object" && raw !== null)
      throw new ProtocolError(`${what}.${key} is not a value`);
    setMember(out, key, String(raw));
  }
  return out;
}

/** obj[key] = value as an own member, even for "__proto__" (which `=` would not create). */
function setMember<V>(obj: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function boolOf(value: JsonValue | undefined, what: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  throw new ProtocolError(`${what} is not a boolean`);
}

function sortedStrings(keys: Iterable<string>): string[] {
  return [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function sortedByNumber(table: ReadonlyMap<number, number>): Map<number, number> {
  return new Map([...table.entries()].sort(([a], [b]) => a - b));
}
