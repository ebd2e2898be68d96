// CONSUMER_SEND_MSG_BACK (spec §3.5): a push consumer hands a message its handler failed back
// to the broker that stores it. The broker stores a copy in %RETRY%<group> with the next delay
// level (delayLevel 0: the broker picks it from the reconsume count), or in %DLQ%<group> for
// delayLevel -1 or once maxReconsumeTimes is used up. The consumer's queue then moves past
// the message; on a refusal or a lost answer it must offer the message again itself.

import type { Logger } from "../common/log.ts";
import { DLQ_GROUP_TOPIC_PREFIX } from "../common/message.ts";
import { createRequest } from "../protocol/command.ts";
import { RequestCode } from "../protocol/request_code.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import type { RemotingClient } from "../remoting/client.ts";
import type { ReceivedMessage } from "./received_message.ts";
import { RouteCache, type MessageQueue } from "./route_cache.ts";

export interface SendBack {
  /** The queue the message was pulled from: its broker stores the message. */
  queue: MessageQueue;
  message: ReceivedMessage;
  /** Where the message is stored (a retried message's own copy, not the original). */
  commitLogOffset: number;
  delayLevel: number;
  group: string;
  maxReconsumeTimes: number;
}

/** Sends `back` to the broker holding the message; true when that broker took it. */
export async function sendMessageBack(
  remoting: RemotingClient,
  routes: RouteCache,
  log: Logger,
  back: SendBack,
): Promise<boolean> {
  const found = await routes.get(back.queue.topic, false).catch(() => undefined);
  const addr = found && RouteCache.anyAddr(found.route, back.queue.brokerName);
  if (!addr) return false;
  const request = createRequest(RequestCode.CONSUMER_SEND_MSG_BACK, {
    extFields: {
      offset: back.commitLogOffset,
      group: back.group,
      delayLevel: back.delayLevel,
      originMsgId: back.message.msgId,
      originTopic: back.message.topic,
      unitMode: false,
      maxReconsumeTimes: back.maxReconsumeTimes,
    },
  });
  try {
    const answer = await remoting.invoke(addr, request);
    if (answer.code === ResponseCode.SUCCESS) return true;
    log.warn(`send-back answered ${answer.code} ${answer.remark ?? ""}`);
  } catch (error) {
    log.warn(`send-back to ${addr} failed: ${(error as Error).message}`);
  }
  return false;
}

/** Where a send-back (delay level 0) the broker took puts the message, for a log line. */
export function sentBackTo(reconsumeTimes: number, maxReconsumeTimes: number, group: string) {
  // The broker's rule: a message already retried maxReconsumeTimes goes to the group's DLQ.
  if (reconsumeTimes >= maxReconsumeTimes)
    return `goes to ${DLQ_GROUP_TOPIC_PREFIX}${group} after ${reconsumeTimes} retries`;
  return `goes back for retry ${reconsumeTimes + 1}`;
}
