// Where a single send is really stored (spec §3.2.2 steps 6 and 9): a send to %RETRY%<group>
// past the group's retry limit, or while the group holds orderly queue locks, goes to
// %DLQ%<group> with DELAY=-1; a send with DELAY > 0 goes
// to SCHEDULE_TOPIC_XXXX queue level-1, its real topic and queue in REAL_TOPIC / REAL_QID, until
// the schedule service delivers it; a send for a time (TIMER_DELIVER_MS, TIMER_DELAY_SEC,
// TIMER_DELAY_MS, or ONS' __STARTDELIVERTIME) waits in the timer topic for the timer service.

import { javaBoolean } from "../common/java_boolean.ts";
import { MessageConst, MessageSysFlag, takesQueueOffset } from "../common/message.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import type { SendMessageRequestHeader } from "../protocol/headers/send.ts";
import { SCHEDULE_TOPIC_XXXX, TIMER_TOPIC } from "../store/dispatch.ts";
import type { BrokerContext } from "./context.ts";
import {
  delayedSendProperties,
  halfMessageProperties,
  timerSendProperties,
} from "./restored_properties.ts";
import { TransactionTopics } from "./transaction_ops.ts";
import { storedProperties } from "./stored_properties.ts";
import { DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX } from "./topics.ts";

export interface SendTarget {
  topic: string;
  queueId: number;
  properties: string;
  /** Set when the stored sysFlag differs from the sent one (half messages). */
  sysFlag?: number;
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
    // RocketMQ 4.9.7's rule. A Java orderly consumer sends here once a message failed max
    // times (reconsumeTimes = max); a concurrent one, when its send-back failed, with one more.
    if (header.reconsumeTimes >= max) {
      topic = `${DLQ_GROUP_TOPIC_PREFIX}${group}`;
      ctx.topics.createSystemTopic(topic, 1);
      sent.set(MessageConst.PROPERTY_DELAY_TIME_LEVEL, "-1");
      ctx.log.info(`send to ${header.topic} past ${max} retries goes to ${topic}`);
      return { topic, queueId: 0, properties: storedProperties(sent, cluster) };
    }
  }
  const level = parseInt(sent.get(MessageConst.PROPERTY_DELAY_TIME_LEVEL) ?? "", 10);
  if (javaBoolean(sent.get(MessageConst.PROPERTY_TRANSACTION_PREPARED))) {
    if (ctx.config.rejectTransactionMessage) {
      return {
        refuse: ResponseCode.NO_PERMISSION,
        remark: `the broker[${ctx.config.brokerIP1}] sending transaction message is forbidden`,
      };
    }
    // A half message (spec §7.2): invisible (nobody subscribes to the half topic) until
    // END_TRANSACTION commits it; stored as NOT_TYPE so it gets a consume-queue unit. The
    // system topics get their configs (and routes) on first use, as RocketMQ's bridge does.
    ctx.topics.createSystemTopic(TransactionTopics.HALF, 1);
    ctx.topics.createSystemTopic(TransactionTopics.OP, 1);
    return {
      topic: TransactionTopics.HALF,
      queueId: 0,
      properties: halfMessageProperties(sent, cluster, topic, queueId),
      sysFlag: header.sysFlag & ~MessageSysFlag.TRANSACTION_ROLLBACK_TYPE,
    };
  }
  const storedVisible = takesQueueOffset(header.sysFlag);
  const timer = storedVisible ? timerDueMs(ctx, sent) : undefined;
  if (timer !== undefined && "refuse" in timer) return timer;
  if (timer !== undefined) {
    return {
      topic: TIMER_TOPIC,
      queueId: 0,
      properties: timerSendProperties(sent, cluster, topic, queueId, timer.dueMs),
    };
  }
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

/** Properties that ask for delivery at a time: RocketMQ 5's, and ONS / ali-ons' start time. */
const TIMER_DELIVER_MS = "TIMER_DELIVER_MS";
const TIMER_DELAY_SEC = "TIMER_DELAY_SEC";
const TIMER_DELAY_MS = "TIMER_DELAY_MS";
const START_DELIVER_TIME = "__STARTDELIVERTIME";

/**
 * When a timer message is due (rounded down to timerPrecisionMs), undefined if the send is not
 * one or is due already (then it is stored as it is), or a refusal past timerMaxDelaySec.
 */
function timerDueMs(
  ctx: BrokerContext,
  sent: Map<string, string>,
): { dueMs: number } | { refuse: number; remark: string } | undefined {
  if (!ctx.config.timerWheelEnable) return undefined;
  const nowMs = ctx.clock.nowMs();
  let dueMs: number | undefined;
  const at = numberProperty(sent, TIMER_DELIVER_MS) ?? numberProperty(sent, START_DELIVER_TIME);
  const afterSec = numberProperty(sent, TIMER_DELAY_SEC);
  const afterMs = numberProperty(sent, TIMER_DELAY_MS);
  if (at !== undefined) dueMs = at;
  else if (afterSec !== undefined) dueMs = nowMs + afterSec * 1000;
  else if (afterMs !== undefined) dueMs = nowMs + afterMs;
  if (dueMs === undefined) return undefined;
  if (!Number.isSafeInteger(dueMs)) {
    return { refuse: ResponseCode.MESSAGE_ILLEGAL, remark: "timer message: bad delivery time" };
  }
  const precisionMs = ctx.config.timerPrecisionMs;
  dueMs = Math.floor(dueMs / precisionMs) * precisionMs;
  if (dueMs <= nowMs) return undefined;
  if (dueMs - nowMs > ctx.config.timerMaxDelaySec * 1000) {
    return {
      refuse: ResponseCode.MESSAGE_ILLEGAL,
      remark: `timer message: delivery more than ${ctx.config.timerMaxDelaySec} s ahead`,
    };
  }
  return { dueMs };
}

// A plain function, not a closure per send: every send asks for these four.
function numberProperty(sent: Map<string, string>, name: string): number | undefined {
  const text = sent.get(name);
  return text === undefined ? undefined : Number(text);
}
