// PULL_MESSAGE (11) / LITE_PULL_MESSAGE (361) request header and PullSysFlag (spec §3.3).

import type { RemotingCommand } from "../command.ts";
import { optionalInt, optionalString, requiredInt, requiredString } from "../header_fields.ts";

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

export function decodePullMessageRequest(cmd: RemotingCommand): PullMessageRequestHeader {
  return {
    consumerGroup: requiredString(cmd, "consumerGroup"),
    topic: requiredString(cmd, "topic"),
    queueId: requiredInt(cmd, "queueId"),
    queueOffset: requiredInt(cmd, "queueOffset"),
    maxMsgNums: requiredInt(cmd, "maxMsgNums"),
    sysFlag: optionalInt(cmd, "sysFlag") ?? 0,
    commitOffset: optionalInt(cmd, "commitOffset") ?? 0,
    suspendTimeoutMillis: optionalInt(cmd, "suspendTimeoutMillis") ?? 0,
    subscription: optionalString(cmd, "subscription"),
    subVersion: optionalInt(cmd, "subVersion") ?? 0,
    expressionType: optionalString(cmd, "expressionType") ?? "TAG",
    maxMsgBytes: optionalInt(cmd, "maxMsgBytes"),
  };
}

export function encodePullMessageRequest(h: PullMessageRequestHeader): Record<string, string> {
  const out: Record<string, string> = {
    consumerGroup: h.consumerGroup,
    topic: h.topic,
    queueId: String(h.queueId),
    queueOffset: String(h.queueOffset),
    maxMsgNums: String(h.maxMsgNums),
    sysFlag: String(h.sysFlag),
    commitOffset: String(h.commitOffset),
    suspendTimeoutMillis: String(h.suspendTimeoutMillis),
    subVersion: String(h.subVersion),
    expressionType: h.expressionType,
  };
  if (h.subscription !== undefined) out.subscription = h.subscription;
  if (h.maxMsgBytes !== undefined) out.maxMsgBytes = String(h.maxMsgBytes);
  return out;
}
