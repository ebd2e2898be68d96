// Puts dead letters back (spec §6.2): a message in %DLQ%<group> failed every retry; once the
// cause is fixed, it is sent again to the topic it came from (its RETRY_TOPIC property), with
// its body, tags, keys and user properties, and ORIGIN_MESSAGE_ID naming the dead letter.
// Progress is a consumer offset of the group rmq-dlq-resend-<group> on the DLQ, committed after
// each batch, so a second run resends only letters that arrived since. One message can be
// resent by its msgId instead (no offset moves).

import type { Clock } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import { DLQ_GROUP_TOPIC_PREFIX, MessageConst } from "../common/message.ts";
import { Admin } from "./admin.ts";
import type { Producer, SendResult } from "./producer.ts";
import { PullConsumer } from "./pull_consumer.ts";
import type { ReceivedMessage } from "./received_message.ts";

/** Properties the broker or the producer sets anew; a resent message does not carry them. */
const systemProperties = new Set([
  MessageConst.PROPERTY_KEYS,
  MessageConst.PROPERTY_TAGS,
  MessageConst.PROPERTY_WAIT_STORE_MSG_OK,
  MessageConst.PROPERTY_DELAY_TIME_LEVEL,
  MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
  MessageConst.PROPERTY_RETRY_TOPIC,
  MessageConst.PROPERTY_REAL_TOPIC,
  MessageConst.PROPERTY_REAL_QUEUE_ID,
  MessageConst.PROPERTY_ORIGIN_MESSAGE_ID,
  "CLUSTER",
  "MSG_REGION",
  "TRACE_ON",
  "RECONSUME_TIME",
  "MAX_RECONSUME_TIMES",
]);

export interface ResentLetter {
  deadLetter: ReceivedMessage;
  topic: string;
  result: SendResult;
}

export interface DlqResendOptions {
  group: string;
  namesrvAddrs: string[];
  clock: Clock;
  log: Logger;
  producer: Producer;
  /** Resend only this one (its msgId or offsetMsgId); offsets stay where they are. */
  msgId?: string;
  /** Called for each letter resent, and for each that could not be (with the reason). */
  onResent?: (letter: ResentLetter) => void;
  onSkipped?: (deadLetter: ReceivedMessage, reason: string) => void;
}

const batchSize = 32;

/** Resends dead letters of a group; returns how many were resent. */
export async function resendDeadLetters(options: DlqResendOptions): Promise<number> {
  const dlqTopic = `${DLQ_GROUP_TOPIC_PREFIX}${options.group}`;
  const progressGroup = `rmq-dlq-resend-${options.group}`;
  const pull = new PullConsumer({ ...options, group: progressGroup });
  const admin = Admin.connect(options.namesrvAddrs, options.clock, options.log);
  let resent = 0;
  try {
    const progress = await admin.groupProgress(progressGroup, dlqTopic);
    for (const queue of await pull.queues(dlqTopic)) {
      const known = progress.find(
        (p) => p.brokerName === queue.brokerName && p.queueId === queue.queueId,
      );
      let offset = options.msgId ? (known?.minOffset ?? 0) : (known?.consumerOffset ?? 0);
      for (;;) {
        const batch = await pull.pull(queue, offset, batchSize);
        if (batch.status === "OFFSET_ILLEGAL") {
          offset = batch.nextBeginOffset;
          continue;
        }
        if (batch.status !== "FOUND") break;
        for (const letter of batch.messages) {
          if (
            options.msgId &&
            letter.msgId !== options.msgId &&
            letter.offsetMsgId !== options.msgId
          )
            continue;
          if (await resendOne(options, letter)) resent++;
        }
        offset = batch.nextBeginOffset;
        if (!options.msgId) await pull.commit(queue, offset);
      }
    }
  } finally {
    pull.close();
    admin.close();
  }
  return resent;
}

async function resendOne(options: DlqResendOptions, letter: ReceivedMessage): Promise<boolean> {
  const topic = letter.properties.get(MessageConst.PROPERTY_RETRY_TOPIC);
  if (!topic) {
    options.onSkipped?.(letter, "no RETRY_TOPIC property: the original topic is unknown");
    return false;
  }
  const properties: Record<string, string> = {};
  for (const [name, value] of letter.properties) {
    if (!systemProperties.has(name)) properties[name] = value;
  }
  properties[MessageConst.PROPERTY_ORIGIN_MESSAGE_ID] = letter.msgId;
  const result = await options.producer.send({
    topic,
    body: letter.body,
    tags: letter.tags,
    keys: letter.keys,
    properties,
  });
  options.onResent?.({ deadLetter: letter, topic, result });
  return true;
}
