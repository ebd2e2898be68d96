// Who is in a consumer group, as the brokers of one of its topics list it
// (GET_CONSUMER_LIST_BY_GROUP): what a clustering member's rebalance divides the queues among.

import type { Logger } from "../common/log.ts";
import { createRequest } from "../protocol/command.ts";
import { RequestCode } from "../protocol/request_code.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import type { TopicRouteData } from "../protocol/route_data.ts";
import type { RemotingClient } from "../remoting/client.ts";
import { RouteCache } from "./route_cache.ts";

export interface GroupMembersQuery {
  remoting: RemotingClient;
  group: string;
  clientId: string;
  /** Sends this client's heartbeat to every broker. */
  heartbeat: () => Promise<void>;
  log: Logger;
}

/**
 * The group's members, sorted: the union of what every broker of the topic lists, since a
 * restarted broker lists only the members whose heartbeat it has had since. When no broker
 * lists this client, it heartbeats and asks again; still unlisted, undefined (the caller keeps
 * its queues rather than take every queue as if it were alone, or drop them all).
 */
export async function groupMembers(
  query: GroupMembersQuery,
  route: TopicRouteData,
): Promise<string[] | undefined> {
  const addrs = route.brokerDatas
    .map((b) => RouteCache.anyAddr(route, b.brokerName))
    .filter((a): a is string => !!a);
  for (let attempt = 0; ; attempt++) {
    const lists = await Promise.all(addrs.map((addr) => consumerIdList(query, addr)));
    const ids = new Set(lists.flat());
    if (ids.has(query.clientId)) return [...ids].sort();
    if (attempt > 0) return undefined;
    await query.heartbeat();
  }
}

/** The group's members as one broker lists them; none when it cannot say. */
async function consumerIdList(query: GroupMembersQuery, addr: string): Promise<string[]> {
  const request = createRequest(RequestCode.GET_CONSUMER_LIST_BY_GROUP, {
    extFields: { consumerGroup: query.group },
  });
  try {
    const answer = await query.remoting.invoke(addr, request);
    if (answer.code !== ResponseCode.SUCCESS || !answer.body) return [];
    const list = JSON.parse(new TextDecoder().decode(answer.body)).consumerIdList;
    return Array.isArray(list) ? list.filter((id): id is string => typeof id === "string") : [];
  } catch (error) {
    query.log.debug(`consumer list from ${addr} failed: ${(error as Error).message}`);
    return [];
  }
}
