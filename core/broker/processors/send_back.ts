// CONSUMER_SEND_MSG_BACK (spec §3.6): a consumer failed a message. The broker re-stores the
// record it names by commit log offset: to %RETRY%<group> through the schedule topic, after
// delay level 3 + reconsumeTimes (10 s, 30 s, 1 m ... clamped at the last level) or the level
// asked for, or to %DLQ%<group> once the group's retry limit is reached (or delayLevel < 0).
// The copy keeps body, flag, sysFlag, born time and host; reconsumeTimes goes up by one.

import { createOffsetMessageId } from "../../common/message.ts";
import { createResponse, type RemotingCommand } from "../../protocol/command.ts";
import {
  optionalInt,
  optionalString,
  requiredInt,
  requiredString,
} from "../../protocol/header_fields.ts";
import { ResponseCode } from "../../protocol/response_code.ts";
import { Perm } from "../../protocol/topic_config.ts";
import { SCHEDULE_TOPIC_XXXX } from "../../store/dispatch.ts";
import { PutMessageStatus } from "../../store/status.ts";
import type { MessageInput } from "../../store/message_store.ts";
import type { BrokerContext } from "../context.ts";
import { putReplicated } from "../replication.ts";
import { sendBackProperties } from "../restored_properties.ts";
import { DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX } from "../topics.ts";

const faq = "\nSee http://rocketmq.apache.org/docs/faq/ for further details.";

export async function processSendBack(
  ctx: BrokerContext,
  request: RemotingCommand,
): Promise<RemotingCommand> {
  const physicalOffset = requiredInt(request, "offset");
  const group = requiredString(request, "group");
  const delayLevelAsked = requiredInt(request, "delayLevel");
  const maxReconsumeAsked = optionalInt(request, "maxReconsumeTimes");
  optionalString(request, "originMsgId"); // RocketMQ keeps the stored ORIGIN_MESSAGE_ID instead
  const refuse = (code: number, remark: string) => createResponse(request, code, { remark });

  const settings = ctx.subscriptions.findOrCreate(group);
  if (!settings) {
    return refuse(
      ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST,
      `subscription group not exist, ${group} ${faq}`,
    );
  }
  if ((ctx.config.brokerPermission & Perm.WRITE) === 0 || ctx.role.brokerRole === "SLAVE") {
    return refuse(
      ResponseCode.NO_PERMISSION,
      `the broker[${ctx.config.brokerIP1}] sending message is forbidden`,
    );
  }
  if (settings.retryQueueNums <= 0) return createResponse(request, ResponseCode.SUCCESS);

  const failed = ctx.store.lookMessageByOffset(physicalOffset);
  if (!failed) {
    return refuse(ResponseCode.SYSTEM_ERROR, `look message by offset failed, ${physicalOffset}`);
  }
  const maxReconsumeTimes = maxReconsumeAsked ?? settings.retryMaxTimes;
  const toDlq = failed.reconsumeTimes >= maxReconsumeTimes || delayLevelAsked < 0;
  const retryTopic = `${RETRY_GROUP_TOPIC_PREFIX}${group}`;
  const targetTopic = toDlq ? `${DLQ_GROUP_TOPIC_PREFIX}${group}` : retryTopic;
  const target = ctx.topics.createSystemTopic(targetTopic, toDlq ? 1 : settings.retryQueueNums);
  if ((target.perm & Perm.WRITE) === 0) {
    return refuse(
      ResponseCode.NO_PERMISSION,
      `the topic[${targetTopic}] sending message is forbidden`,
    );
  }
  const targetQueueId = toDlq ? 0 : ctx.nextRandom(settings.retryQueueNums);
  const delayLevel = toDlq
    ? 0
    : ctx.delayLevels.clamp(delayLevelAsked > 0 ? delayLevelAsked : 3 + failed.reconsumeTimes);
  const properties = sendBackProperties(failed.properties, {
    originTopic: failed.topic,
    originOffsetMsgId: createOffsetMessageId(failed.storeHost, failed.physicalOffset),
    delayLevel,
    retryTopic: targetTopic,
    retryQueueId: targetQueueId,
  });
  if (toDlq) {
    ctx.log.info(
      `group ${group}: message at ${physicalOffset} failed ${failed.reconsumeTimes + 1} times; ` +
        `moved to ${targetTopic}`,
    );
  }
  // RocketMQ stores the copy with WAIT=false (no flush wait). With every in-sync replica asked
  // for (allAckInSyncStateSet), rmq waits for them: the consumer moves past the original once
  // this is answered, so a copy only the master had would be lost with it.
  const waitReplicas = ctx.config.enableControllerMode && ctx.config.allAckInSyncStateSet;
  const copy: MessageInput = {
    topic: delayLevel > 0 ? SCHEDULE_TOPIC_XXXX : targetTopic,
    queueId: delayLevel > 0 ? delayLevel - 1 : targetQueueId,
    flag: failed.flag,
    sysFlag: failed.sysFlag,
    bornTimestamp: failed.bornTimestamp,
    bornHost: failed.bornHost,
    storeHost: ctx.storeHost,
    reconsumeTimes: failed.reconsumeTimes + 1,
    preparedTransactionOffset: 0,
    body: failed.body,
    properties,
  };
  // RocketMQ sets WAIT=false on the copy: no flush wait.
  const result = await putReplicated(ctx.replication, ctx.store, [copy], false, waitReplicas);
  if (result.status !== PutMessageStatus.PUT_OK) {
    return refuse(ResponseCode.SYSTEM_ERROR, result.remark ?? result.status);
  }
  return createResponse(request, ResponseCode.SUCCESS);
}
