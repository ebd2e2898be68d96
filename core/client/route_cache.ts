// Topic routes from the name servers, cached per topic and refreshed every 30 s or when a send
// fails. For a topic the name servers do not know, producers fall back to the route of TBW102
// (the broker auto-creates the topic on first send), with min(4, readQueueNums) queues.

import type { Clock } from "../common/clock.ts";
import { RemoteError } from "../common/errors.ts";
import { createRequest } from "../protocol/command.ts";
import { RequestCode } from "../protocol/request_code.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import { decodeTopicRouteData, type TopicRouteData } from "../protocol/route_data.ts";
import { Perm } from "../protocol/topic_config.ts";
import type { RemotingClient } from "../remoting/client.ts";

export interface MessageQueue {
  topic: string;
  brokerName: string;
  queueId: number;
}

export const routeRefreshIntervalMs = 30_000;
export const AUTO_CREATE_TOPIC = "TBW102";
export const defaultTopicQueueNums = 4;

/** A topic's route as the cache hands it out: the same object until it is refreshed. */
export interface RouteEntry {
  route: TopicRouteData;
  fromDefault: boolean;
}

interface Cached extends RouteEntry {
  fetchedMs: number;
}

export class RouteCache {
  private readonly routes = new Map<string, Cached>();
  private nextNamesrv = 0;

  constructor(
    private readonly remoting: RemotingClient,
    private readonly namesrvAddrs: string[],
    private readonly clock: Clock,
    private readonly timeoutMs = 3_000,
  ) {
    if (namesrvAddrs.length === 0) throw new Error("no name server address given");
  }

  /** Asks the name servers in turn until one answers. */
  async fetch(topic: string): Promise<TopicRouteData | undefined> {
    let lastError: unknown;
    for (let i = 0; i < this.namesrvAddrs.length; i++) {
      const addr = this.namesrvAddrs[(this.nextNamesrv + i) % this.namesrvAddrs.length]!;
      try {
        const answer = await this.remoting.invoke(
          addr,
          createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields: { topic } }),
          this.timeoutMs,
        );
        if (answer.code === ResponseCode.TOPIC_NOT_EXIST) return undefined;
        if (answer.code !== ResponseCode.SUCCESS || !answer.body)
          throw new RemoteError(answer.code, answer.remark);
        this.nextNamesrv = (this.nextNamesrv + i) % this.namesrvAddrs.length;
        return decodeTopicRouteData(answer.body);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  /** The topic's route when the cache holds it fresh (what get() would answer without asking). */
  cached(topic: string, allowDefault: boolean): RouteEntry | undefined {
    const cached = this.routes.get(topic);
    const fresh = cached && this.clock.nowMs() - cached.fetchedMs < routeRefreshIntervalMs;
    return cached && fresh && (!cached.fromDefault || allowDefault) ? cached : undefined;
  }

  /** The topic's route, from cache when fresh; TBW102's for a new topic when `allowDefault`. */
  async get(
    topic: string,
    allowDefault: boolean,
    forceRefresh = false,
  ): Promise<RouteEntry | undefined> {
    const cached = forceRefresh ? undefined : this.cached(topic, allowDefault);
    if (cached) return cached;
    let route = await this.fetch(topic);
    let fromDefault = false;
    // A route whose groups have no master (say, a new master that has not learnt the topic
    // yet after a failover) sends a new topic the way a new one goes: through TBW102.
    const unwritable = route && RouteCache.publishQueues(topic, route, false).length === 0;
    if ((!route || unwritable) && allowDefault) {
      const fallback = await this.fetch(AUTO_CREATE_TOPIC);
      if (fallback || !route) {
        route = fallback;
        fromDefault = true;
      }
    }
    if (!route) return undefined;
    const entry = { route, fetchedMs: this.clock.nowMs(), fromDefault };
    this.routes.set(topic, entry);
    return entry;
  }

  /**
   * The address of broker `brokerId` of a group in a route, if listed. A loop, not a find with
   * a closure: producers look up a master per send, consumers a broker per pull.
   */
  static brokerAddr(
    route: TopicRouteData,
    brokerName: string,
    brokerId: number,
  ): string | undefined {
    for (const broker of route.brokerDatas) {
      if (broker.brokerName === brokerName) return broker.brokerAddrs.get(brokerId);
    }
    return undefined;
  }

  /** Master address of a broker group in a route, if it has one. */
  static masterAddr(route: TopicRouteData, brokerName: string): string | undefined {
    return RouteCache.brokerAddr(route, brokerName, 0);
  }

  /** Writable queues of brokers with a master (producers), in broker-name order. */
  static publishQueues(topic: string, route: TopicRouteData, fromDefault: boolean): MessageQueue[] {
    const out: MessageQueue[] = [];
    const queueDatas = [...route.queueDatas].sort((a, b) => (a.brokerName < b.brokerName ? -1 : 1));
    for (const q of queueDatas) {
      if ((q.perm & Perm.WRITE) === 0 || !RouteCache.masterAddr(route, q.brokerName)) continue;
      const count = fromDefault
        ? Math.min(defaultTopicQueueNums, q.readQueueNums)
        : q.writeQueueNums;
      for (let id = 0; id < count; id++) out.push({ topic, brokerName: q.brokerName, queueId: id });
    }
    return out;
  }

  /** Readable queues (consumers). */
  static subscribeQueues(topic: string, route: TopicRouteData): MessageQueue[] {
    const out: MessageQueue[] = [];
    for (const q of route.queueDatas) {
      if ((q.perm & Perm.READ) === 0) continue;
      for (let id = 0; id < q.readQueueNums; id++)
        out.push({ topic, brokerName: q.brokerName, queueId: id });
    }
    return out.sort((a, b) =>
      a.brokerName === b.brokerName ? a.queueId - b.queueId : a.brokerName < b.brokerName ? -1 : 1,
    );
  }

  /** Any address of a broker group (the master preferred), for reads. */
  static anyAddr(route: TopicRouteData, brokerName: string): string | undefined {
    const data = route.brokerDatas.find((b) => b.brokerName === brokerName);
    if (!data) return undefined;
    return data.brokerAddrs.get(0) ?? [...data.brokerAddrs.values()][0];
  }
}
