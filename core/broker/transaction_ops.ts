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

/** Marks the half messages at `halfQueueOffsets` (of half queue `queueId`) as resolved. */
export function putOpRecord(
  store: MessageStore,
  storeHost: HostAddress,
  nowMs: number,
  queueId: number,
  halfQueueOffsets: number | number[],
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
    body: new TextEncoder().encode(opBody(halfQueueOffsets)),
    properties: `WAIT\u0001true\u0002TAGS\u0001${OP_TAG}`,
  });
}

/**
 * One offset as 4.9.7 writes it ("3"); several as 5.x batches them ("17,18,21,"). Both read
 * back with opRecordHalfOffsets.
 */
function opBody(offsets: number | number[]): string {
  if (typeof offsets === "number") return String(offsets);
  return offsets.length === 1 ? String(offsets[0]) : offsets.map((o) => `${o},`).join("");
}

/**
 * Op records batched per event-loop turn: every resolution asked for in one turn (one drain
 * of END_TRANSACTIONs) shares one record, written at once, so a batch adds no delay and so no
 * window in which a crash forgets a resolution the producer was told about.
 */
export class OpRecordBatcher {
  private readonly pending = new Map<
    number,
    { offsets: number[]; done: PromiseWithResolvers<PutResult> }
  >();

  constructor(
    private readonly store: MessageStore,
    private readonly storeHost: () => HostAddress,
    private readonly nowMs: () => number,
  ) {}

  resolve(queueId: number, halfQueueOffset: number): Promise<PutResult> {
    let batch = this.pending.get(queueId);
    if (!batch) {
      batch = { offsets: [], done: Promise.withResolvers<PutResult>() };
      this.pending.set(queueId, batch);
      queueMicrotask(() => this.flush(queueId));
    }
    batch.offsets.push(halfQueueOffset);
    return batch.done.promise;
  }

  private flush(queueId: number): void {
    const batch = this.pending.get(queueId);
    if (!batch) return;
    this.pending.delete(queueId);
    putOpRecord(this.store, this.storeHost(), this.nowMs(), queueId, batch.offsets).then(
      batch.done.resolve,
      batch.done.reject,
    );
  }
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
