// Requests as a client would send them, for tests that drive a broker with raw frames.

import { createRequest, type RemotingCommand } from "../../core/protocol/command.ts";
import {
  encodePullMessageRequest,
  type PullMessageRequestHeader,
} from "../../core/protocol/headers/pull.ts";
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
