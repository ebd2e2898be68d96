// Read-only admin queries for `rmq inspect` online views: cluster membership, topic routes,
// per-queue offsets of a topic, a group's progress and lag, and message lookups by offset id,
// unique key or key. Each asks the name servers for routes, then the brokers.

import { RemoteError } from "../common/errors.ts";
import { decodeOffsetMessageId, formatHost } from "../common/message.ts";
import { createRequest } from "../protocol/command.ts";
import { RequestCode } from "../protocol/request_code.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import {
  decodeClusterInfo,
  type ClusterInfo,
  type TopicRouteData,
} from "../protocol/route_data.ts";
import { RemotingClient } from "../remoting/client.ts";
import type { Clock } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import { decodePulledMessages, type ReceivedMessage } from "./received_message.ts";
import { decodeKvTable } from "../protocol/route_data.ts";
import { parseLenientJson } from "../protocol/fastjson.ts";
import { asObject } from "../protocol/topic_config.ts";
import { allocateAveragely } from "./allocate.ts";
import { RouteCache } from "./route_cache.ts";

export interface QueueOffsets {
  brokerName: string;
  queueId: number;
  minOffset: number;
  maxOffset: number;
}

export interface GroupQueueProgress extends QueueOffsets {
  consumerOffset: number | null;
  lag: number;
}

export class Admin {
  /** An admin with its own connections (close() releases them). */
  static connect(namesrvAddrs: string[], clock: Clock, log: Logger): Admin {
    const remoting = new RemotingClient({ clock, log });
    return new Admin(remoting, new RouteCache(remoting, namesrvAddrs, clock), namesrvAddrs, log);
  }

  close(): void {
    this.remoting.close();
  }

  constructor(
    private readonly remoting: RemotingClient,
    private readonly routes: RouteCache,
    private readonly namesrvAddrs: string[],
    private readonly log: Logger,
  ) {}

  /** A lookup shows damaged stored messages too (it is how one inspects them), with a warning. */
  private decodeFound(body: Uint8Array): ReceivedMessage[] {
    return decodePulledMessages(body, (problem) => this.log.warn(problem)).messages;
  }

