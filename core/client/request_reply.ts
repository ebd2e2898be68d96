// RocketMQ's request-reply (4.6+), the message side: a request carries CORRELATION_ID,
// REPLY_TO_CLIENT (the requester's client id) and TTL; a reply to it goes to the cluster's
// reply topic (<cluster>_REPLY_TOPIC, the cluster from the stored request's CLUSTER property)
// with the same correlation id and MSG_TYPE=reply, which makes the producer send it as
// SEND_REPLY_MESSAGE_V2 and the broker push it to the requester (Requester, requester.ts).

import { MessageConst } from "../common/message.ts";
import type { OutgoingMessage } from "./producer.ts";
import type { ReceivedMessage } from "./received_message.ts";

export const MSG_TYPE = "MSG_TYPE";
export const TTL = "TTL";
const CLUSTER = "CLUSTER";

/** Whether the producer should send `message` as a reply (SEND_REPLY_MESSAGE_V2). */
export function isReplyMessage(message: OutgoingMessage): boolean {
  return message.properties?.[MSG_TYPE] === "reply";
}

/**
 * The reply to a request message a consumer received, with `body`. Throws when `request` is
 * not a request (no correlation id, requester or cluster: a plain message has nobody to answer).
 */
export function replyTo(request: ReceivedMessage, body: Uint8Array): OutgoingMessage {
  const correlationId = request.properties.get(MessageConst.PROPERTY_CORRELATION_ID);
  const requester = request.properties.get(MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT);
  const cluster = request.properties.get(CLUSTER);
  if (!correlationId || !requester || !cluster) {
    throw new Error(`message ${request.msgId} is not a request: nobody waits for a reply to it`);
  }
  const properties: Record<string, string> = {
    [MessageConst.PROPERTY_CORRELATION_ID]: correlationId,
    [MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT]: requester,
    [MSG_TYPE]: "reply",
  };
  const ttl = request.properties.get(TTL);
  if (ttl !== undefined) properties[TTL] = ttl;
  return { topic: `${cluster}_REPLY_TOPIC`, body, properties };
}
