// The system topics of transactions (spec §7.1) and the op records that resolve half messages:
// one record per resolution in RMQ_SYS_TRANS_OP_HALF_TOPIC (the half's queue id), tag "d", body
// the half message's queue offset as ASCII, as RocketMQ 4.9.7 writes them (fixture bytes:
// properties "WAIT\u0001true\u0002TAGS\u0001d", body "3").

import type { HostAddress } from "../common/message.ts";
import type { MessageStore, PutResult } from "../store/message_store.ts";

export const TransactionTopics = {
  HALF: "RMQ_SYS_TRANS_HALF_TOPIC",
  OP: "RMQ_SYS_TRANS_OP_HALF_TOPIC",
  CHECK_MAX_TIME: "TRANS_CHECK_MAX_TIME_TOPIC",
  /** The consumer group whose offsets are the checker's progress (consumerOffset.json). */
  CHECKER_GROUP: "CID_RMQ_SYS_TRANS",
} as const;

export const OP_TAG = "d";

/** Marks the half message at `halfQueueOffset` (of half queue `queueId`) as resolved. */
export function putOpRecord(
  store: MessageStore,
  storeHost: HostAddress,
  nowMs: number,
  queueId: number,
  halfQueueOffset: number,
): Promise<PutResult> {
  return store.put({
    topic: TransactionTopics.OP,
    queueId,
    flag: 0,
    sysFlag: 0,
    bornTimestamp: nowMs,
    bornHost: storeHost,
    storeHost,
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    body: new TextEncoder().encode(String(halfQueueOffset)),
    properties: `WAIT\u0001true\u0002TAGS\u0001${OP_TAG}`,
  });
}

/**
 * The half queue offsets an op record resolves: "3" (4.x) or "17,18,21," (5.x batches); what
 * does not read as offsets is left out.
 */
export function opRecordHalfOffsets(body: Uint8Array): number[] {
  const out: number[] = [];
  for (const part of new TextDecoder().decode(body).split(",")) {
    if (!/^\d+$/.test(part)) continue;
    const offset = Number(part);
    if (Number.isSafeInteger(offset)) out.push(offset);
  }
  return out;
}
