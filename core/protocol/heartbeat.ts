// HeartbeatData (HEART_BEAT body, spec §3.5): who a client is, its consumer groups with their
// subscriptions, and its producer groups. Read leniently (Java, Go and ali-ons send it).

import { ProtocolError } from "../common/errors.ts";
import { parseLenientJson, writeJson, type JsonValue } from "./fastjson.ts";
import { asObject, intOf, stringOf } from "./topic_config.ts";

export interface SubscriptionData {
  topic: string;
  subString: string;
  tagsSet: string[];
  codeSet: number[];
  subVersion: number;
  expressionType: string;
  classFilterMode: boolean;
}

export interface ConsumerData {
  groupName: string;
  consumeType: string;
  messageModel: string;
  consumeFromWhere: string;
  subscriptionDataSet: SubscriptionData[];
  unitMode: boolean;
}

export interface HeartbeatData {
  clientID: string;
  producerDataSet: { groupName: string }[];
  consumerDataSet: ConsumerData[];
}

const decoder = new TextDecoder();

function arrayOf(value: JsonValue | undefined, what: string): JsonValue[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ProtocolError(`${what} is not an array`);
  return value;
}

function subscriptionOf(value: JsonValue): SubscriptionData {
  const o = asObject(value, "subscriptionData");
  return {
    topic: stringOf(o.topic, "topic"),
    subString: stringOf(o.subString, "subString", "*"),
    tagsSet: arrayOf(o.tagsSet, "tagsSet").map(String),
    codeSet: arrayOf(o.codeSet, "codeSet").map((c) => intOf(c, "codeSet item")),
    subVersion: intOf(o.subVersion, "subVersion", 0),
    expressionType: stringOf(o.expressionType, "expressionType", "TAG"),
    classFilterMode: o.classFilterMode === true,
  };
}

export function decodeHeartbeat(body: Uint8Array | null): HeartbeatData {
  if (!body) throw new ProtocolError("heartbeat without a body");
  const root = asObject(parseLenientJson(decoder.decode(body)), "HeartbeatData");
  return {
    clientID: stringOf(root.clientID, "clientID"),
    producerDataSet: arrayOf(root.producerDataSet, "producerDataSet").map((p) => ({
      groupName: stringOf(asObject(p, "producerData").groupName, "groupName"),
    })),
    consumerDataSet: arrayOf(root.consumerDataSet, "consumerDataSet").map((c) => {
      const o = asObject(c, "consumerData");
      return {
        groupName: stringOf(o.groupName, "groupName"),
        consumeType: stringOf(o.consumeType, "consumeType", "CONSUME_PASSIVELY"),
        messageModel: stringOf(o.messageModel, "messageModel", "CLUSTERING").toUpperCase(),
        consumeFromWhere: stringOf(
          o.consumeFromWhere,
          "consumeFromWhere",
          "CONSUME_FROM_LAST_OFFSET",
        ),
        subscriptionDataSet: arrayOf(o.subscriptionDataSet, "subscriptions").map(subscriptionOf),
        unitMode: o.unitMode === true,
      };
    }),
  };
}

/** A SubscriptionData's members in fastjson's order (heartbeats, connection and status lists). */
export function subscriptionDataFields(s: SubscriptionData) {
  return {
    classFilterMode: s.classFilterMode,
    codeSet: s.codeSet,
    expressionType: s.expressionType,
    subString: s.subString,
    subVersion: s.subVersion,
    tagsSet: s.tagsSet,
    topic: s.topic,
  };
}

export function encodeHeartbeat(data: HeartbeatData): Uint8Array {
  const text = writeJson(
    {
      clientID: data.clientID,
      consumerDataSet: data.consumerDataSet.map((c) => ({
        consumeFromWhere: c.consumeFromWhere,
        consumeType: c.consumeType,
        groupName: c.groupName,
        messageModel: c.messageModel,
        subscriptionDataSet: c.subscriptionDataSet.map(subscriptionDataFields),
        unitMode: c.unitMode,
      })),
      producerDataSet: data.producerDataSet,
    },
    { quoteNumericKeys: true },
  );
  return new TextEncoder().encode(text);
}
