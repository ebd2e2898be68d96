// Topic and group administration and the tables slaves and tools read (spec §3.10):
// UPDATE_AND_CREATE_TOPIC, DELETE_TOPIC_IN_BROKER, GET_ALL_TOPIC_CONFIG,
// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, DELETE_SUBSCRIPTIONGROUP, GET_ALL_CONSUMER_OFFSET,
// GET_ALL_SUBSCRIPTIONGROUP_CONFIG. As in RocketMQ, a slave refuses every change: its tables
// are copies of its master's (slave_sync.ts) and the next copy would undo it.

import { createResponse, type RemotingCommand } from "../../protocol/command.ts";
import { writeJson } from "../../protocol/fastjson.ts";
import {
  optionalBool,
  optionalInt,
  optionalString,
  requiredString,
} from "../../protocol/header_fields.ts";
import { ResponseCode } from "../../protocol/response_code.ts";
import { encodeTopicList } from "../../protocol/route_data.ts";
import { topicConfigToWritable, type TopicConfig } from "../../protocol/topic_config.ts";
import { decodeSubscriptionGroup, encodeSubscriptionGroups } from "../config_files.ts";
import type { BrokerContext } from "../context.ts";
import { sendForbiddenTopics, TopicValidator } from "../topics.ts";

const topicPattern = /^[%|a-zA-Z0-9_-]+$/;
/** RocketMQ 5's bound for group names (TopicValidator); 4.9.7 checks none. */
const groupMaxLength = 255;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** RocketMQ's refusal of a change sent to a slave, or undefined on a master. */
function refusedOnSlave(ctx: BrokerContext, request: RemotingCommand): RemotingCommand | undefined {
  if (ctx.role.brokerRole !== "SLAVE") return undefined;
  return createResponse(request, ResponseCode.SYSTEM_ERROR, {
    remark:
      "Can't modify topic or subscription group from slave broker, " +
      "please execute it from master broker.",
  });
}

export function processCreateTopic(ctx: BrokerContext, request: RemotingCommand): RemotingCommand {
  const onSlave = refusedOnSlave(ctx, request);
  if (onSlave) return onSlave;
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
  const onSlave = refusedOnSlave(ctx, request);
  if (onSlave) return onSlave;
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
    dataVersion: ctx.subscriptions.dataVersion,
    forbiddenTable: new Map(),
    subscriptionGroupTable: ctx.subscriptions.all(),
  });
  return createResponse(request, ResponseCode.SUCCESS, { body: encoder.encode(body) });
}

/**
 * UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (mqadmin updateSubGroup): the body is the group's whole
 * SubscriptionGroupConfig, which replaces what the broker had; members left out take defaults.
 */
export function processUpdateSubscriptionGroup(
  ctx: BrokerContext,
  request: RemotingCommand,
): RemotingCommand {
  const onSlave = refusedOnSlave(ctx, request);
  if (onSlave) return onSlave;
  if (!request.body || request.body.length === 0) {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, {
      remark: "the request has no SubscriptionGroupConfig body",
    });
  }
  let config;
  try {
    config = decodeSubscriptionGroup(decoder.decode(request.body));
  } catch (error) {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, {
      remark: `bad SubscriptionGroupConfig body: ${(error as Error).message}`,
    });
  }
  const name = config.groupName;
  if (!topicPattern.test(name) || name.length > groupMaxLength) {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, {
      remark:
        `the group name "${name.slice(0, groupMaxLength)}" is not allowed: ` +
        `at most ${groupMaxLength} of ^[%|a-zA-Z0-9_-]+$`,
    });
  }
  ctx.subscriptions.put(config);
  ctx.log.info(`subscription group ${name} created or updated`);
  return createResponse(request, ResponseCode.SUCCESS, { extFields: {} });
}

/** DELETE_SUBSCRIPTIONGROUP (mqadmin deleteSubGroup), and its offsets if removeOffset is set. */
export function processDeleteSubscriptionGroup(
  ctx: BrokerContext,
  request: RemotingCommand,
): RemotingCommand {
  const onSlave = refusedOnSlave(ctx, request);
  if (onSlave) return onSlave;
  const name = requiredString(request, "groupName");
  if (ctx.subscriptions.delete(name)) ctx.log.info(`subscription group ${name} deleted`);
  else ctx.log.warn(`DELETE_SUBSCRIPTIONGROUP: no group ${name}`);
  if (optionalBool(request, "removeOffset") === true) ctx.offsets.removeGroup(name);
  return createResponse(request, ResponseCode.SUCCESS, { extFields: {} });
}

/** What 4.9.7 counts as system topics everywhere (TopicValidator.SYSTEM_TOPIC_SET). */
const fixedSystemTopics = [
  TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC,
  TopicValidator.RMQ_SYS_SCHEDULE_TOPIC,
  TopicValidator.RMQ_SYS_BENCHMARK_TOPIC,
  TopicValidator.RMQ_SYS_TRANS_HALF_TOPIC,
  "RMQ_SYS_TRACE_TOPIC",
  TopicValidator.RMQ_SYS_TRANS_OP_HALF_TOPIC,
  TopicValidator.RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC,
  TopicValidator.RMQ_SYS_SELF_TEST_TOPIC,
  TopicValidator.RMQ_SYS_OFFSET_MOVED_EVENT,
];

/**
 * GET_SYSTEM_TOPIC_LIST_FROM_BROKER: a TopicList of the system topics, with those 4.9.7's
 * TopicConfigManager adds per broker (the cluster's and the broker's own topics, the reply
 * topic) and rmq's timer topic when the timer wheel is on.
 */
export function processSystemTopicList(ctx: BrokerContext, request: RemotingCommand) {
  const { brokerClusterName, brokerName, timerWheelEnable } = ctx.config;
  const topics = [
    ...fixedSystemTopics,
    brokerClusterName,
    brokerName,
    `${brokerClusterName}_REPLY_TOPIC`,
    ...(timerWheelEnable ? [TopicValidator.RMQ_SYS_WHEEL_TIMER] : []),
  ];
  return createResponse(request, ResponseCode.SUCCESS, { body: encodeTopicList(topics) });
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
