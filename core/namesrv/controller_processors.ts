// The controller's request codes (spec §9.3) answered on the name server's own port when
// enableControllerInNamesrv=true: RocketMQ serves them on a second (DLedger) port; one port
// means a broker's controllerAddr is simply its name server's address. Each processor decodes
// its header, calls the controller, and answers with RocketMQ's codes and fields.

import { createResponse, type RemotingCommand } from "../protocol/command.ts";
import {
  decodeSyncStateSet,
  encodeElectMasterBody,
  encodeSyncStateSet,
  masterInfoFields,
} from "../protocol/controller_body.ts";
import {
  optionalBool,
  optionalInt,
  requiredInt,
  requiredString,
} from "../protocol/header_fields.ts";
import { RequestCode } from "../protocol/request_code.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import type { Channel } from "../remoting/channel.ts";
import type { Processor, ProcessorTable } from "../remoting/processor_table.ts";
import { NotLeaderError, type Controller } from "../ha/controller/controller.ts";
import type { MasterView } from "../ha/controller/replica_groups.ts";

export interface ControllerProcessorContext {
  controller: Controller;
  /** This name server's address, as GET_METADATA_INFO reports the (only) controller. */
  address: () => string;
  /** The broker replica a connection belongs to, so its close counts as the broker's death. */
  bindChannel(channel: Channel, brokerName: string, brokerId: number): void;
}

const alterCodes = {
  FAILED: ResponseCode.CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
  INVALID_MASTER: ResponseCode.CONTROLLER_INVALID_MASTER,
  FENCED_MASTER_EPOCH: ResponseCode.CONTROLLER_FENCED_MASTER_EPOCH,
  FENCED_SYNC_STATE_SET_EPOCH: ResponseCode.CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH,
  INVALID_REPLICAS: ResponseCode.CONTROLLER_INVALID_REPLICAS,
  BROKER_NOT_ALIVE: ResponseCode.CONTROLLER_BROKER_NOT_ALIVE,
} as const;

/** A master view answer: header fields and the SyncStateSet body. */
function masterAnswer(request: RemotingCommand, code: number, view: MasterView) {
  return createResponse(request, code, {
    extFields: masterInfoFields(view),
    body: encodeSyncStateSet(view.syncStateSet, view.syncStateSetEpoch),
  });
}

/** BROKER_HEARTBEAT's controller part (the name server's route part runs beside it). */
export function controllerHeartbeat(
  ctx: ControllerProcessorContext,
  request: RemotingCommand,
  channel: Channel,
): RemotingCommand | null {
  const brokerId = optionalInt(request, "brokerId");
  if (brokerId === undefined) {
    return createResponse(request, ResponseCode.CONTROLLER_INVALID_REQUEST, {
      remark: "heartbeat without brokerId",
    });
  }
  const brokerName = requiredString(request, "brokerName");
  const known = ctx.controller.heartbeat(brokerName, brokerId, {
    epoch: optionalInt(request, "epoch") ?? -1,
    maxOffset: optionalInt(request, "maxOffset") ?? -1,
    timeoutMs: optionalInt(request, "heartbeatTimeoutMills"),
    electionPriority: optionalInt(request, "electionPriority"),
  });
  if (known) ctx.bindChannel(channel, brokerName, brokerId);
  return null;
}

/** Only the active controller answers; the others say who is (CONTROLLER_NOT_LEADER). */
function activeOnly(ctx: ControllerProcessorContext, processor: Processor): Processor {
  const notLeader = (request: RemotingCommand) => {
    const leader = ctx.controller.leaderAddress();
    return createResponse(request, ResponseCode.CONTROLLER_NOT_LEADER, {
      remark: `The controller is not in leader state${leader ? `; the leader is ${leader}` : ""}`,
    });
  };
  return async (request, channel) => {
    if (!ctx.controller.isActive()) return notLeader(request);
    try {
      return await processor(request, channel);
    } catch (error) {
      if (error instanceof NotLeaderError) return notLeader(request);
      throw error;
    }
  };
}

