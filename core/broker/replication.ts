// What a send waits for on a master, and whether it may be stored at all (spec §9.2, §9.3).
// - Classic SYNC_MASTER (4.x rules): with WAIT=true a slave must be connected and no further
//   behind than haSlaveFallbehindMax (else SLAVE_NOT_AVAILABLE, the message stays stored), then
//   its ack must reach the record's end within slaveTimeout (else FLUSH_SLAVE_TIMEOUT).
// - Controller mode (5.x rules): a master is always SYNC_MASTER; fewer in-sync replicas than
//   minInSyncReplicas refuses the send before storing it; a send waits for every in-sync
//   replica (allAckInSyncStateSet) or for inSyncReplicas - 1 replicas, within slaveTimeout.
// ASYNC_MASTER and slaves never wait. The role and the ack source change on a failover.

import type { StoreConfig } from "../config/store_config.ts";
import type { MessageInput, MessageStore, PutResult } from "../store/message_store.ts";
import { PutMessageStatus, type PutMessageStatusValue } from "../store/status.ts";

/** Where acks come from: the classic HA master or the controller-mode one. */
export interface AckSource {
  /** A status to report without waiting (no replica fit to wait for), or null to wait. */
  unavailable(writePosition: number): PutMessageStatusValue | null;
  waitForAck(offset: number, timeoutMs: number): Promise<boolean>;
}

export class Replication {
  /** Moves on every role change: a put that saw another role began under other rules. */
  generation = 0;
  private role = "ASYNC_MASTER";
  private acks: AckSource | null = null;
  /** Controller mode: how many in-sync replicas there are now (master included). */
  private inSyncCount: (() => number) | null = null;
  /** Controller mode: why this master may not write now (its leadership is unconfirmed). */
  private fence: (() => string | null) | null = null;

  constructor(
    private readonly config: Pick<StoreConfig, "slaveTimeout"> & { minInSyncReplicas: number },
    private readonly writePosition: () => number,
  ) {}

  /** The broker's role changed (at start, or a failover). */
  use(
    role: string,
    acks: AckSource | null,
    controlled: { inSyncCount: () => number; fence: () => string | null } | null = null,
  ): void {
    this.generation++;
    this.role = role;
    this.acks = acks;
    this.inSyncCount = controlled?.inSyncCount ?? null;
    this.fence = controlled?.fence ?? null;
  }

  /**
   * Refuses a send before it is stored (controller mode): a master whose leadership lapsed
   * (SERVICE_NOT_AVAILABLE), or too few in-sync replicas for a SYNC send.
   */
  refusal(wait: boolean): { status: PutMessageStatusValue; remark: string } | null {
    const fenced = this.fence?.();
    if (fenced) return { status: PutMessageStatus.SERVICE_NOT_AVAILABLE, remark: fenced };
    if (!this.waits(wait) || !this.inSyncCount) return null;
    const count = this.inSyncCount();
    if (count >= this.config.minInSyncReplicas) return null;
    return {
      status: PutMessageStatus.IN_SYNC_REPLICAS_NOT_ENOUGH,
      remark: `${count} in-sync replicas, minInSyncReplicas is ${this.config.minInSyncReplicas}`,
    };
  }

  /** Whether a send with this WAIT flag waits for a slave here (callers skip the await if not). */
  waits(wait: boolean): boolean {
    return this.role === "SYNC_MASTER" && wait && this.acks !== null;
  }

  /** The store status a send that ends at `endOffset` reports, after waiting if it must. */
  async await(endOffset: number, wait: boolean): Promise<PutMessageStatusValue> {
    const acks = this.acks;
    if (!this.waits(wait) || !acks) return PutMessageStatus.PUT_OK;
    const unavailable = acks.unavailable(this.writePosition());
    if (unavailable) return unavailable;
    const acked = await acks.waitForAck(endOffset, this.config.slaveTimeout);
    return acked ? PutMessageStatus.PUT_OK : PutMessageStatus.FLUSH_SLAVE_TIMEOUT;
  }
}

/**
 * Stores `messages` (one put: a batch, or one message) under the replication rules, for every
 * path that acknowledges a stored message (sends, send-backs, transaction commits): refused
 * before storing when the master may not write; after storing, waits for replicas if
 * `waitReplicas`; and reports FLUSH_SLAVE_TIMEOUT when the broker changed role meanwhile
 * (stepped down: no replica is known to have it, and the next master may not). The send path
 * spells these steps out itself (processors/send.ts) to save an async step per message.
 */
export async function putReplicated(
  replication: Replication,
  store: Pick<MessageStore, "putBatch">,
  messages: MessageInput[],
  waitStoreMsgOk: boolean,
  waitReplicas: boolean,
): Promise<PutResult> {
  const refused = refusedPut(replication, waitReplicas);
  if (refused) return refused;
  const generation = replication.generation;
  const stored = await store.putBatch(messages, waitStoreMsgOk);
  return afterPut(replication, stored, generation, waitReplicas);
}

/** The result of a put the rules refuse before storing, or null if it may go ahead. */
export function refusedPut(replication: Replication, waitReplicas: boolean): PutResult | null {
  const refused = replication.refusal(waitReplicas);
  return refused && { status: refused.status, appended: [], remark: refused.remark };
}

/**
 * A put's result under the rules once stored (`generation`: the replication's when the put
 * began): a promise only when it must wait for replicas.
 */
export function afterPut(
  replication: Replication,
  result: PutResult,
  generation: number,
  waitReplicas: boolean,
): PutResult | Promise<PutResult> {
  const stored =
    result.status === PutMessageStatus.PUT_OK ||
    result.status === PutMessageStatus.FLUSH_DISK_TIMEOUT;
  if (!stored) return result;
  if (replication.waits(waitReplicas)) {
    return afterReplicas(replication, result, generation, waitReplicas);
  }
  return roleKept(replication, result, generation);
}

async function afterReplicas(
  replication: Replication,
  result: PutResult,
  generation: number,
  waitReplicas: boolean,
): Promise<PutResult> {
  // A replication failure outranks a flush timeout.
  const last = result.appended[result.appended.length - 1]!;
  const replicated = await replication.await(last.physicalOffset + last.size, waitReplicas);
  if (replicated !== PutMessageStatus.PUT_OK) result = { ...result, status: replicated };
  return roleKept(replication, result, generation);
}

function roleKept(replication: Replication, result: PutResult, generation: number): PutResult {
  if (replication.generation === generation) return result;
  return { ...result, status: PutMessageStatus.FLUSH_SLAVE_TIMEOUT };
}

/** The classic HA master's acks: the best slave's, if one is connected and close enough. */
export function classicAcks(
  master: {
    connectionCount(): number;
    ackOffset(): number;
    waitForAck(offset: number, timeoutMs: number): Promise<boolean>;
  },
  slaveFallbehindMaxBytes: number,
): AckSource {
  return {
    unavailable: (writePosition) => {
      const ack = master.ackOffset();
      const fit =
        master.connectionCount() > 0 && ack >= 0 && writePosition - ack <= slaveFallbehindMaxBytes;
      return fit ? null : PutMessageStatus.SLAVE_NOT_AVAILABLE;
    },
    waitForAck: (offset, timeoutMs) => master.waitForAck(offset, timeoutMs),
  };
}
