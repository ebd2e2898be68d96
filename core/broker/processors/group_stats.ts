// What mqadmin's consumerProgress, consumerConnection, producerConnection, topicStatus,
// topicRoute's consumer list and queryCq's time spans (and RocketMQ's dashboard) ask a broker
// (spec §3.10): GET_CONSUME_STATS, GET_CONSUMER_CONNECTION_LIST, GET_PRODUCER_CONNECTION_LIST,
// GET_TOPIC_STATS_INFO, QUERY_TOPIC_CONSUME_BY_WHO and QUERY_CONSUME_TIME_SPAN, answered with
// the bodies RocketMQ 4.9.7 writes. Their tables are keyed by a MessageQueue written as a JSON
// object (fastjson's map keys, spec §1.9); members come in fastjson's order for beans,
// alphabetical.

import { createResponse, type RemotingCommand } from "../../protocol/command.ts";
import { optionalBool, optionalString, requiredString } from "../../protocol/header_fields.ts";
import { ResponseCode } from "../../protocol/response_code.ts";
import { subscriptionDataFields, type SubscriptionData } from "../../protocol/heartbeat.ts";
import { writeJson } from "../../protocol/fastjson.ts";
import { messageQueueJson } from "../../protocol/message_queue_json.ts";
import { readableLocalTime } from "../../common/local_time.ts";
import type { ClientChannelInfo } from "../clients.ts";
import type { BrokerContext } from "../context.ts";

const encoder = new TextEncoder();

/** A MessageQueue of this broker, for use as a map key. */
function queueKeyJson(brokerName: string, topic: string, queueId: number): string {
  return messageQueueJson({ brokerName, topic, queueId });
}

/** The message before `queueOffset`'s store time, 0 when there is none (RocketMQ's rule). */
function storeTimeBefore(ctx: BrokerContext, topic: string, queueId: number, offset: number) {
  return offset - 1 >= 0 ? (ctx.store.storeTimeAt(topic, queueId, offset - 1) ?? 0) : 0;
}

/**
 * Per read queue of each topic the group has offsets for (or the one asked about): the queue's
 * end, the group's offset and the store time of the last message it consumed. A topic the
 * group's online members do not subscribe to is left out, as RocketMQ leaves it.
 */
export function processConsumeStats(ctx: BrokerContext, request: RemotingCommand) {
  const group = requiredString(request, "consumerGroup");
  const asked = optionalString(request, "topic");
  const topics = new Set(asked ? [asked] : ctx.offsets.topicsOf(group));
  const entries: string[] = [];
  for (const topic of topics) {
    const config = ctx.topics.get(topic);
    if (!config || !ctx.clients.mayRead(group, topic)) continue;
    queueStats(ctx, group, topic, config.readQueueNums, entries);
  }
  const body = consumeStatsJson(entries);
  return createResponse(request, ResponseCode.SUCCESS, { body: encoder.encode(body) });
}

/** Appends each queue's OffsetWrapper entry; returns the group's lag on them (the total diff). */
function queueStats(
  ctx: BrokerContext,
  group: string,
  topic: string,
  queueCount: number,
  entries: string[],
): number {
  let diff = 0;
  for (let queueId = 0; queueId < queueCount; queueId++) {
    const brokerOffset = Math.max(0, ctx.store.maxOffsetInQueue(topic, queueId));
    const consumerOffset = Math.max(0, ctx.offsets.query(group, topic, queueId) ?? 0);
    const lastTimestamp = storeTimeBefore(ctx, topic, queueId, consumerOffset);
    diff += brokerOffset - consumerOffset;
    entries.push(
      `${queueKeyJson(ctx.config.brokerName, topic, queueId)}:` +
        `{"brokerOffset":${brokerOffset},"consumerOffset":${consumerOffset},` +
        `"lastTimestamp":${lastTimestamp}}`,
    );
  }
  return diff;
}

