// Where a single send is really stored (spec §3.2.2 steps 6 and 9): a send to %RETRY%<group>
// past the group's retry limit, or while the group holds orderly queue locks, goes to
// %DLQ%<group> with DELAY=-1; a send with DELAY > 0 goes
// to SCHEDULE_TOPIC_XXXX queue level-1, its real topic and queue in REAL_TOPIC / REAL_QID, until
// the schedule service delivers it.

import { MessageConst, MessageSysFlag, transactionType } from "../common/message.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import type { SendMessageRequestHeader } from "../protocol/headers/send.ts";
import { SCHEDULE_TOPIC_XXXX } from "../store/dispatch.ts";
import type { BrokerContext } from "./context.ts";
import { delayedSendProperties } from "./restored_properties.ts";
import { storedProperties } from "./stored_properties.ts";
import { DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX } from "./topics.ts";

export interface SendTarget {
  topic: string;
  queueId: number;
  properties: string;
}

export type Diverted = SendTarget | { refuse: number; remark: string };

const faq = "\nSee http://rocketmq.apache.org/docs/faq/ for further details.";

/** The stored topic, queue and properties of a single (non-batch) send to `topic`/`queueId`. */
export function divertSend(
  ctx: BrokerContext,
  header: SendMessageRequestHeader,
  queueId: number,
  sent: Map<string, string>,
): Diverted {
  const cluster = ctx.config.brokerClusterName;
  let topic = header.topic;
  if (topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) {
    const group = topic.slice(RETRY_GROUP_TOPIC_PREFIX.length);
    const settings = ctx.subscriptions.findOrCreate(group);
    if (!settings) {
      return {
        refuse: ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST,
        remark: `subscription group not exist, ${group} ${faq}`,
      };
    }
    const max = header.maxReconsumeTimes ?? settings.retryMaxTimes;
    // An orderly group retries locally; what it sends to its retry topic is given up on.
    if (header.reconsumeTimes > max || ctx.queueLocks.groupHasUnexpiredLock(group)) {
      topic = `${DLQ_GROUP_TOPIC_PREFIX}${group}`;
      ctx.topics.createSystemTopic(topic, 1);
      sent.set(MessageConst.PROPERTY_DELAY_TIME_LEVEL, "-1");
      ctx.log.info(`send to ${header.topic} past ${max} retries goes to ${topic}`);
      return { topic, queueId: 0, properties: storedProperties(sent, cluster) };
    }
  }
  const level = parseInt(sent.get(MessageConst.PROPERTY_DELAY_TIME_LEVEL) ?? "", 10);
  const type = transactionType(header.sysFlag);
  const storedVisible =
    type === MessageSysFlag.TRANSACTION_NOT_TYPE || type === MessageSysFlag.TRANSACTION_COMMIT_TYPE;
  if (level > 0 && storedVisible) {
    const clamped = ctx.delayLevels.clamp(level);
    return {
      topic: SCHEDULE_TOPIC_XXXX,
      queueId: clamped - 1,
      properties: delayedSendProperties(sent, cluster, clamped, topic, queueId),
    };
  }
  return { topic, queueId, properties: storedProperties(sent, cluster) };
}
