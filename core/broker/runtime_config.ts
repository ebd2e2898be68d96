// GET_BROKER_CONFIG (26) and UPDATE_BROKER_CONFIG (25): `mqadmin getBrokerConfig` and
// `updateBrokerConfig`. The answer to a read is every key as Java .properties text with the
// config's version (4.9.7's DataVersion JSON) in the `version` header field.
//
// An update applies at once, all or nothing, and only to keys this broker reads as it goes (the
// list below, each checked where it is used): a key read only at start (ports, paths, segment
// sizes, roles, timers) is refused with a remark that says so, where RocketMQ would take it and
// leave it without effect until a restart, or change a store's layout under it. A change is
// written into the broker's -c file in place (the keys' lines; comments and other lines kept),
// as RocketMQ persists it to that file; without one it lasts until the broker stops. A new
// brokerPermission re-registers at once, so clients route around a broker that stopped
// taking writes (registration.ts).

import type { BrokerConfig } from "../config/broker_config.ts";
import { brokerSchema } from "../config/broker_config.ts";
import { formatConfig, parseConfigUpdate } from "../config/runtime_update.ts";
import { createResponse, type RemotingCommand } from "../protocol/command.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import { nextDataVersion } from "./config_files.ts";
import type { BrokerContext } from "./context.ts";

/** Keys read where they are used, so a new value acts on the next request or check. */
const liveKeys = new Set<keyof BrokerConfig>([
  "autoCreateTopicEnable", // topics.ts, at each auto-creation
  "autoCreateSubscriptionGroup", // subscriptions.ts, at each lookup
  "notifyConsumerIdsChangedEnable", // processors/client.ts
  "brokerPermission", // send, pull, send-back; and registration
  "longPollingEnable", // processors/pull.ts
  "shortPollingTimeMills",
  "slaveReadEnable",
  "accessMessageInMemoryMaxRatio", // context.ts inMemoryBytes; pull.ts's limits follow it
  "maxTransferCountOnMessageInMemory",
  "maxTransferBytesOnMessageInMemory",
  "maxTransferCountOnMessageInDisk",
  "maxTransferBytesOnMessageInDisk",
  "offsetCheckInSlave",
  "enablePropertyFilter",
  "rejectTransactionMessage", // send_divert.ts
  "maxMessageSize", // processors/send.ts and the store's put
  "maxBatchMessageCount",
  "traceOn",
  "syncFlushTimeout", // store/flush_service.ts, per flush request
  "diskMaxUsedSpaceRatio", // store/retention.ts, per check
  "diskSpaceWarningLevelRatio",
  "diskSpaceCleanForciblyRatio",
  "fileReservedTime",
  "deleteFileBatchMax",
]);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function processGetBrokerConfig(
  ctx: BrokerContext,
  request: RemotingCommand,
): RemotingCommand {
  const { counter, timestamp } = ctx.configVersion;
  return createResponse(request, ResponseCode.SUCCESS, {
    extFields: { version: `{"counter":${counter},"timestamp":${timestamp}}` },
    body: encoder.encode(formatConfig(brokerSchema, ctx.config)),
  });
}

export function processUpdateBrokerConfig(
  ctx: BrokerContext,
  request: RemotingCommand,
): RemotingCommand {
  if (!request.body || request.body.length === 0) {
    return createResponse(request, ResponseCode.SUCCESS, { extFields: {} });
  }
  const update = parseConfigUpdate(brokerSchema, decoder.decode(request.body), (key) =>
    Object.hasOwn(brokerSchema, key) && !liveKeys.has(key as keyof BrokerConfig)
      ? {
          code: "SYSTEM_ERROR",
          remark: `${key} is read only at start: set it in broker.conf and restart the broker`,
        }
      : undefined,
  );
  if (update.kind === "refused") {
    ctx.log.warn(`config update refused: ${update.remark}`);
    return createResponse(request, ResponseCode[update.code], { remark: update.remark });
  }
  for (const [key, value] of update.values) (ctx.config as Record<string, unknown>)[key] = value;
  ctx.configVersion = nextDataVersion(ctx.configVersion, ctx.clock.nowMs());
  const described = [...update.values].map(([key, value]) => `${key}=${value}`).join(", ");
  ctx.log.info(`config updated: ${described}`);
  // As 4.9.7: brokerPermission named at all re-registers at once, with a new topic version.
  if (update.values.has("brokerPermission")) ctx.topics.registrationChanged();
  try {
    ctx.persistConfigUpdate(update.values);
  } catch (error) {
    // As RocketMQ: the live config did change; only the file did not.
    ctx.log.error(`config updated but not written to the config file: ${error}`);
  }
  return createResponse(request, ResponseCode.SUCCESS, { extFields: {} });
}
