// SEND_MESSAGE / SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE (spec §3.2): validate, find or
// auto-create the topic, pick the queue, build the stored properties, append, and map the
// store's status to RocketMQ's response code.

import { javaBoolean, waitStoreMsgOk } from "../../common/java_boolean.ts";
import {
  MessageConst,
  MessageSysFlag,
  parseMessageProperties,
  transactionType,
  type HostAddress,
} from "../../common/message.ts";
import {
  createRefusal,
  createResponse,
  isOneway,
  type RemotingCommand,
} from "../../protocol/command.ts";
import { decodeBatchBody } from "../../protocol/batch_body.ts";
import { SmallMap } from "../../common/small_map.ts";
import { decimalText } from "../../common/decimal_text.ts";
import {
  decodeSendMessageRequest,
  type SendMessageRequestHeader,
} from "../../protocol/headers/send.ts";
import { ResponseCode } from "../../protocol/response_code.ts";
import { Perm, type TopicConfig } from "../../protocol/topic_config.ts";
import type { Channel } from "../../remoting/channel.ts";
import { PutMessageStatus, wasStored } from "../../store/status.ts";
import type { MessageInput, PutResult } from "../../store/message_store.ts";
import { parseHostAddress, type BrokerContext } from "../context.ts";
import { afterPut, refusedPut } from "../replication.ts";
import { divertSend } from "../send_divert.ts";
import {
  RETRY_GROUP_TOPIC_PREFIX,
  DLQ_GROUP_TOPIC_PREFIX,
  sendForbiddenTopics,
} from "../topics.ts";

const topicPattern = /^[%|a-zA-Z0-9_-]+$/;
const faq = "\nSee http://rocketmq.apache.org/docs/faq/ for further details.";

export function sendStatusResponse(
  request: RemotingCommand,
  result: PutResult,
): RemotingCommand | null {
  // Stored (a flush or slave problem is a status code the client reports): the caller builds
  // the success header.
  if (wasStored(result.status)) return null;
  switch (result.status) {
    case PutMessageStatus.MESSAGE_ILLEGAL:
    case PutMessageStatus.PROPERTIES_SIZE_EXCEEDED:
      return createResponse(request, ResponseCode.MESSAGE_ILLEGAL, {
        remark: `the message is illegal: ${result.remark ?? result.status}`,
      });
    case PutMessageStatus.SERVICE_NOT_AVAILABLE:
      return createResponse(request, ResponseCode.SERVICE_NOT_AVAILABLE, {
        remark: `service not available now: ${result.remark ?? "the store is not writable"}`,
      });
    case PutMessageStatus.OS_PAGE_CACHE_BUSY:
      return createResponse(request, ResponseCode.SYSTEM_BUSY, {
        remark: "[PC_SYNCHRONIZED]broker busy",
      });
    default:
      return createResponse(request, ResponseCode.SYSTEM_ERROR, {
        remark: result.remark ?? result.status,
      });
  }
}

/**
 * A batch's inner record keeps its own properties and gets the batch's appended: CLUSTER and
 * the header's properties (normally WAIT), as RocketMQ 4.9.7 stores them (bytes in
 * shared/fixtures/rocketmq-store: "...UNIQ_KEY\u0001X\u0002WAIT\u0001true\u0002CLUSTER\u0001
 * DefaultCluster\u0002WAIT\u0001true").
 */
export function batchRecordProperties(
  inner: string,
  batchHeader: string,
  clusterName: string,
): string {
  const batch = `CLUSTER\u0001${clusterName}` + (batchHeader ? `\u0002${batchHeader}` : "");
  if (inner === "") return batch;
  return inner.endsWith("\u0002") ? inner + batch : `${inner}\u0002${batch}`;
}

const storedStatusCode: Record<string, number> = {
  [PutMessageStatus.PUT_OK]: ResponseCode.SUCCESS,
  [PutMessageStatus.FLUSH_DISK_TIMEOUT]: ResponseCode.FLUSH_DISK_TIMEOUT,
  [PutMessageStatus.FLUSH_SLAVE_TIMEOUT]: ResponseCode.FLUSH_SLAVE_TIMEOUT,
  [PutMessageStatus.SLAVE_NOT_AVAILABLE]: ResponseCode.SLAVE_NOT_AVAILABLE,
};

/**
 * The topic and queue of a send that may be stored here, or RocketMQ's refusal (msgCheck):
 * shared by single, batch and reply sends.
 */
