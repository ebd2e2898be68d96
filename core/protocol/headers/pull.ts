// PULL_MESSAGE (11) / LITE_PULL_MESSAGE (361) request header and PullSysFlag (spec §3.3).

import type { RemotingCommand } from "../command.ts";
import { decimalText } from "../../common/decimal_text.ts";
import { SmallMap } from "../../common/small_map.ts";
import { readHeaderFields, type HeaderFieldSpec, type HeaderFieldValue } from "../header_fields.ts";

export const PullSysFlag = {
  COMMIT_OFFSET: 1,
  SUSPEND: 2,
  SUBSCRIPTION: 4,
  CLASS_FILTER: 8,
  LITE_PULL: 16,
} as const;

export interface PullMessageRequestHeader {
  consumerGroup: string;
  topic: string;
  queueId: number;
  queueOffset: number;
  maxMsgNums: number;
  sysFlag: number;
  commitOffset: number;
  suspendTimeoutMillis: number;
  subscription: string | undefined;
  subVersion: number;
  expressionType: string;
  maxMsgBytes: number | undefined;
}

// In readHeaderFields' order: the decoder reads slot i for field i.
const pullFields: readonly HeaderFieldSpec[] = [
  { key: "consumerGroup", kind: "string", required: true },
  { key: "topic", kind: "string", required: true },
  { key: "queueId", kind: "int", required: true },
  { key: "queueOffset", kind: "int", required: true },
  { key: "maxMsgNums", kind: "int", required: true },
  { key: "sysFlag", kind: "int", required: false },
  { key: "commitOffset", kind: "int", required: false },
  { key: "suspendTimeoutMillis", kind: "int", required: false },
  { key: "subscription", kind: "string", required: false },
  { key: "subVersion", kind: "int", required: false },
  { key: "expressionType", kind: "string", required: false },
  { key: "maxMsgBytes", kind: "int", required: false },
];
/** Reused by every decode (synchronous, copied out before it returns). */
const slots: HeaderFieldValue[] = new Array<HeaderFieldValue>(pullFields.length);

export function decodePullMessageRequest(cmd: RemotingCommand): PullMessageRequestHeader {
  const v = readHeaderFields(cmd, pullFields, slots);
  return {
    consumerGroup: v[0] as string,
    topic: v[1] as string,
    queueId: v[2] as number,
    queueOffset: v[3] as number,
    maxMsgNums: v[4] as number,
    sysFlag: (v[5] as number | undefined) ?? 0,
    commitOffset: (v[6] as number | undefined) ?? 0,
    suspendTimeoutMillis: (v[7] as number | undefined) ?? 0,
    subscription: v[8] as string | undefined,
    subVersion: (v[9] as number | undefined) ?? 0,
    expressionType: (v[10] as string | undefined) ?? "TAG",
    maxMsgBytes: v[11] as number | undefined,
  };
}

/**
 * The header's fields in pullFields' order, appended straight into the map a request carries:
 * a consumer encodes one per pull, as often as messages arrive at low rates.
 */
export function encodePullMessageRequest(h: PullMessageRequestHeader): SmallMap {
  const out = new SmallMap();
  out.append("consumerGroup", h.consumerGroup);
  out.append("topic", h.topic);
  out.append("queueId", String(h.queueId));
  // decimalText: offsets are new numbers every pull (see decimal_text.ts).
  out.append("queueOffset", decimalText(h.queueOffset));
  out.append("maxMsgNums", String(h.maxMsgNums));
  out.append("sysFlag", String(h.sysFlag));
  out.append("commitOffset", decimalText(h.commitOffset));
  out.append("suspendTimeoutMillis", String(h.suspendTimeoutMillis));
  if (h.subscription !== undefined) out.append("subscription", h.subscription);
  out.append("subVersion", String(h.subVersion)); // the same for every pull of a consumer
  out.append("expressionType", h.expressionType);
  if (h.maxMsgBytes !== undefined) out.append("maxMsgBytes", String(h.maxMsgBytes));
  return out;
}
