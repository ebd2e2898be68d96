// A MessageQueue as the Java side writes it (fastjson, members in alphabetical order):
// {"brokerName":..,"queueId":..,"topic":..}. Lock bodies list them; stats tables use them as
// map keys (spec §1.9); an OffsetMovedEvent carries one.

import { writeJson } from "./fastjson.ts";

export interface MessageQueueData {
  topic: string;
  brokerName: string;
  queueId: number;
}

/** The queue's members in the order fastjson writes them. */
export function messageQueueFields(q: MessageQueueData) {
  return { brokerName: q.brokerName, queueId: q.queueId, topic: q.topic };
}

export function messageQueueJson(q: MessageQueueData): string {
  return writeJson(messageQueueFields(q), { quoteNumericKeys: true });
}
