// Requests an admin tool sends a broker for one consumer, which the broker passes on to that
// consumer's connection and whose answer it returns (4.9.7's callConsumer):
// GET_CONSUMER_RUNNING_INFO (mqadmin consumerStatus, the dashboard's client view) and
// CONSUME_MESSAGE_DIRECTLY (mqadmin consumeMessage), to which the broker adds the stored
// message named by its offset msgId. The consumer is found by group and client id among the
// members connected here.

import { createRequest, createResponse, type RemotingCommand } from "../../protocol/command.ts";
import { requiredString } from "../../protocol/header_fields.ts";
import { ResponseCode } from "../../protocol/response_code.ts";
import { TimeoutError } from "../../common/errors.ts";
import { decodeOffsetMessageId } from "../../common/message.ts";
import type { BrokerContext } from "../context.ts";

/** 4.9.7's Broker2Client.callClient waits this long. */
const callTimeoutMs = 10_000;

export function processCallConsumer(
  ctx: BrokerContext,
  request: RemotingCommand,
): Promise<RemotingCommand> {
  return callConsumer(ctx, request, request.extFields ?? undefined, request.body ?? undefined);
}

/** CONSUME_MESSAGE_DIRECTLY: the message goes along as its stored record, with brokerName. */
export function processConsumeMessageDirectly(
  ctx: BrokerContext,
  request: RemotingCommand,
): Promise<RemotingCommand> | RemotingCommand {
  const msgId = requiredString(request, "msgId");
  const id = decodeOffsetMessageId(msgId);
  const bytes = id && ctx.store.readRecordAt(id.physicalOffset)?.bytes;
  if (!bytes) {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, {
      remark: `no message here with the offset msgId ${msgId}`,
    });
  }
  const extFields = new Map(request.extFields ?? []);
  extFields.set("brokerName", ctx.config.brokerName);
  return callConsumer(ctx, request, extFields, bytes);
}

async function callConsumer(
  ctx: BrokerContext,
  request: RemotingCommand,
  extFields: Iterable<[string, string]> | undefined,
  body: Uint8Array | undefined,
): Promise<RemotingCommand> {
  const group = requiredString(request, "consumerGroup");
  const clientId = requiredString(request, "clientId");
  const member = ctx.clients.consumer(group, clientId);
  if (!member) {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, {
      remark: `The Consumer <${group}> <${clientId}> not online`,
    });
  }
  const passed = createRequest(request.code, {
    extFields: extFields ? new Map(extFields) : undefined,
    body,
  });
  try {
    const answer = await member.channel.invoke(passed, callTimeoutMs);
    return createResponse(request, answer.code, {
      remark: answer.remark ?? undefined,
      extFields: answer.extFields ?? undefined,
      body: answer.body ?? undefined,
    });
  } catch (error) {
    const timedOut = error instanceof TimeoutError;
    const what = (error as Error).message;
    return createResponse(
      request,
      timedOut ? ResponseCode.CONSUME_MSG_TIMEOUT : ResponseCode.SYSTEM_ERROR,
      {
        remark: timedOut
          ? `consumer <${group}> <${clientId}> Timeout: ${what}`
          : `invoke consumer <${group}> <${clientId}> Exception: ${what}`,
      },
    );
  }
}
