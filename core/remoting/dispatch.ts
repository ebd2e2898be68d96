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

export async function dispatchRequest(
  table: ProcessorTable,
  request: RemotingCommand,
  channel: Channel,
  log: Logger,
): Promise<void> {
  const processor = table.lookup(request.code);
  let response: RemotingCommand | null;
  if (!processor) {
    log.debug(`unsupported request code ${request.code} from ${channel.remoteAddress}`);
    response = unsupportedResponse(request);
  } else {
    try {
      response = await processor(request, channel);
    } catch (error) {
      const summary = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      log.warn(`request code ${request.code} from ${channel.remoteAddress} failed: ${summary}`);
      response = createResponse(request, ResponseCode.SYSTEM_ERROR, { remark: summary });
    }
  }
  if (response === null || isOneway(request)) return;
  // createResponse copies the opaque; a processor's own answer object may lack it.
  channel.send(
    response.opaque === request.opaque ? response : { ...response, opaque: request.opaque },
  );
}
