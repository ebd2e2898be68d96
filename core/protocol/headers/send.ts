// SEND_MESSAGE (10) / SEND_MESSAGE_V2 (310) / SEND_BATCH_MESSAGE (320) headers (spec §3.2.1).
// V2 uses one-letter keys; both decode to one value. The batch path is chosen by the decoded
// `batch` flag, not by the request code, as RocketMQ does.

import { ProtocolError } from "../../common/errors.ts";
import type { RemotingCommand } from "../command.ts";
import { SmallMap } from "../../common/small_map.ts";
import {
  optionalBool,
  optionalInt,
  optionalString,
  requiredInt,
  requiredString,
} from "../header_fields.ts";
import { RequestCode } from "../request_code.ts";

export interface SendMessageRequestHeader {
  producerGroup: string;
  topic: string;
  defaultTopic: string;
  defaultTopicQueueNums: number;
  queueId: number;
  sysFlag: number;
  bornTimestamp: number;
  flag: number;
  properties: string;
  reconsumeTimes: number;
  unitMode: boolean;
  maxReconsumeTimes: number | undefined;
  batch: boolean;
  brokerName: string | undefined;
}

/** V1 key -> V2 key (RocketMQ's SendMessageRequestHeaderV2 field letters). */
const v2Keys = {
  producerGroup: "a",
  topic: "b",
  defaultTopic: "c",
  defaultTopicQueueNums: "d",
  queueId: "e",
  sysFlag: "f",
  bornTimestamp: "g",
  flag: "h",
  properties: "i",
  reconsumeTimes: "j",
  unitMode: "k",
  maxReconsumeTimes: "l",
  batch: "m",
  brokerName: "n",
} as const;

type Key = keyof typeof v2Keys;

export function decodeSendMessageRequest(cmd: RemotingCommand): SendMessageRequestHeader {
  const v2 =
    cmd.code === RequestCode.SEND_MESSAGE_V2 || cmd.code === RequestCode.SEND_BATCH_MESSAGE;
  const k = (name: Key) => (v2 ? v2Keys[name] : name);
  const header: SendMessageRequestHeader = {
    producerGroup: requiredString(cmd, k("producerGroup")),
    topic: requiredString(cmd, k("topic")),
    defaultTopic: optionalString(cmd, k("defaultTopic")) ?? "TBW102",
    defaultTopicQueueNums: optionalInt(cmd, k("defaultTopicQueueNums")) ?? 4,
    queueId: requiredInt(cmd, k("queueId")),
    sysFlag: optionalInt(cmd, k("sysFlag")) ?? 0,
    bornTimestamp: requiredInt(cmd, k("bornTimestamp")),
    flag: optionalInt(cmd, k("flag")) ?? 0,
    properties: cmd.extFields?.get(k("properties")) ?? "",
    reconsumeTimes: optionalInt(cmd, k("reconsumeTimes")) ?? 0,
    unitMode: optionalBool(cmd, k("unitMode")) ?? false,
    maxReconsumeTimes: optionalInt(cmd, k("maxReconsumeTimes")),
    batch: optionalBool(cmd, k("batch")) ?? false,
    brokerName: optionalString(cmd, k("brokerName")) ?? optionalString(cmd, "bname"),
  };
  if (header.defaultTopicQueueNums < 0) throw new ProtocolError("defaultTopicQueueNums < 0");
  return header;
}

/** The V2 extFields of a send (what our client and the Java client put on the wire). */
export function encodeSendMessageRequestV2(h: SendMessageRequestHeader): SmallMap {
  const out = new SmallMap();
  putV2(out, "producerGroup", h.producerGroup);
  putV2(out, "topic", h.topic);
  putV2(out, "defaultTopic", h.defaultTopic);
  putV2(out, "defaultTopicQueueNums", h.defaultTopicQueueNums);
  putV2(out, "queueId", h.queueId);
  putV2(out, "sysFlag", h.sysFlag);
  putV2(out, "bornTimestamp", h.bornTimestamp);
  putV2(out, "flag", h.flag);
  putV2(out, "properties", h.properties);
  putV2(out, "reconsumeTimes", h.reconsumeTimes);
  putV2(out, "unitMode", h.unitMode);
  putV2(out, "maxReconsumeTimes", h.maxReconsumeTimes);
  putV2(out, "batch", h.batch);
  putV2(out, "brokerName", h.brokerName);
  return out;
}

// A plain function, not a closure per send: one is encoded for every message sent.
function putV2(out: SmallMap, name: Key, value: string | number | boolean | undefined): void {
  if (value !== undefined) out.append(v2Keys[name], String(value)); // names are distinct
}

export interface SendMessageResponseHeader {
  msgId: string;
  queueId: number;
  queueOffset: number;
  transactionId?: string;
}
