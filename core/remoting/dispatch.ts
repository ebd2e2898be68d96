// Runs one request through a processor table and writes the answer, with RocketMQ's generic
// server behaviour (spec §1.6): unknown code -> REQUEST_CODE_NOT_SUPPORTED with the remark
// " request type <code> not supported"; a processor that throws -> SYSTEM_ERROR with the error
// text; oneway requests are never answered.

import type { Logger } from "../common/log.ts";
import { createResponse, isOneway, type RemotingCommand } from "../protocol/command.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import type { Channel } from "./channel.ts";
import type { ProcessorTable } from "./processor_table.ts";

export function unsupportedResponse(request: RemotingCommand): RemotingCommand {
  return createResponse(request, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, {
    remark: ` request type ${request.code} not supported`,
  });
}

/**
 * Answers in this turn when the processor does (a pull, most admin requests); only a processor
 * that returns a promise (a send) costs an async step, five objects per request.
 */
export function dispatchRequest(
  table: ProcessorTable,
  request: RemotingCommand,
  channel: Channel,
  log: Logger,
): void {
  const processor = table.lookup(request.code);
  if (!processor) {
    log.debug(`unsupported request code ${request.code} from ${channel.remoteAddress}`);
    answer(request, unsupportedResponse(request), channel);
    return;
  }
  let outcome: ReturnType<typeof processor>;
  try {
    outcome = processor(request, channel);
  } catch (error) {
    answer(request, failureResponse(request, channel, log, error), channel);
    return;
  }
  if (outcome instanceof Promise) void answerLater(request, outcome, channel, log);
  else answer(request, outcome, channel);
}

async function answerLater(
  request: RemotingCommand,
  outcome: Promise<RemotingCommand | null>,
  channel: Channel,
  log: Logger,
): Promise<void> {
  let response: RemotingCommand | null;
  try {
    response = await outcome;
  } catch (error) {
    response = failureResponse(request, channel, log, error);
  }
  answer(request, response, channel);
}

function failureResponse(
  request: RemotingCommand,
  channel: Channel,
  log: Logger,
  error: unknown,
): RemotingCommand {
  const summary = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  log.warn(`request code ${request.code} from ${channel.remoteAddress} failed: ${summary}`);
  return createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: summary });
}

function answer(request: RemotingCommand, response: RemotingCommand | null, channel: Channel) {
  if (response === null || isOneway(request)) return;
  // createResponse copies the opaque; a processor's own answer object may lack it.
  channel.send(
    response.opaque === request.opaque ? response : { ...response, opaque: request.opaque },
  );
}
