// GET_BROKER_RUNTIME_INFO (28): a KVTable of the broker's state, as `mqadmin brokerStatus` reads
// it. RocketMQ's key names where it has them (commitLogMinOffset, commitLogMaxOffset,
// bootTimestamp, dispatchBehindBytes, masterAddr on a slave ...); `brokerRole`,
// `haConnections`, `haSlaveAckOffset`, `commitLogLastStoreTimestamp`, `replicaId`,
// `masterEpoch` and `syncStateSet` are rmq's, for `rmq inspect cluster`.

import { createResponse, type RemotingCommand } from "../../protocol/command.ts";
import { encodeKvTable } from "../../protocol/route_data.ts";
import { ResponseCode } from "../../protocol/response_code.ts";
import type { BrokerContext } from "../context.ts";

export function processRuntimeInfo(ctx: BrokerContext, request: RemotingCommand): RemotingCommand {
  const { store } = ctx;
  const table = new Map<string, string>([
    ["brokerVersionDesc", "V4_9_7"],
    ["brokerActive", "true"],
    ["brokerRole", ctx.role.brokerRole],
    ["bootTimestamp", String(ctx.bootTimestampMs)],
    ["commitLogMinOffset", String(store.commitLog.files.minOffset())],
    ["commitLogMaxOffset", String(store.commitLog.writePosition)],
    ["dispatchBehindBytes", String(store.dispatchBehindBytes())],
  ]);
  const ha = ctx.haStatus();
  if (ha.masterAddr) table.set("masterAddr", ha.masterAddr);
  if (ha.connections !== undefined) table.set("haConnections", String(ha.connections));
  if (ha.slaveAckOffset !== undefined) table.set("haSlaveAckOffset", String(ha.slaveAckOffset));
  // rmq's: when the newest record was stored (a replica's lag in time), and controller epochs.
  table.set("commitLogLastStoreTimestamp", String(store.commitLog.lastStoreTimestamp));
  if (ha.replicaId !== undefined) table.set("replicaId", String(ha.replicaId));
  if (ha.masterEpoch !== undefined) table.set("masterEpoch", String(ha.masterEpoch));
  if (ha.syncStateSet) table.set("syncStateSet", ha.syncStateSet.join(","));
  return createResponse(request, ResponseCode.SUCCESS, { body: encodeKvTable(table) });
}
