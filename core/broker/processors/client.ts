// Client registration (spec §3.5): HEART_BEAT, UNREGISTER_CLIENT, GET_CONSUMER_LIST_BY_GROUP,
// CHECK_CLIENT_CONFIG. A change in a clustering group's members or subscriptions is sent to
// every member as NOTIFY_CONSUMER_IDS_CHANGED (oneway), before the heartbeat's answer, as
// RocketMQ does, so consumers rebalance at once.

import { createRequest, createResponse, type RemotingCommand } from "../../protocol/command.ts";
import { decodeHeartbeat } from "../../protocol/heartbeat.ts";
import { optionalString, requiredString } from "../../protocol/header_fields.ts";
import { RequestCode } from "../../protocol/request_code.ts";
import { ResponseCode } from "../../protocol/response_code.ts";
import type { Channel } from "../../remoting/channel.ts";
import type { BrokerContext } from "../context.ts";
import { RETRY_GROUP_TOPIC_PREFIX } from "../topics.ts";
import { parseLenientJson } from "../../protocol/fastjson.ts";
import { sqlFilterOf } from "./pull.ts";

/**
 * Tells each member of a clustering group that its members changed, unless the broker's
 * notifyConsumerIdsChangedEnable is off (then members rebalance on their own 20 s timer).
 * Broadcasting members each read every queue, so they have nothing to rebalance.
 */
export function notifyConsumerIdsChanged(ctx: BrokerContext, group: string): void {
  if (!ctx.config.notifyConsumerIdsChangedEnable) return;
  const info = ctx.clients.consumers.get(group);
  if (!info || info.messageModel === "BROADCASTING") return;
  for (const member of info.members.values()) {
    member.channel.invokeOneway(
      createRequest(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, {
        extFields: { consumerGroup: group },
      }),
    );
  }
}

export function processHeartbeat(
  ctx: BrokerContext,
  request: RemotingCommand,
  channel: Channel,
): RemotingCommand {
  const data = decodeHeartbeat(request.body);
  const now = ctx.clock.nowMs();
  const info = {
    channel,
    clientId: data.clientID,
    language: request.language,
    version: request.version,
    lastUpdateMs: now,
  };
  let changed = false;
  for (const consumer of data.consumerDataSet) {
    // A group that may not be created here (autoCreateSubscriptionGroup=false) still has its
    // members registered, as in RocketMQ: they are listed and notified, but get no retry topic,
    // and their pulls are refused (pull.ts) until an operator creates the group.
    const group = ctx.subscriptions.findOrCreate(consumer.groupName);
    if (group) {
      ctx.topics.createSystemTopic(
        `${RETRY_GROUP_TOPIC_PREFIX}${consumer.groupName}`,
        group.retryQueueNums,
      );
    }
    if (ctx.clients.registerConsumer(consumer, info)) {
      changed = true;
      ctx.log.info(`consumer group ${consumer.groupName}: ${data.clientID} registered or changed`);
      if (group?.notifyConsumerIdsChangedEnable ?? true) {
        notifyConsumerIdsChanged(ctx, consumer.groupName);
      }
    }
  }
  for (const producer of data.producerDataSet)
    ctx.clients.registerProducer(producer.groupName, info);
  return createResponse(request, ResponseCode.SUCCESS, {
    extFields: { IS_SUPPORT_HEART_BEAT_V2: "true", IS_SUB_CHANGE: String(changed) },
  });
}

export function processUnregisterClient(
  ctx: BrokerContext,
  request: RemotingCommand,
  channel: Channel,
): RemotingCommand {
  requiredString(request, "clientID");
  const producerGroup = optionalString(request, "producerGroup");
  const consumerGroup = optionalString(request, "consumerGroup");
  if (producerGroup) ctx.clients.unregisterProducer(producerGroup, channel);
  if (consumerGroup && ctx.clients.unregisterConsumer(consumerGroup, channel)) {
    notifyConsumerIdsChanged(ctx, consumerGroup);
  }
  return createResponse(request, ResponseCode.SUCCESS, { extFields: {} });
}

export function processGetConsumerList(
  ctx: BrokerContext,
  request: RemotingCommand,
): RemotingCommand {
  const group = requiredString(request, "consumerGroup");
  const ids = ctx.clients.consumerIds(group);
  if (ids.length === 0) {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, {
      remark: `no consumer for this group, ${group}`,
    });
  }
  return createResponse(request, ResponseCode.SUCCESS, {
    extFields: {},
    body: new TextEncoder().encode(JSON.stringify({ consumerIdList: ids })),
  });
}

/**
 * CHECK_CLIENT_CONFIG: a client asks before it subscribes whether its expression is usable here
 * (a SQL92 one must compile and the broker must have enablePropertyFilter).
 */
export function processCheckClientConfig(
  ctx: BrokerContext,
  request: RemotingCommand,
): RemotingCommand {
  let subscription: { expressionType?: unknown; subString?: unknown } | undefined;
  if (request.body) {
    const root = parseLenientJson(new TextDecoder().decode(request.body));
    const data = (root as { subscriptionData?: unknown } | null)?.subscriptionData;
    if (data && typeof data === "object") subscription = data as typeof subscription;
  }
  const type =
    typeof subscription?.expressionType === "string" ? subscription.expressionType : "TAG";
  if (type === "TAG") return createResponse(request, ResponseCode.SUCCESS);
  if (type !== "SQL92") {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, {
      remark: `The broker does not support consumer to filter message by ${type}`,
    });
  }
  const expression = typeof subscription?.subString === "string" ? subscription.subString : "";
  const sql = sqlFilterOf(ctx, expression);
  if ("code" in sql) return createResponse(request, sql.code, { remark: sql.remark });
  return createResponse(request, ResponseCode.SUCCESS);
}
