// The properties string a producer sends with a message (spec §4.2): KEYS, the caller's own,
// UNIQ_KEY, WAIT, TAGS, then delay, timer and transaction markers, each name\u0001value\u0002.
// A name the caller also gave keeps the caller's position and takes the producer's value, as
// the Java client's map does.

import { formatMessageProperties, MessageConst } from "../common/message.ts";
import type { OutgoingMessage } from "./producer.ts";

export function sendProperties(message: OutgoingMessage, uniqKey: string, group: string): string {
  const plain =
    message.delayLevel === undefined &&
    message.deliverAtMs === undefined &&
    message.deliverAfterMs === undefined &&
    !message.transactional;
  if (plain && (message.properties === undefined || isEmpty(message.properties))) {
    // The common send: no caller names, so none can repeat; built directly (no map per
    // message), in the order the map below gives, and joined once (+ makes a string a piece).
    if (message.keys && message.keys.length > 0) {
      pieces.push(keysHead, message.keys.join(MessageConst.KEY_SEPARATOR), "\u0002");
    }
    pieces.push(uniqKeyHead, uniqKey, "\u0002", waitTrue);
    if (message.tags) pieces.push(tagsHead, message.tags, "\u0002");
    const out = pieces.join("");
    pieces.length = 0;
    return out;
  }
  const props = new Map<string, string>();
  if (message.keys && message.keys.length > 0)
    props.set(MessageConst.PROPERTY_KEYS, message.keys.join(" "));
  for (const [k, v] of Object.entries(message.properties ?? {})) props.set(k, v);
  props.set(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, uniqKey);
  props.set(MessageConst.PROPERTY_WAIT_STORE_MSG_OK, "true");
  if (message.tags) props.set(MessageConst.PROPERTY_TAGS, message.tags);
  if (message.delayLevel !== undefined && message.delayLevel > 0)
    props.set(MessageConst.PROPERTY_DELAY_TIME_LEVEL, String(message.delayLevel));
  if (message.deliverAtMs !== undefined) props.set("TIMER_DELIVER_MS", String(message.deliverAtMs));
  if (message.deliverAfterMs !== undefined)
    props.set("TIMER_DELAY_MS", String(message.deliverAfterMs));
  if (message.transactional) {
    props.set(MessageConst.PROPERTY_TRANSACTION_PREPARED, "true");
    props.set(MessageConst.PROPERTY_PRODUCER_GROUP, group);
  }
  return formatMessageProperties(props);
}

/** The common send's string in pieces (name\u0001, value, \u0002 ...), emptied after each. */
const pieces: string[] = [];
const keysHead = `${MessageConst.PROPERTY_KEYS}\u0001`;
const uniqKeyHead = `${MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX}\u0001`;
const waitTrue = `${MessageConst.PROPERTY_WAIT_STORE_MSG_OK}\u0001true\u0002`;
const tagsHead = `${MessageConst.PROPERTY_TAGS}\u0001`;

function isEmpty(record: Record<string, string>): boolean {
  for (const _ in record) return false;
  return true;
}