export function resolveTopic(
  ctx: BrokerContext,
  request: RemotingCommand,
  header: SendMessageRequestHeader,
): { topic: TopicConfig; queueId: number } | RemotingCommand {
  if (ctx.role.brokerRole === "SLAVE") {
    // What RocketMQ 4.9.7's store answers a put on a slave: a code clients retry elsewhere.
    return createRefusal(
      request,
      ResponseCode.SERVICE_NOT_AVAILABLE,
      "service not available now: messages are put to the slave",
    );
  }
  if ((ctx.config.brokerPermission & Perm.WRITE) === 0) {
    return createRefusal(
      request,
      ResponseCode.NO_PERMISSION,
      `the broker[${ctx.config.brokerIP1}] sending message is forbidden`,
    );
  }
  const name = header.topic;
  const isGroupTopic =
    name.startsWith(RETRY_GROUP_TOPIC_PREFIX) || name.startsWith(DLQ_GROUP_TOPIC_PREFIX);
  if (!topicPattern.test(name)) {
    return createRefusal(
      request,
      ResponseCode.SYSTEM_ERROR,
      "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$",
    );
  }
  if (name.length > (isGroupTopic ? 255 : 127)) {
    return createRefusal(
      request,
      ResponseCode.SYSTEM_ERROR,
      "The specified topic is longer than topic max length.",
    );
  }
  if (sendForbiddenTopics.has(name)) {
    return createRefusal(
      request,
      ResponseCode.NO_PERMISSION,
      `Sending message to topic[${name}] is forbidden.`,
    );
  }
  let topic = ctx.topics.get(name);
  if (!topic && name.startsWith(RETRY_GROUP_TOPIC_PREFIX))
    topic = ctx.topics.createSystemTopic(name, 1);
  topic ??= ctx.topics.createFromDefault(name, header.defaultTopic, header.defaultTopicQueueNums);
  if (!topic) {
    return createRefusal(
      request,
      ResponseCode.TOPIC_NOT_EXIST,
      `topic[${name}] not exist, apply first please!${faq}`,
    );
  }
  if ((topic.perm & Perm.WRITE) === 0) {
    return createRefusal(
      request,
      ResponseCode.NO_PERMISSION,
      `the topic[${name}] sending message is forbidden`,
    );
  }
  let queueId = header.queueId;
  const queueLimit = Math.max(topic.writeQueueNums, topic.readQueueNums);
  if (queueId < 0) queueId = ctx.nextRandom(topic.writeQueueNums);
  if (queueId >= queueLimit) {
    // SYSTEM_ERROR, as RocketMQ 4.9.7 answers: a producer with a stale route (the topic had
    // more queues) retries, where INVALID_PARAMETER would fail the send at once.
    return createRefusal(
      request,
      ResponseCode.SYSTEM_ERROR,
      `request queueId[${queueId}] is illegal, ${JSON.stringify(topic)} ` +
        `Producer: ${header.producerGroup}`,
    );
  }
  return { topic, queueId };
}

/**
 * Checked and prepared in this turn, then stored: only the storing is async. Each async layer
 * a send went through cost it five objects (its promise, generator, scopes and a function).
 */
export function processSend(
  ctx: BrokerContext,
  request: RemotingCommand,
  channel: Channel,
): RemotingCommand | Promise<RemotingCommand | null> {
  const planned = planSend(ctx, request, channel);
  if ("code" in planned) return withSendDefaults(ctx, planned);
  return storeSend(ctx, request, planned);
}

/** RocketMQ pre-fills every send answer with TRACE_ON and MSG_REGION, refusals included. */
export function withSendDefaults(ctx: BrokerContext, response: RemotingCommand): RemotingCommand {
  if (response.code !== ResponseCode.SUCCESS && !response.extFields?.has("msgId")) {
    response.extFields = new Map([
      ["TRACE_ON", String(ctx.config.traceOn)],
      ["MSG_REGION", ctx.config.regionId],
      ...(response.extFields ?? []),
    ]);
  }
  return response;
}

/** A send that passed every check: what to store, and what its answer needs. */
interface PlannedSend {
  messages: MessageInput[];
  /** WAIT: the sender waits for the flush (SYNC_FLUSH) and the replicas (SYNC_MASTER). */
  wait: boolean;
  queueId: number;
  /** A half message's UNIQ_KEY, which its answer carries. */
  transactionId: string | undefined;
}

