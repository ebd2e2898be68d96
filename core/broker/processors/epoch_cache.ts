// GET_BROKER_EPOCH_CACHE (1007, what `mqadmin getBrokerEpoch` sends): a broker in controller
// mode answers with its epoch file as RocketMQ's EpochEntryCache (fastjson's member order):
// {"brokerId":..,"brokerName":..,"clusterName":..,"epochList":[{"endOffset":..,"epoch":..,
// "startOffset":..}],"maxOffset":..}; the last entry ends at the log's end. Other brokers
// answer SYSTEM_ERROR, as RocketMQ's do.

import { createResponse, type RemotingCommand } from "../../protocol/command.ts";
import { ResponseCode } from "../../protocol/response_code.ts";
import type { BrokerContext } from "../context.ts";

export function processEpochCache(ctx: BrokerContext, request: RemotingCommand): RemotingCommand {
  const entries = ctx.epochEntries();
  if (!entries) {
    return createResponse(request, ResponseCode.SYSTEM_ERROR, {
      remark: "this broker is not in controller mode",
    });
  }
  const maxOffset = ctx.store.commitLog.writePosition;
  const epochList = entries.map((e, i) => ({
    endOffset: entries[i + 1]?.startOffset ?? maxOffset,
    epoch: e.epoch,
    startOffset: e.startOffset,
  }));
  const body = {
    brokerId: ctx.role.brokerId,
    brokerName: ctx.config.brokerName,
    clusterName: ctx.config.brokerClusterName,
    epochList,
    maxOffset,
  };
  return createResponse(request, ResponseCode.SUCCESS, {
    body: new TextEncoder().encode(JSON.stringify(body)),
  });
}
