// PULL_MESSAGE (11) / LITE_PULL_MESSAGE (361) request header and PullSysFlag (spec §3.3).

import type { RemotingCommand } from "../command.ts";
import { decimalText } from "../../common/decimal_text.ts";
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

export function encodePullMessageRequest(h: PullMessageRequestHeader): Record<string, string> {
  const out: Record<string, string> = {
    consumerGroup: h.consumerGroup,
    topic: h.topic,
    queueId: String(h.queueId),
    queueOffset: decimalText(h.queueOffset),
    maxMsgNums: String(h.maxMsgNums),
    sysFlag: String(h.sysFlag),
    commitOffset: decimalText(h.commitOffset),
    suspendTimeoutMillis: String(h.suspendTimeoutMillis),
    subVersion: String(h.subVersion),
    expressionType: h.expressionType,
  };
  if (h.subscription !== undefined) out.subscription = h.subscription;
  if (h.maxMsgBytes !== undefined) out.maxMsgBytes = String(h.maxMsgBytes);
  return out;
}
