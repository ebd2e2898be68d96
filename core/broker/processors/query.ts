// Message lookups (spec §3.9): QUERY_MESSAGE by key or unique key, VIEW_MESSAGE_BY_ID by
// commit log offset. Bodies are stored records, back to back.

import { createResponse, type RemotingCommand } from "../../protocol/command.ts";
import {
  optionalBool,
  optionalInt,
  requiredInt,
  requiredString,
} from "../../protocol/header_fields.ts";
import { ResponseCode } from "../../protocol/response_code.ts";
import type { BrokerContext } from "../context.ts";

const queryCountMax = 64;

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
  const record = ctx.store.lookMessageByOffset(offset);
  if (!record) {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, {
      remark: `can not find message by the offset, ${offset}`,
    });
  }
  return createResponse(request, ResponseCode.SUCCESS, {
    body: ctx.store.commitLog.read(record.position, record.totalSize)!,
  });
}
