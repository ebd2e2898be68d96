// A pull consumer for scripts and tools: explicit reads of one queue from an offset, no group
// membership, no rebalancing, no offset commits unless asked (RocketMQ's DefaultLitePullConsumer
// used by hand, or mqadmin's consumeMessage).

import type { Clock } from "../common/clock.ts";
import { RemoteError } from "../common/errors.ts";
import type { Logger } from "../common/log.ts";
import { createRequest } from "../protocol/command.ts";
import { encodePullMessageRequest, PullSysFlag } from "../protocol/headers/pull.ts";
import { RequestCode } from "../protocol/request_code.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import { RemotingClient } from "../remoting/client.ts";
import { messagesOfPull, type ReceivedMessage } from "./received_message.ts";
import { RouteCache, type MessageQueue } from "./route_cache.ts";

export type PullStatus = "FOUND" | "NO_NEW_MSG" | "NO_MATCHED_MSG" | "OFFSET_ILLEGAL";

export interface PullResult {
  status: PullStatus;
  messages: ReceivedMessage[];
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  /** The broker id to pull this queue from next (0: master; a slave for a consumer far behind). */
  suggestWhichBrokerId: number;
}

const statusByCode: Record<number, PullStatus> = {
  [ResponseCode.SUCCESS]: "FOUND",
  [ResponseCode.PULL_NOT_FOUND]: "NO_NEW_MSG",
  [ResponseCode.PULL_RETRY_IMMEDIATELY]: "NO_MATCHED_MSG",
  [ResponseCode.PULL_OFFSET_MOVED]: "OFFSET_ILLEGAL",
};

export class PullConsumer {
  private readonly remoting: RemotingClient;
  private readonly routes: RouteCache;

  constructor(
    private readonly options: { group: string; namesrvAddrs: string[]; clock: Clock; log: Logger },
  ) {
    this.remoting = new RemotingClient({ clock: options.clock, log: options.log });
    this.routes = new RouteCache(this.remoting, options.namesrvAddrs, options.clock);
  }

  close(): void {
    this.remoting.close();
  }

  /** Every readable queue of a topic. */
  async queues(topic: string): Promise<MessageQueue[]> {
    const found = await this.routes.get(topic, false);
    if (!found) throw new RemoteError(ResponseCode.TOPIC_NOT_EXIST, `topic ${topic} has no route`);
    return RouteCache.subscribeQueues(topic, found.route);
  }

  /**
   * Reads up to `maxCount` messages of `queue` from `offset` with a tag expression; with
   * `waitMs` > 0 the broker holds the pull until a message arrives or the time passes.
   */
  async pull(
    queue: MessageQueue,
    offset: number,
    maxCount: number,
    options: { subscription?: string; waitMs?: number } = {},
  ): Promise<PullResult> {
    const found = await this.routes.get(queue.topic, false);
    const addr = found && RouteCache.anyAddr(found.route, queue.brokerName);
    if (!addr)
      throw new RemoteError(ResponseCode.TOPIC_NOT_EXIST, `no broker for ${queue.brokerName}`);
    const waitMs = options.waitMs ?? 0;
    let sysFlag = PullSysFlag.SUBSCRIPTION;
    if (waitMs > 0) sysFlag |= PullSysFlag.SUSPEND;
    const request = createRequest(RequestCode.PULL_MESSAGE, {
      extFields: encodePullMessageRequest({
        consumerGroup: this.options.group,
        topic: queue.topic,
        queueId: queue.queueId,
        queueOffset: offset,
        maxMsgNums: maxCount,
        sysFlag,
        commitOffset: 0,
        suspendTimeoutMillis: waitMs,
        subscription: options.subscription ?? "*",
        subVersion: 0,
        expressionType: "TAG",
        maxMsgBytes: undefined,
      }),
    });
    const answer = await this.remoting.invoke(addr, request, waitMs + 5_000);
    const status = statusByCode[answer.code];
    if (!status) throw new RemoteError(answer.code, answer.remark);
    const num = (key: string) => Number(answer.extFields?.get(key) ?? 0);
    const next = num("nextBeginOffset");
    const warn = (problem: string) =>
      this.options.log.warn(`pull of ${queue.topic} queue ${queue.queueId}: ${problem}`);
    const { messages, endedEarly } =
      status === "FOUND"
        ? messagesOfPull(answer.body ?? new Uint8Array(0), queue, offset, next, warn)
        : { messages: [], endedEarly: false };
    // Past a record that would not decode, and only that one (see decodePulledMessages).
    const last = messages[messages.length - 1];
    const nextBeginOffset = endedEarly
      ? Math.max(offset + 1, last ? last.queueOffset + 1 : 0)
      : next;
    return {
      status,
      messages,
      nextBeginOffset,
      minOffset: num("minOffset"),
      maxOffset: num("maxOffset"),
      suggestWhichBrokerId: num("suggestWhichBrokerId"),
    };
  }

  /** Stores an offset for the group on the broker (UPDATE_CONSUMER_OFFSET). */
  async commit(queue: MessageQueue, offset: number): Promise<void> {
    const found = await this.routes.get(queue.topic, false);
    const addr = found && RouteCache.masterAddr(found.route, queue.brokerName);
    if (!addr)
      throw new RemoteError(ResponseCode.TOPIC_NOT_EXIST, `no master for ${queue.brokerName}`);
    const answer = await this.remoting.invoke(
      addr,
      createRequest(RequestCode.UPDATE_CONSUMER_OFFSET, {
        extFields: {
          consumerGroup: this.options.group,
          topic: queue.topic,
          queueId: queue.queueId,
          commitOffset: offset,
        },
      }),
    );
    if (answer.code !== ResponseCode.SUCCESS) throw new RemoteError(answer.code, answer.remark);
  }
}
