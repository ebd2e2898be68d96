// PULL_MESSAGE / LITE_PULL_MESSAGE (spec §3.3): checks, commit-offset piggy-back, store read
// with the tag filter, status mapping, and long polling (a held pull is answered when a
// matching message arrives or its deadline passes).

import { createRefusal, createResponse, type RemotingCommand } from "../../protocol/command.ts";
import {
  decodePullMessageRequest,
  PullSysFlag,
  type PullMessageRequestHeader,
} from "../../protocol/headers/pull.ts";
import { ResponseCode } from "../../protocol/response_code.ts";
import { Perm } from "../../protocol/topic_config.ts";
import type { Channel } from "../../remoting/channel.ts";
import { GetMessageStatus } from "../../store/status.ts";
import type { GetOptions } from "../../store/message_store.ts";
import { SmallMap } from "../../common/small_map.ts";
import { decimalText } from "../../common/decimal_text.ts";
import { farBehindEnd, inMemoryBytes, type BrokerContext } from "../context.ts";
import type { HeldPull } from "../long_polling.ts";
import { Sql92Error, type Sql92Filter } from "../../protocol/sql92/index.ts";
import { recordMatcher } from "../sql_filters.ts";
import { filterOfSubscription, parseTagExpression, type TagFilter } from "../tag_filter.ts";
import { ScratchBytes } from "../../common/scratch_bytes.ts";
import { recordOffsetMoved } from "../offset_moved_event.ts";

/**
 * Pull bodies are read here: an answer is encoded into its channel's frame in the turn it is
 * made (dispatchRequest answers a pull at once, a woken held pull is sent at once), before any
 * other pull reads. Shared by every broker of the process, for the same reason.
 */
const pullBody = new ScratchBytes();
const faq = "\nSee http://rocketmq.apache.org/docs/faq/ for further details.";

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Which broker of the group the consumer should pull from next (spec §3.3): the master (0)
 * unless slaveReadEnable is on. With it, the group's whichBrokerWhenConsumeSlowly (a slave) when
 * the last queue unit the read looked at lies further behind the log's head than
 * inMemoryBytes, else the group's brokerId. RocketMQ 4.9.7 decides so on masters and slaves.
 */
function suggestedBroker(
  ctx: BrokerContext,
  group: { brokerId: number; whichBrokerWhenConsumeSlowly: number },
  result: { lastScannedPhysicalOffset: number },
): number {
  if (!ctx.config.slaveReadEnable) return 0;
  const last = result.lastScannedPhysicalOffset;
  if (last < 0) return group.brokerId;
  return farBehindEnd(ctx, last) ? group.whichBrokerWhenConsumeSlowly : group.brokerId;
}

/**
 * Per broker: its disk-tier transfer limits, set by its config and this machine's RAM, with the
 * config version they were worked out at (UPDATE_BROKER_CONFIG may change them).
 */
const diskLimits = new WeakMap<
  BrokerContext,
  { configCounter: number; limits: NonNullable<GetOptions["disk"]> }
>();
/**
 * How every pull reads, filled in for each: getMessage is synchronous and keeps none of it, so
 * one object serves (a new one per pull was one more object per message).
 */
const pullRead: GetOptions = { bodyScratch: pullBody };

function readOf(
  ctx: BrokerContext,
  accept: GetOptions["accept"],
  acceptRecord: GetOptions["acceptRecord"],
): GetOptions {
  let disk = diskLimits.get(ctx);
  if (disk === undefined || disk.configCounter !== ctx.configVersion.counter) {
    const limits = {
      inMemoryBytes: inMemoryBytes(ctx),
      countMax: ctx.config.maxTransferCountOnMessageInDisk,
      bytesMax: ctx.config.maxTransferBytesOnMessageInDisk,
    };
    disk = { configCounter: ctx.configVersion.counter, limits };
    diskLimits.set(ctx, disk);
  }
  pullRead.accept = accept;
  pullRead.acceptRecord = acceptRecord;
  pullRead.disk = disk.limits;
  return pullRead;
}

