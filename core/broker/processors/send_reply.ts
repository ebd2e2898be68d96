// SEND_REPLY_MESSAGE / SEND_REPLY_MESSAGE_V2 (RocketMQ 4.6+ request-reply): a consumer answers
// a request message. The broker pushes the reply at once to the requesting producer, the one
// whose client id the reply's REPLY_TO_CLIENT names (PUSH_REPLY_MESSAGE_TO_CLIENT, on that
// producer's connection), and, as 4.9.7 with storeReplyMessageEnable (its default), also
// stores it on the reply topic. The answer says whether the push reached the requester:
// SUCCESS, or SYSTEM_ERROR with why (a stored reply then still has its msgId and offset).

import {
  formatHost,
  formatMessageProperties,
  MessageConst,
  parseMessageProperties,
} from "../../common/message.ts";
import { TimeoutError } from "../../common/errors.ts";
import { waitStoreMsgOk } from "../../common/java_boolean.ts";
import { createRequest, createResponse, type RemotingCommand } from "../../protocol/command.ts";
import {
  decodeSendMessageRequest,
  type SendMessageRequestHeader,
} from "../../protocol/headers/send.ts";
import { RequestCode } from "../../protocol/request_code.ts";
import { ResponseCode } from "../../protocol/response_code.ts";
import type { Channel } from "../../remoting/channel.ts";
import type { BrokerContext } from "../context.ts";
import { putReplicated } from "../replication.ts";
import { bornHostOf, resolveTopic, sentMessage, withSendDefaults } from "./send.ts";
import { wasStored } from "../../store/status.ts";

/** 4.9.7 pushes with Broker2Client.callClient: a synchronous call of this long. */
const pushTimeoutMs = 10_000;

export async function processSendReply(
  ctx: BrokerContext,
  request: RemotingCommand,
  channel: Channel,
): Promise<RemotingCommand> {
  const header = decodeSendMessageRequest(request);
  const resolved = resolveTopic(ctx, request, header);
  if ("code" in resolved) return withSendDefaults(ctx, resolved);
  const body = request.body ?? new Uint8Array(0);
  const sent = parseMessageProperties(header.properties);
  const pushed = await pushReply(ctx, channel, header, resolved.queueId, sent, body);
  const extFields = new Map<string, string>([
    ["MSG_REGION", ctx.config.regionId],
    ["TRACE_ON", String(ctx.config.traceOn)],
    // As 4.9.7: a reply not stored answers msgId "0" and offset 0 (a client decodes them).
    ["msgId", "0"],
    ["queueId", String(resolved.queueId)],
    ["queueOffset", "0"],
  ]);
  // As every client put: through replication (a fenced master refuses, SYNC_MASTER waits).
  const wait = waitStoreMsgOk(sent.get(MessageConst.PROPERTY_WAIT_STORE_MSG_OK));
  const result = await putReplicated(
    ctx.replication,
    ctx.store,
    [
      sentMessage(ctx, header, bornHostOf(channel), {
        topic: header.topic,
        queueId: resolved.queueId,
        sysFlag: header.sysFlag,
        flag: header.flag,
        body,
        // As sent: 4.9.7 stores a reply's properties string unchanged.
        properties: header.properties,
      }),
    ],
    wait,
    wait,
  );
  if (wasStored(result.status)) {
    const [stored] = result.appended;
    extFields.set("msgId", stored!.msgId);
    extFields.set("queueOffset", String(stored!.queueOffset));
  } else {
    ctx.log.warn(`reply to ${header.topic} not stored: ${result.status} ${result.remark ?? ""}`);
  }
  return createResponse(
    request,
    pushed === true ? ResponseCode.SUCCESS : ResponseCode.SYSTEM_ERROR,
    {
      remark: pushed === true ? null : pushed,
      extFields,
    },
  );
}

/** True once the requester took the reply; else why not (4.9.7's remarks). */
async function pushReply(
  ctx: BrokerContext,
  channel: Channel,
  header: SendMessageRequestHeader,
  queueId: number,
  sent: Map<string, string>,
  body: Uint8Array,
): Promise<true | string> {
  const requester = sent.get(MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT);
  if (requester === undefined) {
    return `reply message properties[${MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT}] is null`;
  }
  const target = ctx.clients.producerChannel(requester);
  if (!target) return `push reply message fail, channel of <${requester}> not found.`;
  const nowMs = ctx.clock.nowMs();
  sent.set(MessageConst.PROPERTY_PUSH_REPLY_TIME, String(nowMs));
  const push = createRequest(RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT, {
    extFields: {
      producerGroup: header.producerGroup,
      topic: header.topic,
      defaultTopic: header.defaultTopic,
      defaultTopicQueueNums: header.defaultTopicQueueNums,
      queueId,
      sysFlag: header.sysFlag,
      bornTimestamp: header.bornTimestamp,
      flag: header.flag,
      properties: formatMessageProperties(sent),
      reconsumeTimes: header.reconsumeTimes,
      unitMode: header.unitMode,
      bornHost: channel.remoteAddress,
      storeHost: formatHost(ctx.storeHost),
      storeTimestamp: nowMs,
    },
    body,
  });
  const failed = `push reply message to ${requester}fail.`; // sic, as 4.9.7 words it
  try {
    const answer = await target.invoke(push, pushTimeoutMs);
    if (answer.code === ResponseCode.SUCCESS) return true;
    ctx.log.warn(`push reply message to <${requester}> answered ${answer.code} ${answer.remark}`);
    return failed;
  } catch (error) {
    const why = error instanceof TimeoutError ? "timed out" : (error as Error).message;
    ctx.log.warn(`push reply message to <${requester}> failed: ${why}`);
    return failed;
  }
}
