// Offsets (spec §3.4): QUERY/UPDATE_CONSUMER_OFFSET, GET_MAX/MIN_OFFSET,
// SEARCH_OFFSET_BY_TIMESTAMP, GET_EARLIEST_MSG_STORETIME, and CLONE_GROUP_OFFSET (mqadmin
// cloneGroupOffset: a new group starts where another one is).

import { createResponse, type RemotingCommand } from "../../protocol/command.ts";
import {
  optionalBool,
  optionalString,
  requiredInt,
  requiredString,
} from "../../protocol/header_fields.ts";
import { ResponseCode } from "../../protocol/response_code.ts";
import { farBehindEnd, type BrokerContext } from "../context.ts";

const offsetAnswer = (request: RemotingCommand, offset: number) =>
  createResponse(request, ResponseCode.SUCCESS, { extFields: { offset: String(offset) } });

export function processQueryConsumerOffset(
  ctx: BrokerContext,
  request: RemotingCommand,
): RemotingCommand {
  const group = requiredString(request, "consumerGroup");
  const topic = requiredString(request, "topic");
  const queueId = requiredInt(request, "queueId");
  const offset = ctx.offsets.query(group, topic, queueId);
  if (offset !== undefined) return offsetAnswer(request, offset);
  // RocketMQ 4.9.7 answers 0 for a queue that starts at 0 while its first message is still
  // likely in memory (a new group on a young topic reads it all, whatever it consumes from).
  // Else not found: the client starts where its consumeFromWhere says, so a new group on an
  // old backlog that asked for the last offset does not replay the whole queue.
  const setZero = optionalBool(request, "setZeroIfNotFound") !== false;
  if (setZero && ctx.store.minOffsetInQueue(topic, queueId) <= 0) {
    const first = ctx.store.queueUnits(topic, queueId, 0, 1)[0];
    if (!first || !farBehindEnd(ctx, first.physicalOffset)) return offsetAnswer(request, 0);
  }
  return createResponse(request, ResponseCode.QUERY_NOT_FOUND, {
    remark: "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first",
    extFields: {},
  });
}

export function processUpdateConsumerOffset(
  ctx: BrokerContext,
  request: RemotingCommand,
): RemotingCommand {
  const group = requiredString(request, "consumerGroup");
  const topic = requiredString(request, "topic");
  const queueId = requiredInt(request, "queueId");
  const offset = requiredInt(request, "commitOffset");
  if (!ctx.topics.get(topic)) {
    return createResponse(request, ResponseCode.TOPIC_NOT_EXIST, {
      remark: `Topic ${topic} not exist!`,
    });
  }
  if (queueId < 0 || offset < 0) {
    return createResponse(request, ResponseCode.INVALID_PARAMETER, {
      remark: "bad queueId or offset",
    });
  }
  ctx.offsets.commit(group, topic, queueId, offset);
  return createResponse(request, ResponseCode.SUCCESS);
}

export function processGetMaxOffset(ctx: BrokerContext, request: RemotingCommand): RemotingCommand {
  const topic = requiredString(request, "topic");
  return offsetAnswer(request, ctx.store.maxOffsetInQueue(topic, requiredInt(request, "queueId")));
}

export function processGetMinOffset(ctx: BrokerContext, request: RemotingCommand): RemotingCommand {
  const topic = requiredString(request, "topic");
  return offsetAnswer(request, ctx.store.minOffsetInQueue(topic, requiredInt(request, "queueId")));
}

export function processSearchOffset(ctx: BrokerContext, request: RemotingCommand): RemotingCommand {
  const topic = requiredString(request, "topic");
  const queueId = requiredInt(request, "queueId");
  const timestamp = requiredInt(request, "timestamp");
  const boundary = (optionalString(request, "boundaryType") ?? "lower").toLowerCase();
  let offset = ctx.store.offsetByTime(topic, queueId, timestamp);
  if (boundary === "upper") {
    // Last offset stored at or before the time: one before the first one after it.
    const after = ctx.store.offsetByTime(topic, queueId, timestamp + 1);
    offset = Math.max(ctx.store.minOffsetInQueue(topic, queueId), after - 1);
  }
  return offsetAnswer(request, offset);
}

export function processEarliestStoreTime(
  ctx: BrokerContext,
  request: RemotingCommand,
): RemotingCommand {
  const topic = requiredString(request, "topic");
  const queueId = requiredInt(request, "queueId");
  const min = ctx.store.minOffsetInQueue(topic, queueId);
  const time = ctx.store.storeTimeAt(topic, queueId, min) ?? -1;
  return createResponse(request, ResponseCode.SUCCESS, { extFields: { timestamp: String(time) } });
}

/**
 * Copies the source group's offsets of the topic (or of every topic it has offsets for) to the
 * destination group, replacing its own. Unless `offline`, a topic the source's online members
 * do not subscribe to is passed over, as in 4.9.7 (whose copy with no topic given copies
 * nothing: it looks up the blank topic; rmq copies each topic it found).
 */
export function processCloneGroupOffset(ctx: BrokerContext, request: RemotingCommand) {
  const source = requiredString(request, "srcGroup");
  const destination = requiredString(request, "destGroup");
  const asked = optionalString(request, "topic")?.trim();
  const offline = optionalBool(request, "offline") ?? false;
  const topics = asked ? [asked] : ctx.offsets.topicsOf(source);
  for (const topic of topics) {
    if (!ctx.topics.get(topic)) {
      ctx.log.warn(`CLONE_GROUP_OFFSET: no topic ${topic}`);
      continue;
    }
    if (!offline && !ctx.clients.mayRead(source, topic)) {
      ctx.log.warn(`CLONE_GROUP_OFFSET: group ${source} does not subscribe to ${topic}`);
      continue;
    }
    ctx.offsets.cloneGroup(source, destination, topic);
  }
  return createResponse(request, ResponseCode.SUCCESS, { extFields: {} });
}
