// LOCK_BATCH_MQ / UNLOCK_BATCH_MQ bodies (spec §3.8): JSON with the client id, the group and a
// set of message queues; the lock answer lists the queues now held. Read leniently (fastjson,
// Go and ali-ons writers), written as Java writes them.

import { ProtocolError } from "../common/errors.ts";
import { parseLenientJson, writeJson, type JsonValue } from "./fastjson.ts";
import { asObject, intOf, stringOf } from "./topic_config.ts";
import { messageQueueFields, type MessageQueueData } from "./message_queue_json.ts";

export interface LockBatchRequest {
  consumerGroup: string;
  clientId: string;
  mqSet: MessageQueueData[];
  onlyThisBroker: boolean;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function queuesOf(value: JsonValue | undefined, what: string): MessageQueueData[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ProtocolError(`${what} is not an array`);
  return value.map((item) => {
    const o = asObject(item, "messageQueue");
    return {
      topic: stringOf(o.topic, "topic"),
      brokerName: stringOf(o.brokerName, "brokerName"),
      queueId: intOf(o.queueId, "queueId"),
    };
  });
}

export function decodeLockBatchRequest(body: Uint8Array | null): LockBatchRequest {
  if (!body) throw new ProtocolError("lock request without a body");
  const root = asObject(parseLenientJson(decoder.decode(body)), "LockBatchRequestBody");
  return {
    consumerGroup: stringOf(root.consumerGroup, "consumerGroup"),
    clientId: stringOf(root.clientId, "clientId"),
    mqSet: queuesOf(root.mqSet, "mqSet"),
    onlyThisBroker: root.onlyThisBroker === true,
  };
}

export function encodeLockBatchRequest(request: LockBatchRequest): Uint8Array {
  return encoder.encode(
    writeJson(
      {
        clientId: request.clientId,
        consumerGroup: request.consumerGroup,
        mqSet: request.mqSet.map(messageQueueFields),
        onlyThisBroker: request.onlyThisBroker,
      },
      { quoteNumericKeys: true },
    ),
  );
}

export function encodeLockBatchResponse(locked: MessageQueueData[]): Uint8Array {
  return encoder.encode(
    writeJson({ lockOKMQSet: locked.map(messageQueueFields) }, { quoteNumericKeys: true }),
  );
}

export function decodeLockBatchResponse(body: Uint8Array | null): MessageQueueData[] {
  if (!body) return [];
  const root = asObject(parseLenientJson(decoder.decode(body)), "LockBatchResponseBody");
  return queuesOf(root.lockOKMQSet, "lockOKMQSet");
}
