// Message lookups (spec §3.9): QUERY_MESSAGE by key or unique key, VIEW_MESSAGE_BY_ID by
// commit log offset (bodies are stored records, back to back); QUERY_CONSUME_QUEUE (mqadmin
// queryCq): a queue's units from an index.

import { createResponse, type RemotingCommand } from "../../protocol/command.ts";
import {
  optionalBool,
  optionalInt,
  optionalString,
  requiredInt,
  requiredString,
} from "../../protocol/header_fields.ts";
import { writeJson } from "../../protocol/fastjson.ts";
import { subscriptionDataFields } from "../../protocol/heartbeat.ts";
import { ResponseCode } from "../../protocol/response_code.ts";
import type { BrokerContext } from "../context.ts";

const queryCountMax = 64;
const encoder = new TextEncoder();

export function processQueryMessage(ctx: BrokerContext, request: RemotingCommand): RemotingCommand {
  const topic = requiredString(request, "topic");
  const key = requiredString(request, "key");
  const maxNum = Math.min(requiredInt(request, "maxNum"), queryCountMax);
  const unique = optionalBool(request, "_UNIQUE_KEY_QUERY") === true;
  const begin = optionalInt(request, "beginTimestamp") ?? 0;
  const end = optionalInt(request, "endTimestamp") ?? Number.MAX_SAFE_INTEGER;
  const records = ctx.store.queryMessage(topic, key, unique ? 32 : maxNum, begin, end);
  const last = ctx.store.index?.lastUpdate() ?? { timestamp: 0, phyOffset: 0 };
  const extFields = {
    indexLastUpdateTimestamp: String(last.timestamp),
    indexLastUpdatePhyoffset: String(last.phyOffset),
  };
  const found = unique ? records.slice(0, 1) : records;
  if (found.length === 0) {
    return createResponse(request, ResponseCode.QUERY_NOT_FOUND, {
      remark: "can not find message, maybe time range not correct",
      extFields,
    });
  }
  const bytes = found.map((r) => ctx.store.commitLog.read(r.position, r.totalSize)!);
  const body = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of bytes) {
    body.set(b, at);
    at += b.length;
  }
  return createResponse(request, ResponseCode.SUCCESS, { extFields, body });
}

export function processViewMessageById(
  ctx: BrokerContext,
  request: RemotingCommand,
): RemotingCommand {
  const offset = requiredInt(request, "offset");
  const found = ctx.store.readRecordAt(offset);
  if (!found) {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, {
      remark: `can not find message by the offset, ${offset}`,
    });
  }
  return createResponse(request, ResponseCode.SUCCESS, { body: found.bytes });
}

/** The most units one QUERY_CONSUME_QUEUE answer lists (mqadmin asks for 10 by default). */
const queueUnitsMax = 4096;

/**
 * Units of a consume queue from `index`, up to `count`, with the queue's bounds, as 4.9.7's
 * QueryConsumeQueueResponseBody; given a group, its subscription to the topic too. An index
 * outside the queue answers SUCCESS with no body and a remark, as 4.9.7 does.
 */
export function processQueryConsumeQueue(ctx: BrokerContext, request: RemotingCommand) {
  const topic = requiredString(request, "topic");
  const queueId = requiredInt(request, "queueId");
  const index = requiredInt(request, "index");
  const count = Math.max(0, Math.min(requiredInt(request, "count"), queueUnitsMax));
  const group = optionalString(request, "consumerGroup");
  const min = ctx.store.minOffsetInQueue(topic, queueId);
  const max = ctx.store.maxOffsetInQueue(topic, queueId);
  if (index < min || index >= max) {
    return createResponse(request, ResponseCode.SUCCESS, {
      remark: `Index ${index} of ${queueId}@${topic} is not exist!`,
    });
  }
  const units = ctx.store
    .queueUnits(topic, queueId, index, count)
    .map(
      (u) =>
        `{"eval":false,"physicOffset":${u.physicalOffset},"physicSize":${u.size},` +
        `"tagsCode":${u.tagsCode}}`,
    );
  // Members in fastjson's (alphabetical) order; a group's two only when one is named.
  const members: string[] = [];
  const subscription = group === undefined ? undefined : ctx.clients.subscription(group, topic);
  if (group !== undefined) {
    // rmq keeps no ConsumerFilterData; 4.9.7 has none for tag subscriptions either ("null").
    const filterData = subscription ? "null" : `${group}@${topic} is not online!`;
    members.push(`"filterData":${JSON.stringify(filterData)}`);
  }
  members.push(`"maxQueueIndex":${max}`, `"minQueueIndex":${min}`);
  members.push(`"queueData":[${units.join(",")}]`);
  if (subscription) {
    const data = writeJson(subscriptionDataFields(subscription), { quoteNumericKeys: true });
    members.push(`"subscriptionData":${data}`);
  }
  const body = `{${members.join(",")}}`;
  return createResponse(request, ResponseCode.SUCCESS, { body: encoder.encode(body) });
}
