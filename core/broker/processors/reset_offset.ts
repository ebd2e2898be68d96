// INVOKE_BROKER_TO_RESET_OFFSET (mqadmin resetOffsetByTime with the group online): the broker
// works out, per write queue of the topic, the offset of the first message stored at or after
// the time (-1: the queue's end) and sends it to every member of the group as
// RESET_CONSUMER_CLIENT_OFFSET (oneway). The members move their queues and commit; the broker
// does not change its own offsets, as in RocketMQ 4.9.7 (Broker2Client.resetOffset). Without
// isForce a queue only moves back: a group already before the time stays where it is. With no
// member online the answer is CONSUMER_NOT_ONLINE, on which mqadmin commits the offsets itself
// (UPDATE_CONSUMER_OFFSET per queue).

import { createRequest, createResponse, type RemotingCommand } from "../../protocol/command.ts";
import { optionalBool, requiredInt, requiredString } from "../../protocol/header_fields.ts";
import {
  encodeResetOffsetBody,
  encodeResetOffsetBodyForC,
  type QueueOffset,
} from "../../protocol/reset_offset_body.ts";
import { RequestCode } from "../../protocol/request_code.ts";
import { ResponseCode } from "../../protocol/response_code.ts";
import type { BrokerContext } from "../context.ts";

const encoder = new TextEncoder();

export function processResetOffset(ctx: BrokerContext, request: RemotingCommand): RemotingCommand {
  const topic = requiredString(request, "topic");
  const group = requiredString(request, "group");
  const timestampMs = requiredInt(request, "timestamp");
  const force = optionalBool(request, "isForce") ?? false;
  const config = ctx.topics.get(topic);
  if (!config) {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, {
      remark: `[reset-offset] reset offset failed, no topic in this broker. topic=${topic}`,
    });
  }
  const entries: QueueOffset[] = [];
  for (let queueId = 0; queueId < config.writeQueueNums; queueId++) {
    const committed = ctx.offsets.query(group, topic, queueId);
    if (committed === undefined) {
      return createResponse(request, ResponseCode.SYSTEM_ERROR, {
        remark: `THe consumer group <${group}> not exist`,
      });
    }
    const atTime =
      timestampMs === -1
        ? ctx.store.maxOffsetInQueue(topic, queueId)
        : ctx.store.offsetByTime(topic, queueId, timestampMs);
    const target = Math.max(0, atTime);
    const offset = force || target < committed ? target : committed;
    entries.push({ queue: { brokerName: ctx.config.brokerName, topic, queueId }, offset });
  }
  const members = ctx.clients.consumers.get(group)?.members;
  if (!members || members.size === 0) {
    return createResponse(request, ResponseCode.CONSUMER_NOT_ONLINE, {
      remark:
        `Consumer not online, so can not reset offset, ` +
        `Group: ${group} Topic: ${topic} Timestamp: ${timestampMs}`,
    });
  }
  const forC = request.language === "CPP";
  const notice = createRequest(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, {
    extFields: { topic, group, timestamp: String(timestampMs), isForce: "false" },
    body: encoder.encode(
      forC ? encodeResetOffsetBodyForC(entries) : encodeResetOffsetBody(entries),
    ),
  });
  for (const [channel, member] of members) {
    if (channel.invokeOneway(notice)) {
      ctx.log.info(`[reset-offset] ${group} on ${topic} sent to ${member.clientId}`);
    } else {
      ctx.log.warn(`[reset-offset] ${group} on ${topic}: ${member.clientId} is gone`);
    }
  }
  return createResponse(request, ResponseCode.SUCCESS, {
    extFields: {},
    body: encoder.encode(encodeResetOffsetBody(entries)),
  });
}
