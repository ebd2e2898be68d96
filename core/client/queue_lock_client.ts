// The client side of orderly queue locks (spec §8.2): LOCK_BATCH_MQ / UNLOCK_BATCH_MQ to the
// master of each queue's broker. A queue counts as locked only if that broker said so; any
// failure to ask counts as not locked, so an orderly consumer never consumes on a guess.

import type { Logger } from "../common/log.ts";
import { createRequest } from "../protocol/command.ts";
import { decodeLockBatchResponse, encodeLockBatchRequest } from "../protocol/lock_batch_body.ts";
import { RequestCode } from "../protocol/request_code.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import type { RemotingClient } from "../remoting/client.ts";
import { RouteCache, type MessageQueue } from "./route_cache.ts";

export function lockKey(q: { brokerName: string; topic: string; queueId: number }): string {
  return `${q.brokerName}/${q.topic}/${q.queueId}`;
}

export class QueueLockClient {
  constructor(
    private readonly remoting: RemotingClient,
    private readonly routes: RouteCache,
    private readonly group: string,
    private readonly clientId: string,
    private readonly log: Logger,
  ) {}

  /** Locks (or refreshes) the queues; returns the keys (lockKey) of those now held. */
  async lock(queues: MessageQueue[]): Promise<Set<string>> {
    const held = new Set<string>();
    for (const [addr, group] of await this.byMaster(queues)) {
      const request = createRequest(RequestCode.LOCK_BATCH_MQ, {
        body: this.body(group),
      });
      try {
        const answer = await this.remoting.invoke(addr, request);
        if (answer.code !== ResponseCode.SUCCESS) {
          this.log.warn(`lock at ${addr} answered ${answer.code} ${answer.remark ?? ""}`);
          continue;
        }
        for (const q of decodeLockBatchResponse(answer.body)) held.add(lockKey(q));
      } catch (error) {
        this.log.warn(`lock at ${addr} failed: ${(error as Error).message}`);
      }
    }
    return held;
  }

  /** Releases the queues; failures are logged (the broker lets the locks expire). */
  async unlock(queues: MessageQueue[]): Promise<void> {
    for (const [addr, group] of await this.byMaster(queues)) {
      const request = createRequest(RequestCode.UNLOCK_BATCH_MQ, { body: this.body(group) });
      await this.remoting.invoke(addr, request).catch((error: Error) => {
        this.log.warn(`unlock at ${addr} failed: ${error.message}`);
      });
    }
  }

  private body(queues: MessageQueue[]): Uint8Array {
    return encodeLockBatchRequest({
      consumerGroup: this.group,
      clientId: this.clientId,
      mqSet: queues.map((q) => ({ topic: q.topic, brokerName: q.brokerName, queueId: q.queueId })),
      onlyThisBroker: false,
    });
  }

  /** Queues grouped by the address of their broker's master (queues without one are left out). */
  private async byMaster(queues: MessageQueue[]): Promise<Map<string, MessageQueue[]>> {
    const out = new Map<string, MessageQueue[]>();
    for (const queue of queues) {
      const found = await this.routes.get(queue.topic, false).catch(() => undefined);
      const addr = found && RouteCache.masterAddr(found.route, queue.brokerName);
      if (!addr) continue;
      let list = out.get(addr);
      if (!list) out.set(addr, (list = []));
      list.push(queue);
    }
    return out;
  }
}
