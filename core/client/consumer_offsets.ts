// Where a push consumer's queues start and where their offsets are kept (spec §3.5): a
// clustering group's offsets on the broker (QUERY/UPDATE_CONSUMER_OFFSET, the master, else a
// slave), a broadcasting member's in its local file; a queue with nothing committed starts
// where consumeFrom says (the first message, the last, or the first stored at a time).

import type { Logger } from "../common/log.ts";
import { createRequest } from "../protocol/command.ts";
import { RequestCode } from "../protocol/request_code.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import type { TopicRouteData } from "../protocol/route_data.ts";
import type { RemotingClient } from "../remoting/client.ts";
import type { ConsumeFrom } from "./consumer_options.ts";
import type { LocalOffsetStore } from "./local_offset_store.ts";
import { RouteCache, type MessageQueue } from "./route_cache.ts";

export class ConsumerOffsets {
  constructor(
    private readonly remoting: RemotingClient,
    private readonly routes: RouteCache,
    private readonly group: string,
    private readonly consumeFrom: ConsumeFrom,
    /** Broadcasting: offsets in a local file, not on the broker. */
    private readonly local: LocalOffsetStore | null,
    private readonly log: Logger,
  ) {}

  /** Where `queue` starts for this member; undefined when no broker could say (try later). */
  async start(queue: MessageQueue, route: TopicRouteData): Promise<number | undefined> {
    const addr = RouteCache.anyAddr(route, queue.brokerName);
    if (!addr) return undefined;
    if (this.local) return this.local.get(queueKey(queue)) ?? this.initial(addr, queue);
    const committed = await this.remoting.invoke(
      addr,
      createRequest(RequestCode.QUERY_CONSUMER_OFFSET, {
        extFields: { consumerGroup: this.group, topic: queue.topic, queueId: queue.queueId },
      }),
    );
    if (committed.code === ResponseCode.SUCCESS)
      return Number(committed.extFields?.get("offset") ?? 0);
    if (committed.code !== ResponseCode.QUERY_NOT_FOUND) return undefined;
    return this.initial(addr, queue);
  }

  /** Keeps `offset` as `queue`'s; true once it is kept (false: a failure, already logged). */
  async commit(queue: MessageQueue, offset: number): Promise<boolean> {
    if (this.local) {
      this.local.set(queueKey(queue), offset);
      return true;
    }
    const found = await this.routes.get(queue.topic, false).catch(() => undefined);
    // The master keeps offsets; with the master gone a slave takes them (its master's copy
    // overwrites them when it is back), as the Java client falls back.
    const addr = found && RouteCache.anyAddr(found.route, queue.brokerName);
    if (!addr) return false;
    const request = createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, {
      extFields: {
        consumerGroup: this.group,
        topic: queue.topic,
        queueId: queue.queueId,
        commitOffset: offset,
      },
    });
    try {
      const answer = await this.remoting.invoke(addr, request);
      return answer.code === ResponseCode.SUCCESS;
    } catch (error) {
      this.log.warn(`offset commit failed: ${(error as Error).message}`);
      return false;
    }
  }

  /** Writes the local file (broadcasting); a failure is logged, the offsets stay in memory. */
  persist(): void {
    try {
      this.local?.persist();
    } catch (error) {
      this.log.warn(`could not write ${this.local?.path}: ${(error as Error).message}`);
    }
  }

  /** Where a queue starts when nothing was committed: consumeFrom decides. */
  private async initial(addr: string, queue: MessageQueue): Promise<number | undefined> {
    const from = this.consumeFrom;
    if (from.kind === "first") return 0;
    const q = { topic: queue.topic, queueId: queue.queueId };
    const answer =
      from.kind === "last"
        ? await this.remoting.invoke(
            addr,
            createRequest(RequestCode.GET_MAX_OFFSET, { extFields: q }),
          )
        : await this.remoting.invoke(
            addr,
            createRequest(RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, {
              extFields: { ...q, timestamp: from.ms },
            }),
          );
    return answer.code === ResponseCode.SUCCESS
      ? Number(answer.extFields?.get("offset") ?? 0)
      : undefined;
  }
}

/** A queue's key: in the local offsets file, and the push consumer's for the queues it owns. */
export function queueKey(q: MessageQueue): string {
  return `${q.brokerName}/${q.topic}/${q.queueId}`;
}