  async cluster(): Promise<ClusterInfo> {
    let lastError: unknown;
    for (const addr of this.namesrvAddrs) {
      try {
        const answer = await this.remoting.invoke(
          addr,
          createRequest(RequestCode.GET_BROKER_CLUSTER_INFO),
        );
        if (answer.code !== ResponseCode.SUCCESS || !answer.body)
          throw new RemoteError(answer.code, answer.remark);
        return decodeClusterInfo(answer.body);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  async route(topic: string): Promise<TopicRouteData> {
    const route = await this.routes.fetch(topic);
    if (!route) throw new RemoteError(ResponseCode.TOPIC_NOT_EXIST, `topic ${topic} has no route`);
    return route;
  }

  /** GET_BROKER_RUNTIME_INFO of one broker; undefined when it does not answer. */
  async runtimeInfo(addr: string): Promise<Map<string, string> | undefined> {
    try {
      const answer = await this.remoting.invoke(
        addr,
        createRequest(RequestCode.GET_BROKER_RUNTIME_INFO),
      );
      if (answer.code !== ResponseCode.SUCCESS || !answer.body) return undefined;
      return decodeKvTable(answer.body);
    } catch {
      return undefined;
    }
  }

  /** A queue's max offset on one broker (a slave's, say), undefined when it cannot say. */
  async maxOffsetAt(addr: string, topic: string, queueId: number): Promise<number | undefined> {
    return (await this.offsetOf(addr, RequestCode.GET_MAX_OFFSET, { topic, queueId })) ?? undefined;
  }

  private async offsetOf(
    addr: string,
    code: number,
    fields: Record<string, string | number>,
  ): Promise<number | null> {
    const answer = await this.remoting.invoke(addr, createRequest(code, { extFields: fields }));
    if (answer.code !== ResponseCode.SUCCESS) return null;
    return Number(answer.extFields?.get("offset") ?? 0);
  }

  async topicOffsets(topic: string): Promise<QueueOffsets[]> {
    const route = await this.route(topic);
    const out: QueueOffsets[] = [];
    for (const queue of RouteCache.subscribeQueues(topic, route)) {
      const addr = RouteCache.anyAddr(route, queue.brokerName);
      if (!addr) continue;
      const fields = { topic, queueId: queue.queueId };
      out.push({
        brokerName: queue.brokerName,
        queueId: queue.queueId,
        minOffset: (await this.offsetOf(addr, RequestCode.GET_MIN_OFFSET, fields)) ?? 0,
        maxOffset: (await this.offsetOf(addr, RequestCode.GET_MAX_OFFSET, fields)) ?? 0,
      });
    }
    return out;
  }

  async groupProgress(group: string, topic: string): Promise<GroupQueueProgress[]> {
    const route = await this.route(topic);
    const out: GroupQueueProgress[] = [];
    for (const q of await this.topicOffsets(topic)) {
      const addr = RouteCache.anyAddr(route, q.brokerName)!;
      const committed = await this.offsetOf(addr, RequestCode.QUERY_CONSUMER_OFFSET, {
        consumerGroup: group,
        topic,
        queueId: q.queueId,
        setZeroIfNotFound: "false",
      });
      out.push({ ...q, consumerOffset: committed, lag: q.maxOffset - (committed ?? q.minOffset) });
    }
    return out;
  }

  /**
   * The topics `group` has offsets for, on any broker: each broker group's master (or its
   * lowest-id replica) is asked for the group's consume stats without a topic, as `mqadmin
   * consumerProgress -g` asks. A broker that does not answer is left out, with a warning.
   */
  async groupTopics(group: string): Promise<string[]> {
    const topics = new Set<string>();
    const info = await this.cluster();
    for (const [brokerName, broker] of info.brokerAddrTable) {
      const ids = [...broker.brokerAddrs.keys()].sort((a, b) => a - b);
      const addr = ids.length > 0 ? broker.brokerAddrs.get(ids[0]!) : undefined;
      if (!addr) continue;
      try {
        const answer = await this.remoting.invoke(
          addr,
          createRequest(RequestCode.GET_CONSUME_STATS, { extFields: { consumerGroup: group } }),
        );
        if (answer.code !== ResponseCode.SUCCESS || !answer.body)
          throw new RemoteError(answer.code, answer.remark);
        for (const topic of consumeStatsTopics(answer.body)) topics.add(topic);
      } catch (error) {
        this.log.warn(`${brokerName} (${addr}): no consume stats: ${(error as Error).message}`);
      }
    }
    return [...topics].sort();
  }

  async consumerIds(group: string, topic: string): Promise<string[]> {
    const route = await this.route(topic);
    const addr = route.brokerDatas[0] && RouteCache.anyAddr(route, route.brokerDatas[0].brokerName);
    if (!addr) return [];
    const answer = await this.remoting.invoke(
      addr,
      createRequest(RequestCode.GET_CONSUMER_LIST_BY_GROUP, {
        extFields: { consumerGroup: group },
      }),
    );
    if (answer.code !== ResponseCode.SUCCESS || !answer.body) return [];
    return JSON.parse(new TextDecoder().decode(answer.body)).consumerIdList as string[];
  }

  /**
   * Which member owns each queue ("broker/queueId" -> client id), as clustering members using
   * the default average allocation divide them: every member computes the same split from the
   * sorted lists, so the admin can too without asking the clients.
   */
  async queueOwners(topic: string, memberIds: string[]): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    if (memberIds.length === 0) return owners;
    const queues = RouteCache.subscribeQueues(topic, await this.route(topic));
    const ids = [...memberIds].sort();
    for (const id of ids) {
      for (const q of allocateAveragely(queues, ids, id))
        owners.set(`${q.brokerName}/${q.queueId}`, id);
    }
    return owners;
  }

  /** By offset message id (VIEW_MESSAGE_BY_ID at the broker it names), else as a unique key. */
  async messageById(id: string, topic: string | undefined): Promise<ReceivedMessage[]> {
    const decoded = decodeOffsetMessageId(id);
    if (decoded) {
      const addr = formatHost(decoded.storeHost);
      try {
        const answer = await this.remoting.invoke(
          addr,
          createRequest(RequestCode.VIEW_MESSAGE_BY_ID, {
            extFields: { offset: decoded.physicalOffset },
          }),
        );
        // A body that does not decode is no answer: try the id as a unique key below.
        const messages = answer.body ? this.decodeFound(answer.body) : [];
        if (answer.code === ResponseCode.SUCCESS && messages.length > 0) return messages;
      } catch {
        // Not reachable as an offset id: try it as a unique key below.
      }
    }
    if (!topic) return [];
    return this.messagesByKey(topic, id, true);
  }

  async messagesByKey(topic: string, key: string, unique = false): Promise<ReceivedMessage[]> {
    const route = await this.route(topic);
    const out: ReceivedMessage[] = [];
    for (const broker of route.brokerDatas) {
      const addr = RouteCache.anyAddr(route, broker.brokerName);
      if (!addr) continue;
      const answer = await this.remoting.invoke(
        addr,
        createRequest(RequestCode.QUERY_MESSAGE, {
          extFields: {
            topic,
            key,
            maxNum: 64,
            beginTimestamp: 0,
            endTimestamp: Number.MAX_SAFE_INTEGER,
            _UNIQUE_KEY_QUERY: unique,
          },
        }),
      );
      if (answer.code === ResponseCode.SUCCESS && answer.body)
        out.push(...this.decodeFound(answer.body));
    }
    return out.filter((m) => (unique ? m.msgId === key : m.keys.includes(key)));
  }
}

/** The topics in a ConsumeStats body: its offsetTable is keyed by MessageQueue objects. */
function consumeStatsTopics(body: Uint8Array): string[] {
  const stats = asObject(parseLenientJson(new TextDecoder().decode(body)), "consume stats");
  const topics: string[] = [];
  for (const key of Object.keys(asObject(stats.offsetTable, "its offsetTable"))) {
    // fastjson.ts gives an object key back as that object's JSON text.
    const queue = JSON.parse(key) as { topic?: unknown };
    if (typeof queue.topic === "string") topics.push(queue.topic);
  }
  return topics;
}
