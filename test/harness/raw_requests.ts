// Requests as a client would send them, for tests that drive a broker with raw frames.

import { createRequest, type RemotingCommand } from "../../core/protocol/command.ts";
import {
  encodePullMessageRequest,
  type PullMessageRequestHeader,
} from "../../core/protocol/headers/pull.ts";
import {
  encodeSendMessageRequestV2,
  type SendMessageRequestHeader,
} from "../../core/protocol/headers/send.ts";
import { RequestCode } from "../../core/protocol/request_code.ts";

/** PULL_MESSAGE of one queue: not held, no flags, all tags, unless `fields` says otherwise. */
export function pullRequest(
  fields: Pick<PullMessageRequestHeader, "consumerGroup" | "topic" | "queueId"> &
    Partial<PullMessageRequestHeader>,
): RemotingCommand {
  return createRequest(RequestCode.PULL_MESSAGE, {
    extFields: encodePullMessageRequest({
      queueOffset: 0,
      maxMsgNums: 32,
      sysFlag: 0,
      commitOffset: 0,
      suspendTimeoutMillis: 0,
      subscription: "*",
      subVersion: 0,
      expressionType: "TAG",
      maxMsgBytes: undefined,
      ...fields,
    }),
  });
}

/**
 * SEND_MESSAGE_V2 of `body` to `topic` (SEND_BATCH_MESSAGE when `fields.batch`): queue 0, WAIT,
 * no flags, unless `fields` says otherwise.
 */
export function sendRequest(
  topic: string,
  body: Uint8Array,
  fields: Partial<SendMessageRequestHeader> = {},
): RemotingCommand {
  const header: SendMessageRequestHeader = {
    producerGroup: "raw_producer",
    topic,
    defaultTopic: "TBW102",
    defaultTopicQueueNums: 4,
    queueId: 0,
    sysFlag: 0,
    bornTimestamp: Date.now(),
    flag: 0,
    properties: "WAIT\u0001true",
    reconsumeTimes: 0,
    unitMode: false,
    maxReconsumeTimes: undefined,
    batch: false,
    brokerName: undefined,
    ...fields,
  };
  const code = header.batch ? RequestCode.SEND_BATCH_MESSAGE : RequestCode.SEND_MESSAGE_V2;
  return createRequest(code, { extFields: encodeSendMessageRequestV2(header), body });
}