/** A SQL92 subscription's filter, or the refusal RocketMQ answers. */
export function sqlFilterOf(
  ctx: BrokerContext,
  expression: string,
): Sql92Filter | { code: number; remark: string } {
  if (!ctx.config.enablePropertyFilter) {
    return {
      code: ResponseCode.SYSTEM_ERROR,
      remark:
        "The broker does not support consumer to filter message by SQL92 " +
        "(set enablePropertyFilter=true in broker.conf)",
    };
  }
  const compiled = ctx.sqlFilters.get(expression);
  if (compiled instanceof Sql92Error) {
    return {
      code: ResponseCode.SUBSCRIPTION_PARSE_FAILED,
      remark: `parse the consumer's subscription[${expression}] failed: ${compiled.message}`,
    };
  }
  return compiled;
}

/**
 * Must stay synchronous, and its answer must be sent in the turn it returns (dispatchRequest
 * does): the body is a view of pullBody, which the next pull overwrites.
 */
export function processPull(
  ctx: BrokerContext,
  request: RemotingCommand,
  channel: Channel,
): RemotingCommand | null {
  return pullWith(ctx, request, channel, decodePullMessageRequest(request), true);
}

/**
 * A held pull once a message arrived or its deadline passed: answered, never held again. As
 * processPull: the caller sends the answer before anything else pulls (its body is pullBody's).
 */
export function processHeldPull(ctx: BrokerContext, pull: HeldPull): RemotingCommand | null {
  return pullWith(ctx, pull.request, pull.channel, pull.header, false);
}

