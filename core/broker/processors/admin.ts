// Topic administration and the tables slaves and tools read (spec §3.10):
// UPDATE_AND_CREATE_TOPIC, DELETE_TOPIC_IN_BROKER, GET_ALL_TOPIC_CONFIG,
// GET_ALL_CONSUMER_OFFSET, GET_ALL_SUBSCRIPTIONGROUP_CONFIG.

import { createResponse, type RemotingCommand } from "../../protocol/command.ts";
import { writeJson } from "../../protocol/fastjson.ts";
import {
  optionalBool,
  optionalInt,
  optionalString,
  requiredString,
} from "../../protocol/header_fields.ts";
import { ResponseCode } from "../../protocol/response_code.ts";
import { topicConfigToWritable, type TopicConfig } from "../../protocol/topic_config.ts";
import { encodeSubscriptionGroups } from "../config_files.ts";
import type { BrokerContext } from "../context.ts";
import { sendForbiddenTopics, TopicValidator } from "../topics.ts";

const topicPattern = /^[%|a-zA-Z0-9_-]+$/;
const encoder = new TextEncoder();

export function processCreateTopic(ctx: BrokerContext, request: RemotingCommand): RemotingCommand {
  const name = requiredString(request, "topic");
  if (!topicPattern.test(name) || name.length > 127) {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, {
      remark:
        name.length > 127
          ? "The specified topic is longer than topic max length."
          : "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$",
    });
  }
  if (
    name === ctx.config.brokerClusterName ||
    name === TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC
  ) {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, {
      remark: `The topic[${name}] is conflict with system topic.`,
    });
  }
  const queues = (key: string) => {
    const n = optionalInt(request, key) ?? 8;
    return Math.max(0, Math.min(n, 1024));
  };
  const config: TopicConfig = {
    topicName: name,
    readQueueNums: queues("readQueueNums"),
    writeQueueNums: queues("writeQueueNums"),
    perm: optionalInt(request, "perm") ?? 6,
    topicFilterType: optionalString(request, "topicFilterType") ?? "SINGLE_TAG",
    topicSysFlag: optionalInt(request, "topicSysFlag") ?? 0,
    order: optionalBool(request, "order") ?? false,
    attributes: {},
  };
  ctx.topics.createOrUpdate(config);
  // RocketMQ answers success without clearing its "not set any response code" remark.
  return createResponse(request, ResponseCode.SUCCESS, { remark: "not set any response code" });
}

export function processDeleteTopic(ctx: BrokerContext, request: RemotingCommand): RemotingCommand {
  const name = requiredString(request, "topic");
  if (sendForbiddenTopics.has(name)) {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, {
      remark: `The topic[${name}] is a system topic and cannot be deleted.`,
    });
  }
  ctx.topics.delete(name);
  return createResponse(request, ResponseCode.SUCCESS);
}

export function processGetAllTopicConfig(
  ctx: BrokerContext,
  request: RemotingCommand,
): RemotingCommand {
  const table = new Map<string, ReturnType<typeof topicConfigToWritable>>();
  for (const [name, config] of ctx.topics.all()) table.set(name, topicConfigToWritable(config));
  const body = writeJson(
    { dataVersion: { ...ctx.topics.dataVersion }, topicConfigTable: table },
    { quoteNumericKeys: false },
  );
  return createResponse(request, ResponseCode.SUCCESS, {
    extFields: {},
    body: encoder.encode(body),
  });
}

export function processGetAllConsumerOffset(
  ctx: BrokerContext,
  request: RemotingCommand,
): RemotingCommand {
  const body = writeJson({ offsetTable: ctx.offsets.table() }, { quoteNumericKeys: false });
  return createResponse(request, ResponseCode.SUCCESS, { body: encoder.encode(body) });
}

export function processGetAllSubscriptionGroups(
  ctx: BrokerContext,
  request: RemotingCommand,
): RemotingCommand {
  const body = encodeSubscriptionGroups({
    dataVersion: { counter: 0, stateVersion: 0, timestamp: 0 },
    forbiddenTable: new Map(),
    subscriptionGroupTable: ctx.subscriptions.all(),
  });
  return createResponse(request, ResponseCode.SUCCESS, { body: encoder.encode(body) });
}

/** GET_ALL_DELAY_OFFSET: the schedule cursors (delayOffset.json), for slaves to copy. */
export function processGetAllDelayOffset(
  ctx: BrokerContext,
  request: RemotingCommand,
): RemotingCommand {
  const text = ctx.delayOffsetsJson();
  if (text === undefined) {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: "not a master" });
  }
  return createResponse(request, ResponseCode.SUCCESS, { body: encoder.encode(text) });
}
