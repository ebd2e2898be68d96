// A push consumer's answer to GET_CONSUMER_RUNNING_INFO (mqadmin consumerStatus, the dashboard's
// client view, passed on by a broker): 4.9.7's ConsumerRunningInfo. Its properties carry the
// keys mqadmin's analysis reads (PROP_CONSUME_TYPE, PROP_CONSUMER_START_TIMESTAMP), the
// subscriptions are the heartbeat's, and each owned queue reports what this consumer keeps: its
// committed offset, whether it is dropped, and its lock. The rates and cache sizes the Java
// client also counts are not kept here and are left out (a reader takes them as 0).

import { writeJson, type Writable } from "../protocol/fastjson.ts";
import { subscriptionDataFields, type SubscriptionData } from "../protocol/heartbeat.ts";
import { messageQueueJson } from "../protocol/message_queue_json.ts";
import { createResponse, type RemotingCommand } from "../protocol/command.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import { consumeFromWhereOf, type ConsumerOptions } from "./consumer_options.ts";
import type { MessageQueue } from "./route_cache.ts";

export interface RunningQueue {
  queue: MessageQueue;
  commitOffset: number;
  dropped: boolean;
  locked: boolean;
  lastLockTimestampMs: number;
}

export interface RunningInfo {
  properties: Map<string, string>;
  subscriptions: SubscriptionData[];
  queues: RunningQueue[];
}

/** The body in Java's orders: queues as MessageQueue sorts, subscriptions by topic@expression. */
export function consumerRunningInfoJson(info: RunningInfo): string {
  const queues = [...info.queues].sort(
    (a, b) =>
      compare(a.queue.topic, b.queue.topic) ||
      compare(a.queue.brokerName, b.queue.brokerName) ||
      a.queue.queueId - b.queue.queueId,
  );
  const mqTable = queues.map(
    (q) =>
      `${messageQueueJson(q.queue)}:{"commitOffset":${q.commitOffset},"droped":${q.dropped},` +
      `"lastLockTimestamp":${q.lastLockTimestampMs},"locked":${q.locked}}`,
  );
  const subscriptions = [...info.subscriptions]
    .sort((a, b) => compare(`${a.topic}@${a.subString}`, `${b.topic}@${b.subString}`))
    .map((s) => subscriptionDataFields(s) as Writable);
  const properties = new Map([...info.properties].sort(([a], [b]) => compare(a, b)));
  return (
    `{"mqTable":{${mqTable.join(",")}},` +
    `"properties":${writeJson(properties, { quoteNumericKeys: true })},"statusTable":{},` +
    `"subscriptionSet":${writeJson(subscriptions, { quoteNumericKeys: true })}}`
  );
}

/** Java's String.compareTo for the names used here (UTF-16 code units). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The properties a Java consumer reports, from this consumer's options (4.9.7's key names). */
export function consumerProperties(options: ConsumerOptions, startedAtMs: number) {
  return new Map([
    ["consumerGroup", options.group],
    ["messageModel", options.messageModel ?? "CLUSTERING"],
    ["consumeFromWhere", consumeFromWhereOf(options.consumeFrom)],
    ["pullBatchSize", String(options.pullBatchSize ?? 32)],
    ["namesrvAddr", options.namesrvAddrs.join(";")],
    // The Java client ends each address with ';'.
    ["PROP_NAMESERVER_ADDR", options.namesrvAddrs.map((addr) => `${addr};`).join("")],
    ["PROP_CONSUME_TYPE", "CONSUME_PASSIVELY"],
    ["PROP_CONSUMEORDERLY", String(options.orderly === true)],
    ["PROP_CONSUMER_START_TIMESTAMP", String(startedAtMs)],
    ["PROP_CLIENT_VERSION", "V4_9_7"],
  ]);
}

/**
 * GET_CONSUMER_RUNNING_INFO's answer: the info when the request names this consumer's group,
 * else 4.9.7's refusal.
 */
export function runningInfoAnswer(
  request: RemotingCommand,
  group: string,
  info: () => RunningInfo,
): RemotingCommand {
  const asked = request.extFields?.get("consumerGroup");
  if (asked !== group) {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, {
      remark: `The Consumer Group <${asked}> not exist in this consumer`,
    });
  }
  const body = new TextEncoder().encode(consumerRunningInfoJson(info()));
  return createResponse(request, ResponseCode.SUCCESS, { body });
}