export function registerControllerProcessors(
  table: ProcessorTable,
  ctx: ControllerProcessorContext,
): ProcessorTable {
  const { controller } = ctx;
  const register = (code: number, processor: Processor) =>
    table.register(code, activeOnly(ctx, processor));
  register(RequestCode.CONTROLLER_GET_NEXT_BROKER_ID, async (req) => {
    const clusterName = requiredString(req, "clusterName");
    const brokerName = requiredString(req, "brokerName");
    const nextBrokerId = await controller.nextBrokerId(clusterName, brokerName);
    return createResponse(req, ResponseCode.SUCCESS, {
      extFields: { clusterName, brokerName, nextBrokerId },
    });
  });
  register(RequestCode.CONTROLLER_APPLY_BROKER_ID, async (req) => {
    const clusterName = requiredString(req, "clusterName");
    const brokerName = requiredString(req, "brokerName");
    const brokerId = requiredInt(req, "appliedBrokerId");
    const code = requiredString(req, "registerCheckCode");
    const applied =
      brokerId >= 1 && (await controller.applyBrokerId(clusterName, brokerName, brokerId, code));
    if (!applied) {
      return createResponse(req, ResponseCode.CONTROLLER_BROKER_ID_INVALID, {
        remark: `broker id ${brokerId} of ${brokerName} is taken or out of turn`,
      });
    }
    return createResponse(req, ResponseCode.SUCCESS, { extFields: { clusterName, brokerName } });
  });
  register(RequestCode.CONTROLLER_REGISTER_BROKER, async (req, channel) => {
    const clusterName = requiredString(req, "clusterName");
    const brokerName = requiredString(req, "brokerName");
    const brokerId = requiredInt(req, "brokerId");
    const view = await controller.register(
      clusterName,
      brokerName,
      brokerId,
      requiredString(req, "brokerAddress"),
      {
        epoch: optionalInt(req, "epoch") ?? 0,
        maxOffset: optionalInt(req, "maxOffset") ?? 0,
        electionPriority: optionalInt(req, "electionPriority"),
      },
    );
    if (!view) {
      return createResponse(req, ResponseCode.CONTROLLER_BROKER_NEED_TO_BE_REGISTERED, {
        remark: `broker ${brokerName} id ${brokerId} has not applied for its id`,
      });
    }
    ctx.bindChannel(channel, brokerName, brokerId);
    const answer = masterAnswer(req, ResponseCode.SUCCESS, view);
    answer.extFields?.set("clusterName", clusterName);
    answer.extFields?.set("brokerName", brokerName);
    return answer;
  });
  register(RequestCode.CONTROLLER_GET_REPLICA_INFO, async (req) => {
    const brokerName = requiredString(req, "brokerName");
    const view = await controller.replicaInfo(brokerName);
    if (!view) {
      return createResponse(req, ResponseCode.CONTROLLER_BROKER_METADATA_NOT_EXIST, {
        remark: `no replica group ${brokerName}`,
      });
    }
    return masterAnswer(req, ResponseCode.SUCCESS, view);
  });
  register(RequestCode.CONTROLLER_ELECT_MASTER, async (req) => {
    const brokerName = requiredString(req, "brokerName");
    const brokerId = optionalInt(req, "brokerId") ?? -1;
    const outcome = await controller.electMaster(
      brokerName,
      brokerId,
      optionalBool(req, "designateElect") ?? false,
    );
    switch (outcome.result) {
      case "NOT_REGISTERED":
        return createResponse(req, ResponseCode.CONTROLLER_BROKER_NEED_TO_BE_REGISTERED, {
          remark: `no replica group ${brokerName}`,
        });
      case "STILL_EXIST":
        return masterAnswer(req, ResponseCode.CONTROLLER_MASTER_STILL_EXIST, outcome.view!);
      case "NO_CANDIDATE":
        return createResponse(req, ResponseCode.CONTROLLER_MASTER_NOT_AVAILABLE, {
          remark: `no in-sync replica of ${brokerName} is alive`,
        });
      case "FAILED":
        return createResponse(req, ResponseCode.CONTROLLER_ELECT_MASTER_FAILED, {
          remark: `replica ${brokerId} of ${brokerName} cannot lead`,
        });
      case "ELECTED": {
        const view = outcome.view!;
        const group = controller.groups.group(brokerName)!;
        const addrs = new Map([...group.replicas.values()].map((r) => [r.brokerId, r.address]));
        return createResponse(req, ResponseCode.SUCCESS, {
          extFields: masterInfoFields(view),
          body: encodeElectMasterBody(group.clusterName, brokerName, addrs, view.syncStateSet),
        });
      }
    }
    throw new Error(`unexpected election outcome ${outcome.result satisfies never}`);
  });
  register(RequestCode.CONTROLLER_ALTER_SYNC_STATE_SET, async (req) => {
    const brokerName = requiredString(req, "brokerName");
    const proposed = decodeSyncStateSet(req.body);
    const result = await controller.alterSyncStateSet(
      brokerName,
      requiredInt(req, "masterBrokerId"),
      requiredInt(req, "masterEpoch"),
      proposed.syncStateSet,
      proposed.syncStateSetEpoch,
    );
    if (!result.ok) {
      return createResponse(req, alterCodes[result.reason], {
        remark: `in-sync set change refused: ${result.reason}`,
      });
    }
    return createResponse(req, ResponseCode.SUCCESS, {
      extFields: { newSyncStateSetEpoch: result.syncStateSetEpoch },
      body: encodeSyncStateSet(proposed.syncStateSet, result.syncStateSetEpoch),
    });
  });
  // Any controller answers who leads (brokers find the active one with it).
  table.register(RequestCode.CONTROLLER_GET_METADATA_INFO, (req) => {
    const address = ctx.address();
    const leader = controller.leaderAddress() ?? "";
    return createResponse(req, ResponseCode.SUCCESS, {
      extFields: {
        group: "rmq",
        controllerLeaderId: leader,
        controllerLeaderAddress: leader,
        isLeader: controller.isActive(),
        peers: `${address};`,
      },
    });
  });
  register(RequestCode.CONTROLLER_GET_SYNC_STATE_DATA, (req) => {
    const names = req.body ? (JSON.parse(new TextDecoder().decode(req.body)) as unknown) : null;
    if (!Array.isArray(names) || names.length === 0) {
      return createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: "no broker names asked" });
    }
    const replicasInfo: Record<string, unknown> = {};
    for (const name of names) {
      const group = typeof name === "string" ? controller.groups.group(name) : undefined;
      if (!group) continue;
      const view = controller.groups.view(group);
      const replica = (r: { brokerId: number; address: string; alive: boolean }) => ({
        alive: r.alive,
        brokerAddress: r.address,
        brokerId: r.brokerId,
        brokerName: name,
      });
      const all = [...group.replicas.values()].sort((a, b) => a.brokerId - b.brokerId);
      replicasInfo[name] = {
        inSyncReplicas: all.filter((r) => group.syncStateSet.has(r.brokerId)).map(replica),
        masterAddress: view.masterAddress ?? "",
        masterBrokerId: view.masterId,
        masterEpoch: view.masterEpoch,
        notInSyncReplicas: all.filter((r) => !group.syncStateSet.has(r.brokerId)).map(replica),
        syncStateSetEpoch: view.syncStateSetEpoch,
      };
    }
    const body = new TextEncoder().encode(JSON.stringify({ replicasInfoTable: replicasInfo }));
    return createResponse(req, ResponseCode.SUCCESS, { body });
  });
  return table;
}
