// SEND_MESSAGE (10) / SEND_MESSAGE_V2 (310) / SEND_BATCH_MESSAGE (320) headers (spec §3.2.1).
// V2 uses one-letter keys; both decode to one value. The batch path is chosen by the decoded
// `batch` flag, not by the request code, as RocketMQ does.

import { ProtocolError } from "../../common/errors.ts";
import type { RemotingCommand } from "../command.ts";
import { SmallMap } from "../../common/small_map.ts";
import { decimalText } from "../../common/decimal_text.ts";
import {
  optionalString,
  readHeaderFields,
  type HeaderFieldSpec,
  type HeaderFieldValue,
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

/** Each field's type and whether it must be there, as RocketMQ's header class declares it. */
const fieldTypes: { readonly [K in Key]: readonly [HeaderFieldSpec["kind"], boolean] } = {
  producerGroup: ["string", true],
  topic: ["string", true],
  defaultTopic: ["string", false],
  defaultTopicQueueNums: ["int", false],
  queueId: ["int", true],
  sysFlag: ["int", false],
  bornTimestamp: ["int", true],
  flag: ["int", false],
  properties: ["string", false],
  reconsumeTimes: ["int", false],
  unitMode: ["bool", false],
  maxReconsumeTimes: ["int", false],
  batch: ["bool", false],
  brokerName: ["string", false],
};
/** v2Keys' order: readHeaderFields puts field i in slot i. */
const fieldNames = Object.keys(v2Keys) as Key[];
const specsBy = (keyOf: (name: Key) => string): HeaderFieldSpec[] =>
  fieldNames.map((name) => ({
    key: keyOf(name),
    kind: fieldTypes[name][0],
    required: fieldTypes[name][1],
  }));
const v1Fields = specsBy((name) => name);
const v2Fields = specsBy((name) => v2Keys[name]);
/** Reused by every decode (synchronous, copied out before it returns). */
const slots: HeaderFieldValue[] = new Array<HeaderFieldValue>(fieldNames.length);

export function decodeSendMessageRequest(cmd: RemotingCommand): SendMessageRequestHeader {
  const v2 =
    cmd.code === RequestCode.SEND_MESSAGE_V2 ||
    cmd.code === RequestCode.SEND_BATCH_MESSAGE ||
    cmd.code === RequestCode.SEND_REPLY_MESSAGE_V2;
  const v = readHeaderFields(cmd, v2 ? v2Fields : v1Fields, slots);
  const header: SendMessageRequestHeader = {
    producerGroup: v[0] as string,
    topic: v[1] as string,
    defaultTopic: (v[2] as string | undefined) ?? "TBW102",
    defaultTopicQueueNums: (v[3] as number | undefined) ?? 4,
    queueId: v[4] as number,
    sysFlag: (v[5] as number | undefined) ?? 0,
    bornTimestamp: v[6] as number,
    flag: (v[7] as number | undefined) ?? 0,
    properties: (v[8] as string | undefined) ?? "",
    reconsumeTimes: (v[9] as number | undefined) ?? 0,
    unitMode: (v[10] as boolean | undefined) ?? false,
    maxReconsumeTimes: v[11] as number | undefined,
    batch: (v[12] as boolean | undefined) ?? false,
    brokerName: (v[13] as string | undefined) ?? optionalString(cmd, "bname"),
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
  if (value === undefined) return;
  // decimalText: bornTimestamp is a new number per send (see decimal_text.ts).
  const text = typeof value === "number" ? decimalText(value) : String(value);
  out.append(v2Keys[name], text); // names are distinct
}

export interface SendMessageResponseHeader {
  msgId: string;
  queueId: number;
  queueOffset: number;
  transactionId?: string;
}
