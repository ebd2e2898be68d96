// The body of an offset reset (mqadmin resetOffsetByTime): INVOKE_BROKER_TO_RESET_OFFSET's answer
// and the RESET_CONSUMER_CLIENT_OFFSET a broker sends each member of the group. RocketMQ's
// ResetOffsetBody is a map keyed by MessageQueue, written by fastjson with the queue's JSON
// object as the key: {"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:5}}. A C++
// client asked for ResetOffsetBodyForC instead: a list of {brokerName, offset, queueId, topic}.

import { ProtocolError } from "../common/errors.ts";
import { parseLenientJson, type JsonValue } from "./fastjson.ts";
import {
  messageQueueFields,
  messageQueueJson,
  type MessageQueueData,
} from "./message_queue_json.ts";

export interface QueueOffset {
  queue: MessageQueueData;
  /** The queue offset the group goes on from. */
  offset: number;
}

export function encodeResetOffsetBody(entries: readonly QueueOffset[]): string {
  const table = entries.map((e) => `${messageQueueJson(e.queue)}:${e.offset}`);
  return `{"offsetTable":{${table.join(",")}}}`;
}

/** ResetOffsetBodyForC, for a client whose language is CPP. */
export function encodeResetOffsetBodyForC(entries: readonly QueueOffset[]): string {
  const list = entries.map(({ queue, offset }) => {
    const { brokerName, queueId, topic } = messageQueueFields(queue);
    return { brokerName, offset, queueId, topic };
  });
  return JSON.stringify({ offsetTable: list });
}

/** Throws ProtocolError on anything but a ResetOffsetBody (an empty table is one). */
export function decodeResetOffsetBody(text: string): QueueOffset[] {
  const root = parseLenientJson(text);
  const table = isObject(root) ? root.offsetTable : undefined;
  if (table === undefined || table === null) return [];
  if (!isObject(table)) throw new ProtocolError("ResetOffsetBody: offsetTable is not a map");
  const entries: QueueOffset[] = [];
  for (const [key, offset] of Object.entries(table)) {
    // parseLenientJson gives an object key back as its JSON text.
    const queue = parseLenientJson(key);
    const valid =
      isObject(queue) &&
      typeof queue.topic === "string" &&
      typeof queue.brokerName === "string" &&
      Number.isInteger(queue.queueId) &&
      Number.isSafeInteger(offset) &&
      (offset as number) >= 0;
    if (!valid) throw new ProtocolError(`ResetOffsetBody: bad entry ${key}:${String(offset)}`);
    const { topic, brokerName, queueId } = queue as { [k: string]: JsonValue };
    entries.push({
      queue: {
        topic: topic as string,
        brokerName: brokerName as string,
        queueId: queueId as number,
      },
      offset: offset as number,
    });
  }
  return entries;
}

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
