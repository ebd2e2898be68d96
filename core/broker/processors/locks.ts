// LOCK_BATCH_MQ (41) / UNLOCK_BATCH_MQ (42), spec §3.8 and §8.1: orderly consumers lock the
// queues they consume; the answer to a lock lists the queues the caller now holds.

import { createResponse, type RemotingCommand } from "../../protocol/command.ts";
import { decodeLockBatchRequest, encodeLockBatchResponse } from "../../protocol/lock_batch_body.ts";
import { ResponseCode } from "../../protocol/response_code.ts";
import type { BrokerContext } from "../context.ts";

export function processLockBatch(ctx: BrokerContext, request: RemotingCommand): RemotingCommand {
  const body = decodeLockBatchRequest(request.body);
  const locked = ctx.queueLocks.tryLock(body.consumerGroup, body.mqSet, body.clientId);
  if (locked.length < body.mqSet.length) {
    ctx.log.debug(
      `group ${body.consumerGroup}: ${body.clientId} locked ${locked.length} ` +
        `of ${body.mqSet.length} queues (the rest are held by others)`,
    );
  }
  return createResponse(request, ResponseCode.SUCCESS, { body: encodeLockBatchResponse(locked) });
}

export function processUnlockBatch(ctx: BrokerContext, request: RemotingCommand): RemotingCommand {
  const body = decodeLockBatchRequest(request.body);
  ctx.queueLocks.unlock(body.consumerGroup, body.mqSet, body.clientId);
  return createResponse(request, ResponseCode.SUCCESS);
}
