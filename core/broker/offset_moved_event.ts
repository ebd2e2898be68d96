// OFFSET_MOVED_EVENT (RocketMQ's OffsetMovedEvent): when a pull's offset is out of the queue's
// range and the broker moves it (PULL_OFFSET_MOVED), a message saying so goes to the system
// topic OFFSET_MOVED_EVENT, queue 0, tagged and keyed with the group, for monitoring tools
// that subscribe to it. Its body is the event as 4.9.7 writes it (fastjson, members in
// alphabetical order).

import { messageQueueJson } from "../protocol/message_queue_json.ts";
import type { BrokerContext } from "./context.ts";
import { TopicValidator } from "./topics.ts";

const encoder = new TextEncoder();

export interface OffsetMove {
  consumerGroup: string;
  topic: string;
  queueId: number;
  offsetRequest: number;
  offsetNew: number;
}

/** The event body: {"consumerGroup":..,"messageQueue":{..},"offsetNew":..,"offsetRequest":..}. */
export function offsetMovedEventJson(brokerName: string, move: OffsetMove): string {
  const queue = messageQueueJson({ brokerName, topic: move.topic, queueId: move.queueId });
  return (
    `{"consumerGroup":${JSON.stringify(move.consumerGroup)},"messageQueue":${queue},` +
    `"offsetNew":${move.offsetNew},"offsetRequest":${move.offsetRequest}}`
  );
}

/** Stores the event; a failure is logged and changes nothing about the pull's answer. */
export function recordOffsetMoved(ctx: BrokerContext, move: OffsetMove): void {
  const group = move.consumerGroup;
  ctx.store
    .put(
      {
        topic: TopicValidator.RMQ_SYS_OFFSET_MOVED_EVENT,
        queueId: 0,
        flag: 0,
        sysFlag: 0,
        bornTimestamp: ctx.clock.nowMs(),
        bornHost: ctx.storeHost,
        storeHost: ctx.storeHost,
        reconsumeTimes: 0,
        preparedTransactionOffset: 0,
        body: encoder.encode(offsetMovedEventJson(ctx.config.brokerName, move)),
        properties: `KEYS\u0001${group}\u0002TAGS\u0001${group}\u0002WAIT\u0001true`,
      },
      false,
    )
    .then(
      (result) => {
        if (result.status !== "PUT_OK") {
          ctx.log.warn(`offset moved event of ${group} not stored: ${result.status}`);
        }
      },
      (error) => ctx.log.warn(`offset moved event of ${group} not stored: ${error}`),
    );
}