/** A ConsumeStats body; rmq counts no consume rates: consumeTps is 0.0, 4.9.7's starting value. */
function consumeStatsJson(entries: string[]): string {
  return `{"consumeTps":0.0,"offsetTable":{${entries.join(",")}}}`;
}

/**
 * GET_BROKER_CONSUME_STATS (mqadmin brokerConsumeStats): ConsumeStats of every group's topics
 * on this broker, over write queues, with the summed lag; `isOrder` keeps order topics only.
 */
export function processBrokerConsumeStats(ctx: BrokerContext, request: RemotingCommand) {
  const orderOnly = optionalBool(request, "isOrder") ?? false;
  let totalDiff = 0;
  const groups: string[] = [];
  for (const group of ctx.subscriptions.all().keys()) {
    const stats: string[] = [];
    for (const topic of ctx.offsets.topicsOf(group)) {
      const config = ctx.topics.get(topic);
      if (!config || (orderOnly && !config.order) || !ctx.clients.mayRead(group, topic)) continue;
      const entries: string[] = [];
      totalDiff += queueStats(ctx, group, topic, config.writeQueueNums, entries);
      stats.push(consumeStatsJson(entries));
    }
    groups.push(`{${JSON.stringify(group)}:[${stats.join(",")}]}`);
  }
  const body =
    `{"brokerAddr":${JSON.stringify(ctx.brokerAddr)},` +
    `"consumeStatsList":[${groups.join(",")}],"totalDiff":${totalDiff}}`;
  return createResponse(request, ResponseCode.SUCCESS, { body: encoder.encode(body) });
}

function subscriptionJson(s: SubscriptionData): string {
  return writeJson(subscriptionDataFields(s), { quoteNumericKeys: true });
}

/** One client connection as 4.9.7's Connection bean. */
function connectionJson(m: ClientChannelInfo): string {
  return (
    `{"clientAddr":${JSON.stringify(m.channel.remoteAddress)},` +
    `"clientId":${JSON.stringify(m.clientId)},"language":${JSON.stringify(m.language)},` +
    `"version":${m.version}}`
  );
}

/** The group's online members and what they said in their heartbeats. */
export function processConsumerConnections(ctx: BrokerContext, request: RemotingCommand) {
  const group = requiredString(request, "consumerGroup");
  const info = ctx.clients.consumers.get(group);
  if (!info || info.members.size === 0) {
    return createResponse(request, ResponseCode.CONSUMER_NOT_ONLINE, {
      remark: `the consumer group[${group}] not online`,
    });
  }
  const connections = [...info.members.values()].map(connectionJson);
  const subscriptions = [...info.subscriptions].map(
    ([topic, s]) => `${JSON.stringify(topic)}:${subscriptionJson(s)}`,
  );
  const body =
    `{"connectionSet":[${connections.join(",")}],` +
    `"consumeFromWhere":${JSON.stringify(info.consumeFromWhere)},` +
    `"consumeType":${JSON.stringify(info.consumeType)},` +
    `"messageModel":${JSON.stringify(info.messageModel)},` +
    `"subscriptionTable":{${subscriptions.join(",")}}}`;
  return createResponse(request, ResponseCode.SUCCESS, { body: encoder.encode(body) });
}

/** Each queue of a topic (0 to max(read, write) - 1): its bounds and its last store time. */
export function processTopicStats(ctx: BrokerContext, request: RemotingCommand) {
  const topic = requiredString(request, "topic");
  const config = ctx.topics.get(topic);
  if (!config) {
    return createResponse(request, ResponseCode.TOPIC_NOT_EXIST, {
      remark: `topic[${topic}] not exist`,
    });
  }
  const entries: string[] = [];
  const queueCount = Math.max(config.readQueueNums, config.writeQueueNums);
  for (let queueId = 0; queueId < queueCount; queueId++) {
    const maxOffset = Math.max(0, ctx.store.maxOffsetInQueue(topic, queueId));
    const minOffset = Math.max(0, ctx.store.minOffsetInQueue(topic, queueId));
    const lastUpdateTimestamp = storeTimeBefore(ctx, topic, queueId, maxOffset);
    entries.push(
      `${queueKeyJson(ctx.config.brokerName, topic, queueId)}:` +
        `{"lastUpdateTimestamp":${lastUpdateTimestamp},"maxOffset":${maxOffset},` +
        `"minOffset":${minOffset}}`,
    );
  }
  const body = `{"offsetTable":{${entries.join(",")}}}`;
  return createResponse(request, ResponseCode.SUCCESS, { body: encoder.encode(body) });
}