function planSend(
  ctx: BrokerContext,
  request: RemotingCommand,
  channel: Channel,
): PlannedSend | RemotingCommand {
  const header = decodeSendMessageRequest(request);
  const resolved = resolveTopic(ctx, request, header);
  if ("code" in resolved) return resolved;
  const sentProperties = parseMessageProperties(header.properties);
  const bornHost = bornHostOf(channel);
  const wait = waitStoreMsgOk(sentProperties.get(MessageConst.PROPERTY_WAIT_STORE_MSG_OK));
  let messages: MessageInput[];
  if (header.batch) {
    if (!request.body)
      return createResponse(request, ResponseCode.MESSAGE_ILLEGAL, {
        remark: "batch without body",
      });
    if (header.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) {
      return createResponse(request, ResponseCode.MESSAGE_ILLEGAL, {
        remark: "batch request does not support retry group",
      });
    }
    // RocketMQ 4.9.7's checks of a batch as a whole. A transaction type would store the
    // messages without queue offsets: accepted, and never delivered.
    if (transactionType(header.sysFlag) !== MessageSysFlag.TRANSACTION_NOT_TYPE) {
      return createResponse(request, ResponseCode.MESSAGE_ILLEGAL, {
        remark: "the message is illegal: a batch cannot carry transaction messages",
      });
    }
    if (request.body.length > ctx.config.maxMessageSize) {
      return createResponse(request, ResponseCode.MESSAGE_ILLEGAL, {
        remark:
          `the message is illegal: batch body of ${request.body.length} bytes, ` +
          `limit ${ctx.config.maxMessageSize}`,
      });
    }
    if (Number(sentProperties.get(MessageConst.PROPERTY_DELAY_TIME_LEVEL) ?? "0") > 0) {
      return createResponse(request, ResponseCode.MESSAGE_ILLEGAL, {
        remark: "batch request does not support delay message",
      });
    }
    messages = decodeBatchBody(request.body, ctx.config.maxBatchMessageCount).map((entry) =>
      sentMessage(ctx, header, bornHost, {
        topic: header.topic,
        queueId: resolved.queueId,
        sysFlag: header.sysFlag,
        flag: entry.flag,
        body: entry.body,
        properties: batchRecordProperties(
          entry.properties,
          header.properties,
          ctx.config.brokerClusterName,
        ),
      }),
    );
  } else {
    const target = divertSend(ctx, header, resolved.queueId, sentProperties);
    if ("refuse" in target)
      return createResponse(request, target.refuse, { remark: target.remark });
    messages = [
      sentMessage(ctx, header, bornHost, {
        topic: target.topic,
        queueId: target.queueId,
        sysFlag: target.sysFlag ?? header.sysFlag,
        flag: header.flag,
        body: request.body ?? new Uint8Array(0),
        properties: target.properties,
      }),
    ];
  }
  const transactionId = javaBoolean(sentProperties.get(MessageConst.PROPERTY_TRANSACTION_PREPARED))
    ? sentProperties.get(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
    : undefined;
  return { messages, wait, queueId: resolved.queueId, transactionId };
}

async function storeSend(
  ctx: BrokerContext,
  request: RemotingCommand,
  planned: PlannedSend,
): Promise<RemotingCommand | null> {
  // putReplicated's steps, with one async step (this one) rather than two.
  const { wait, messages } = planned;
  const { replication } = ctx;
  let result = refusedPut(replication, wait);
  if (result === null) {
    const generation = replication.generation;
    const settled = afterPut(
      replication,
      await ctx.store.putBatch(messages, wait),
      generation,
      wait,
    );
    result = settled instanceof Promise ? await settled : settled;
  }
  if (isOneway(request)) return null;
  const refusal = sendStatusResponse(request, result);
  if (refusal) return withSendDefaults(ctx, refusal);
  const { appended } = result;
  const first = appended[0]!;
  // Member order as RocketMQ 4.9.7 writes it (its HashMap order), so answers match captures.
  const extFields = new SmallMap();
  extFields.append("queueId", String(planned.queueId));
  extFields.append("TRACE_ON", ctx.config.traceOn ? "true" : "false");
  extFields.append("MSG_REGION", ctx.config.regionId);
  const msgIds = appended.length === 1 ? first.msgId : appended.map((a) => a.msgId).join(",");
  extFields.append("msgId", msgIds);
  extFields.append("queueOffset", decimalText(first.queueOffset));
  if (planned.transactionId) extFields.append("transactionId", planned.transactionId);
  const code = storedStatusCode[result.status] ?? ResponseCode.SUCCESS;
  return createResponse(request, code, { extFields });
}

/** A sent message as the store takes it: the header's born fields, this broker as its host. */
export function sentMessage(
  ctx: BrokerContext,
  header: SendMessageRequestHeader,
  bornHost: HostAddress,
  stored: Pick<MessageInput, "topic" | "queueId" | "sysFlag" | "flag" | "body" | "properties">,
): MessageInput {
  return {
    topic: stored.topic,
    queueId: stored.queueId,
    flag: stored.flag,
    sysFlag: stored.sysFlag,
    bornTimestamp: header.bornTimestamp,
    bornHost,
    storeHost: ctx.storeHost,
    reconsumeTimes: header.reconsumeTimes,
    preparedTransactionOffset: 0,
    body: stored.body,
    properties: stored.properties,
  };
}

// A connection's address does not change: its born host is parsed once, not per message.
const bornHosts = new WeakMap<Channel, HostAddress>();
const unknownHost: HostAddress = { ip: Uint8Array.of(0, 0, 0, 0), port: 0 };

export function bornHostOf(channel: Channel): HostAddress {
  let host = bornHosts.get(channel);
  if (host === undefined) {
    host = parseHostAddress(channel.remoteAddress) ?? unknownHost;
    bornHosts.set(channel, host);
  }
  return host;
}
