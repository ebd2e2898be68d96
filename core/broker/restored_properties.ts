// The properties strings RocketMQ 4.9.7's broker writes when it diverts or re-stores a message:
// a delayed send moved to SCHEDULE_TOPIC_XXXX, and a consumer's send-back to %RETRY%<group> or
// %DLQ%<group> (spec §3.6, §6). Each is a java.util.HashMap written out after a known sequence
// of puts, so the key order follows java_hash_map_order.ts; the 4.9.7 stores in
// shared/fixtures hold the bytes these must equal.

import { javaHashMapCapacity, javaHashMapOrder } from "../common/java_hash_map_order.ts";
import { MessageConst, parseMessageProperties } from "../common/message.ts";
import { PROPERTY_TIMER_OUT_MS } from "../store/dispatch.ts";

const CLUSTER = "CLUSTER";

/** Writes a map built by a known sequence of puts; `largestSize` sizes its table. */
function writeJavaMap(map: Map<string, string>, largestSize: number): string {
  let out = "";
  for (const name of javaHashMapOrder([...map.keys()], javaHashMapCapacity(largestSize))) {
    out += (out === "" ? "" : "\u0002") + name + "\u0001" + map.get(name)!;
  }
  return out;
}

/** Tracks the largest size a map reaches while puts go in (a HashMap never shrinks). */
class PutSequence {
  largestSize: number;
  constructor(readonly map: Map<string, string>) {
    this.largestSize = map.size;
  }
  put(name: string, value: string): void {
    this.map.set(name, value);
    this.largestSize = Math.max(this.largestSize, this.map.size);
  }
  /** remove + put: the key moves to the end of its bucket. */
  moveToEnd(name: string): void {
    const value = this.map.get(name);
    if (value === undefined) return;
    this.map.delete(name);
    this.map.set(name, value);
  }
  write(): string {
    return writeJavaMap(this.map, this.largestSize);
  }

  /** REAL_TOPIC / REAL_QID: where a parked message goes when released. */
  putDestination(realTopic: string, realQueueId: number): void {
    this.put(MessageConst.PROPERTY_REAL_TOPIC, realTopic);
    this.put(MessageConst.PROPERTY_REAL_QUEUE_ID, String(realQueueId));
  }
}

/**
 * The puts every send the broker parks starts with: the sent properties, CLUSTER, and WAIT
 * removed for the first write-out and put back (so it moves to the end of its bucket).
 */
function parkedSend(sent: ReadonlyMap<string, string>, clusterName: string): PutSequence {
  const puts = new PutSequence(new Map(sent));
  puts.put(CLUSTER, clusterName);
  puts.moveToEnd(MessageConst.PROPERTY_WAIT_STORE_MSG_OK);
  return puts;
}

/**
 * A send with DELAY > 0, as stored in SCHEDULE_TOPIC_XXXX: the sent properties with CLUSTER,
 * WAIT kept (the broker removes it for the first write-out and puts it back), DELAY clamped to
 * the last level, and REAL_TOPIC / REAL_QID naming where it goes when due.
 */
export function delayedSendProperties(
  sent: ReadonlyMap<string, string>,
  clusterName: string,
  level: number,
  realTopic: string,
  realQueueId: number,
): string {
  const puts = parkedSend(sent, clusterName);
  puts.put(MessageConst.PROPERTY_DELAY_TIME_LEVEL, String(level));
  puts.putDestination(realTopic, realQueueId);
  return puts.write();
}

/**
 * A send for an arbitrary time, as stored in the timer topic (RocketMQ 5's transform, order
 * not checked against bytes: no 5.x store is in the fixtures): the delayed-send puts, with
 * TIMER_OUT_MS holding when it is due.
 */
export function timerSendProperties(
  sent: ReadonlyMap<string, string>,
  clusterName: string,
  realTopic: string,
  realQueueId: number,
  dueMs: number,
): string {
  const puts = parkedSend(sent, clusterName);
  puts.putDestination(realTopic, realQueueId);
  puts.put(PROPERTY_TIMER_OUT_MS, String(dueMs));
  return puts.write();
}

/**
 * A transactional send as stored in RMQ_SYS_TRANS_HALF_TOPIC (spec §7.2; RocketMQ 4.9.7 adds no
 * __transactionId__ key, the fixture bytes show): the sent properties with CLUSTER, WAIT kept,
 * and REAL_TOPIC / REAL_QID naming where a commit puts it.
 */
export function halfMessageProperties(
  sent: ReadonlyMap<string, string>,
  clusterName: string,
  realTopic: string,
  realQueueId: number,
): string {
  const puts = parkedSend(sent, clusterName);
  puts.putDestination(realTopic, realQueueId);
  return puts.write();
}

export const PROPERTY_TRANSACTION_CHECK_TIMES = "TRANSACTION_CHECK_TIMES";

/** A half message re-put by a check-back: its properties with TRANSACTION_CHECK_TIMES set. */
export function checkedHalfProperties(stored: string, checkTimes: number): string {
  const puts = new PutSequence(parseMessageProperties(stored));
  puts.put(PROPERTY_TRANSACTION_CHECK_TIMES, String(checkTimes));
  return puts.write();
}

export interface SendBackTarget {
  /** The failed message's topic, kept in RETRY_TOPIC unless it is already there. */
  originTopic: string;
  /** Its offset message id, kept in ORIGIN_MESSAGE_ID unless one is already there. */
  originOffsetMsgId: string;
  /** > 0: through SCHEDULE_TOPIC_XXXX to %RETRY%<group>; 0: straight to the DLQ. */
  delayLevel: number;
  /** The retry topic and queue a delayed copy is due in (delayLevel > 0). */
  retryTopic: string;
  retryQueueId: number;
}

/** The properties of a consumer's failed message as CONSUMER_SEND_MSG_BACK re-stores it. */
export function sendBackProperties(stored: string, target: SendBackTarget): string {
  const puts = new PutSequence(parseMessageProperties(stored));
  if (!puts.map.has(MessageConst.PROPERTY_RETRY_TOPIC)) {
    puts.put(MessageConst.PROPERTY_RETRY_TOPIC, target.originTopic);
  }
  puts.put(MessageConst.PROPERTY_WAIT_STORE_MSG_OK, "false");
  puts.put(MessageConst.PROPERTY_DELAY_TIME_LEVEL, String(target.delayLevel));
  if (!puts.map.get(MessageConst.PROPERTY_ORIGIN_MESSAGE_ID)) {
    puts.put(MessageConst.PROPERTY_ORIGIN_MESSAGE_ID, target.originOffsetMsgId);
  }
  if (target.delayLevel > 0) puts.putDestination(target.retryTopic, target.retryQueueId);
  return puts.write();
}