/** The producers of a group connected here (heartbeats name their group). */
export function processProducerConnections(ctx: BrokerContext, request: RemotingCommand) {
  const group = requiredString(request, "producerGroup");
  const members = ctx.clients.producers.get(group);
  if (!members) {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, {
      remark: `the producer group[${group}] not exist`,
    });
  }
  const body = `{"connectionSet":[${[...members.values()].map(connectionJson).join(",")}]}`;
  return createResponse(request, ResponseCode.SUCCESS, { body: encoder.encode(body) });
}

/** Groups that read the topic: members subscribed to it now, or offsets committed for it. */
export function processTopicConsumeByWho(ctx: BrokerContext, request: RemotingCommand) {
  const topic = requiredString(request, "topic");
  const groups = new Set<string>();
  for (const [group, info] of ctx.clients.consumers) {
    if (info.subscriptions.has(topic)) groups.add(group);
  }
  for (const group of ctx.offsets.groupsOf(topic)) groups.add(group);
  const body = `{"groupList":${JSON.stringify([...groups])}}`;
  return createResponse(request, ResponseCode.SUCCESS, { body: encoder.encode(body) });
}

/**
 * Per write queue: the store times of its first and last messages, of the last one the group
 * consumed (its first message's when it consumed none), and how long the next one has waited
 * (0 when the group is at the end). A time the store has not got is -1, as in 4.9.7.
 */
export function processConsumeTimeSpan(ctx: BrokerContext, request: RemotingCommand) {
  const topic = requiredString(request, "topic");
  const group = requiredString(request, "group");
  const config = ctx.topics.get(topic);
  if (!config) {
    return createResponse(request, ResponseCode.TOPIC_NOT_EXIST, {
      remark: `topic[${topic}] not exist`,
    });
  }
  const timeAt = (queueId: number, offset: number) =>
    ctx.store.storeTimeAt(topic, queueId, offset) ?? -1;
  const spans: string[] = [];
  for (let queueId = 0; queueId < config.writeQueueNums; queueId++) {
    const min = ctx.store.minOffsetInQueue(topic, queueId);
    const minTime = timeAt(queueId, min);
    const max = ctx.store.maxOffsetInQueue(topic, queueId);
    const consumed = ctx.offsets.query(group, topic, queueId);
    const consumeTime = consumed && consumed > 0 ? timeAt(queueId, consumed - 1) : minTime;
    // A group with no offset here waits from the queue's first message (4.9.7 reads offset -1).
    const next = consumed ?? min;
    const delayMs = next < max ? ctx.clock.nowMs() - timeAt(queueId, next) : 0;
    const maxTime = timeAt(queueId, max - 1);
    // 4.9.7's QueueTimeSpan also has getters for each time as text, which fastjson writes.
    spans.push(
      `{"consumeTimeStamp":${consumeTime},` +
        `"consumeTimeStampStr":"${readableLocalTime(consumeTime)}","delayTime":${delayMs},` +
        `"maxTimeStamp":${maxTime},"maxTimeStampStr":"${readableLocalTime(maxTime)}",` +
        `"messageQueue":${queueKeyJson(ctx.config.brokerName, topic, queueId)},` +
        `"minTimeStamp":${minTime},"minTimeStampStr":"${readableLocalTime(minTime)}"}`,
    );
  }
  const body = `{"consumeTimeSpanSet":[${spans.join(",")}]}`;
  return createResponse(request, ResponseCode.SUCCESS, { body: encoder.encode(body) });
}
