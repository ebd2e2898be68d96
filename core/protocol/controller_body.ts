// Controller request and response pieces (spec §9.3, RocketMQ 5's controller headers and the
// SyncStateSet / ElectMasterResponseBody bodies), shared by the controller in the name server
// and the broker's controller client. Header fields, as RocketMQ names them:
// - REGISTER_BROKER (1003) / GET_REPLICA_INFO (1004) / ELECT_MASTER (1002) answers and
//   NOTIFY_BROKER_ROLE_CHANGED (1008): masterBrokerId, masterAddress, masterEpoch,
//   syncStateSetEpoch (absent when the group has no master).
// - Bodies, fastjson's alphabetical member order: {"syncStateSet":[1,2],"syncStateSetEpoch":3};
//   ELECT_MASTER's {"brokerMemberGroup":{"brokerAddrs":{1:"ip:port"},"brokerName":..,
//   "cluster":..},"syncStateSet":[1]}.

import { ProtocolError } from "../common/errors.ts";
import type { RemotingCommand } from "./command.ts";
import { parseLenientJson } from "./fastjson.ts";

export interface MasterInfo {
  masterId: number | null;
  masterAddress: string | null;
  masterEpoch: number;
  syncStateSet: number[];
  syncStateSetEpoch: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeSyncStateSet(syncStateSet: readonly number[], epoch: number): Uint8Array {
  const ids = [...syncStateSet].sort((a, b) => a - b).join(",");
  return encoder.encode(`{"syncStateSet":[${ids}],"syncStateSetEpoch":${epoch}}`);
}

export function decodeSyncStateSet(body: Uint8Array | null): {
  syncStateSet: number[];
  syncStateSetEpoch: number;
} {
  if (!body || body.length === 0) return { syncStateSet: [], syncStateSetEpoch: 0 };
  const value = parseLenientJson(decoder.decode(body)) as Record<string, unknown>;
  const set = value?.syncStateSet;
  const epoch = value?.syncStateSetEpoch ?? 0;
  if (!Array.isArray(set) || !set.every((id) => Number.isSafeInteger(id))) {
    throw new ProtocolError("SyncStateSet body without a list of broker ids");
  }
  if (!Number.isSafeInteger(epoch)) throw new ProtocolError("SyncStateSet epoch not a number");
  return { syncStateSet: set as number[], syncStateSetEpoch: epoch as number };
}

export function encodeElectMasterBody(
  cluster: string,
  brokerName: string,
  brokerAddrs: Map<number, string>,
  syncStateSet: readonly number[],
): Uint8Array {
  const addrs = [...brokerAddrs]
    .sort(([a], [b]) => a - b)
    .map(([id, addr]) => `${id}:${JSON.stringify(addr)}`)
    .join(",");
  const ids = [...syncStateSet].sort((a, b) => a - b).join(",");
  return encoder.encode(
    `{"brokerMemberGroup":{"brokerAddrs":{${addrs}},"brokerName":${JSON.stringify(brokerName)},` +
      `"cluster":${JSON.stringify(cluster)}},"syncStateSet":[${ids}]}`,
  );
}

/** The header fields naming a group's master (null fields are left out, as fastjson does). */
export function masterInfoFields(info: MasterInfo): Record<string, string | number | undefined> {
  return {
    masterBrokerId: info.masterId ?? undefined,
    masterAddress: info.masterId === null ? undefined : (info.masterAddress ?? undefined),
    masterEpoch: info.masterEpoch,
    syncStateSetEpoch: info.syncStateSetEpoch,
  };
}

/** A master as an answer or a notice names it; the in-sync set comes from its body. */
export function decodeMasterInfo(cmd: RemotingCommand): MasterInfo {
  const field = (key: string) => cmd.extFields?.get(key);
  const int = (key: string) => {
    const raw = field(key);
    if (raw === undefined || raw === "" || raw === "null") return null;
    const value = Number(raw);
    if (!Number.isSafeInteger(value)) throw new ProtocolError(`${key} "${raw}" is not a number`);
    return value;
  };
  const body = decodeSyncStateSet(cmd.body);
  return {
    masterId: int("masterBrokerId"),
    masterAddress: field("masterAddress") || null,
    masterEpoch: int("masterEpoch") ?? 0,
    syncStateSet: body.syncStateSet,
    syncStateSetEpoch: int("syncStateSetEpoch") ?? body.syncStateSetEpoch,
  };
}
