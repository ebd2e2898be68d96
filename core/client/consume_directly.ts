// CONSUME_MESSAGE_DIRECTLY (mqadmin consumeMessage, the dashboard's "resend to this client"),
// passed on by the broker with the stored record as the body: the push consumer hands that one
// message to its handler, outside its queues (no offset moves, nothing is sent back), and
// answers 4.9.7's ConsumeMessageDirectlyResult: CR_SUCCESS, or CR_THROW_EXCEPTION with why.

import { MessageConst, RETRY_GROUP_TOPIC_PREFIX } from "../common/message.ts";
import { createResponse, type RemotingCommand } from "../protocol/command.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import type { ConsumerOptions } from "./consumer_options.ts";
import { decodePulledMessages } from "./received_message.ts";

export async function consumeDirectly(
  request: RemotingCommand,
  options: ConsumerOptions,
): Promise<RemotingCommand> {
  const group = request.extFields?.get("consumerGroup");
  if (group !== options.group) {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, {
      remark: `The Consumer Group <${group}> not exist in this consumer`,
    });
  }
  const problems: string[] = [];
  const [message] = decodePulledMessages(request.body ?? new Uint8Array(), (problem) =>
    problems.push(problem),
  ).messages;
  if (!message) {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, {
      remark: `the message does not decode: ${problems.join("; ") || "no record"}`,
    });
  }
  // As the Java client's resetRetryAndNamespace: a retried message shows its own topic.
  const retryTopic = message.properties.get(MessageConst.PROPERTY_RETRY_TOPIC);
  if (retryTopic && message.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX)) message.topic = retryTopic;
  const startedMs = options.clock.nowMs();
  let result = "CR_SUCCESS";
  let remark: string | undefined;
  try {
    await options.handler(message);
  } catch (error) {
    result = "CR_THROW_EXCEPTION";
    remark = String((error as Error)?.message ?? error);
    options.log.warn(`consumeMessageDirectly of ${message.msgId}: the handler threw: ${remark}`);
  }
  const spentMs = options.clock.nowMs() - startedMs;
  const body =
    `{"autoCommit":true,"consumeResult":"${result}","order":${options.orderly === true},` +
    (remark === undefined ? "" : `"remark":${JSON.stringify(remark)},`) +
    `"spentTimeMills":${spentMs}}`;
  return createResponse(request, ResponseCode.SUCCESS, { body: new TextEncoder().encode(body) });
}