function pullWith(
  ctx: BrokerContext,
  request: RemotingCommand,
  channel: Channel,
  h: PullMessageRequestHeader,
  allowSuspend: boolean,
): RemotingCommand | null {
  if ((ctx.config.brokerPermission & Perm.READ) === 0) {
    return createRefusal(
      request,
      ResponseCode.NO_PERMISSION,
      `the broker[${ctx.config.brokerIP1}] pulling message is forbidden`,
    );
  }
  const group = ctx.subscriptions.findOrCreate(h.consumerGroup);
  if (!group) {
    return createRefusal(
      request,
      ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST,
      `subscription group [${h.consumerGroup}] does not exist,${faq}`,
    );
  }
  if (!group.consumeEnable) {
    return createRefusal(
      request,
      ResponseCode.NO_PERMISSION,
      `subscription group no permission, ${h.consumerGroup}`,
    );
  }
  const topic = ctx.topics.get(h.topic);
  if (!topic)
    return createRefusal(
      request,
      ResponseCode.TOPIC_NOT_EXIST,
      `topic[${h.topic}] not exist, apply first please!${faq}`,
    );
  if ((topic.perm & Perm.READ) === 0) {
    return createRefusal(
      request,
      ResponseCode.NO_PERMISSION,
      `the topic[${h.topic}] pulling message is forbidden`,
    );
  }
  if (h.queueId < 0 || h.queueId >= topic.readQueueNums) {
    return createRefusal(
      request,
      ResponseCode.SYSTEM_ERROR, // RocketMQ 4.9.7's code (5.x: INVALID_PARAMETER)
      `queueId[${h.queueId}] is illegal, topic:[${h.topic}] ` +
        `topicConfig.readQueueNums:[${topic.readQueueNums}] consumer:[${channel.remoteAddress}]`,
    );
  }
  let filter: TagFilter;
  let acceptRecord: ((record: Uint8Array) => boolean) | undefined;
  let expressionType = h.expressionType;
  let expression = h.subscription;
  if ((h.sysFlag & PullSysFlag.SUBSCRIPTION) === 0) {
    const members = ctx.clients.consumers.get(h.consumerGroup);
    if (!members) {
      return createRefusal(
        request,
        ResponseCode.SUBSCRIPTION_NOT_EXIST,
        `the consumer's group info not exist${faq}`,
      );
    }
    if (!group.consumeBroadcastEnable && members.messageModel === "BROADCASTING") {
      return createRefusal(
        request,
        ResponseCode.NO_PERMISSION,
        `the consumer group[${h.consumerGroup}] can not consume by broadcast way`,
      );
    }
    const sub = members.subscriptions.get(h.topic);
    if (!sub)
      return createRefusal(
        request,
        ResponseCode.SUBSCRIPTION_NOT_EXIST,
        `the consumer's subscription not exist${faq}`,
      );
    if (sub.subVersion < h.subVersion) {
      return createRefusal(
        request,
        ResponseCode.SUBSCRIPTION_NOT_LATEST,
        "the consumer's subscription not latest",
      );
    }
    expressionType = sub.expressionType;
    expression = sub.subString;
    filter = filterOfSubscription(sub);
  } else {
    filter = parseTagExpression(h.subscription);
  }
  if (expressionType === "SQL92") {
    const sql = sqlFilterOf(ctx, expression ?? "");
    if ("code" in sql) return createRefusal(request, sql.code, sql.remark);
    filter = parseTagExpression("*"); // the unit's tag hash says nothing about properties
    acceptRecord = recordMatcher(sql);
  } else if (expressionType !== "TAG") {
    return createRefusal(
      request,
      ResponseCode.SYSTEM_ERROR,
      "The broker does not support consumer to filter message by " + expressionType,
    );
  }
  if (
    allowSuspend &&
    (h.sysFlag & PullSysFlag.COMMIT_OFFSET) !== 0 &&
    ctx.role.brokerRole !== "SLAVE"
  ) {
    ctx.offsets.commit(h.consumerGroup, h.topic, h.queueId, h.commitOffset);
  }
  const { config } = ctx;
  const accept = filter.accept;
  const result = ctx.store.getMessage(
    h.topic,
    h.queueId,
    h.queueOffset,
    Math.min(Math.max(1, h.maxMsgNums), config.maxTransferCountOnMessageInMemory),
    Math.min(h.maxMsgBytes ?? Infinity, config.maxTransferBytesOnMessageInMemory),
    readOf(ctx, accept, acceptRecord),
  );
  let code: number;
  switch (result.status) {
    case GetMessageStatus.FOUND:
      code = ResponseCode.SUCCESS;
      break;
    case GetMessageStatus.NO_MATCHED_MESSAGE:
    case GetMessageStatus.MESSAGE_WAS_REMOVING:
      code = ResponseCode.PULL_RETRY_IMMEDIATELY;
      break;
    case GetMessageStatus.NO_MATCHED_LOGIC_QUEUE:
    case GetMessageStatus.NO_MESSAGE_IN_QUEUE:
      code = h.queueOffset !== 0 ? ResponseCode.PULL_OFFSET_MOVED : ResponseCode.PULL_NOT_FOUND;
      break;
    case GetMessageStatus.OFFSET_TOO_SMALL:
    case GetMessageStatus.OFFSET_OVERFLOW_BADLY:
      code = ResponseCode.PULL_OFFSET_MOVED;
      break;
    default:
      code = ResponseCode.PULL_NOT_FOUND;
  }
  const suspend = (h.sysFlag & PullSysFlag.SUSPEND) !== 0;
  if (code === ResponseCode.PULL_NOT_FOUND && suspend && allowSuspend) {
    const holdMs = ctx.config.longPollingEnable
      ? h.suspendTimeoutMillis
      : ctx.config.shortPollingTimeMills;
    const held = ctx.pullHold.hold({
      header: h,
      deadlineMs: ctx.clock.nowMs() + Math.max(0, holdMs),
      accept,
      request,
      channel,
    });
    if (held) return null;
  }
  let suggested = suggestedBroker(ctx, group, result);
  let nextBeginOffset = result.nextBeginOffset;
  if (
    code === ResponseCode.PULL_OFFSET_MOVED &&
    ctx.role.brokerRole === "SLAVE" &&
    !ctx.config.offsetCheckInSlave
  ) {
    // A slave may lag its master, or the master may be gone: an offset it has not got is no
    // reason to move the consumer. It stays where it is and is sent to the group's broker.
    code = ResponseCode.PULL_RETRY_IMMEDIATELY;
    nextBeginOffset = h.queueOffset;
    suggested = group.brokerId;
  }
  if (code === ResponseCode.PULL_OFFSET_MOVED) {
    recordOffsetMoved(ctx, {
      consumerGroup: h.consumerGroup,
      topic: h.topic,
      queueId: h.queueId,
      offsetRequest: h.queueOffset,
      offsetNew: nextBeginOffset,
    });
  }
  // Appended, not a literal: a literal is one more object per pull, copied into a map anyway.
  const extFields = new SmallMap();
  extFields.append("suggestWhichBrokerId", String(suggested));
  extFields.append("nextBeginOffset", decimalText(nextBeginOffset));
  extFields.append("minOffset", decimalText(result.minOffset));
  extFields.append("maxOffset", decimalText(result.maxOffset));
  return createResponse(request, code, {
    remark: result.status,
    extFields,
    body:
      code === ResponseCode.SUCCESS
        ? (result.body ?? concat(result.messages.map((m) => m.bytes)))
        : null,
  });
}
