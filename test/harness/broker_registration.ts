// Builds REGISTER_BROKER requests as a RocketMQ broker sends them, for name server tests.

import { crc32Masked } from "../../core/common/checksum.ts";
import {
  createRequest,
  encodeRegisterBrokerBodyCompressed,
  encodeRegisterBrokerBodyJson,
  RequestCode,
  SerializeType,
  topicConfig,
  type RemotingCommand,
  type SerializeTypeValue,
} from "../../core/protocol/index.ts";

export interface FakeBroker {
  cluster?: string;
  name?: string;
  id?: number;
  addr: string;
  topics: Record<string, number>; // topic -> queue count
  counter?: number;
  compressed?: boolean;
  serializeType?: SerializeTypeValue;
}

export function registerBrokerRequest(broker: FakeBroker): RemotingCommand {
  // A real broker always lists its system topics too; a first registration naming exactly one
  // topic is refused by RocketMQ's name server (single-topic registrations are incremental).
  const topics = { TBW102: 8, ...broker.topics };
  const table = new Map(Object.entries(topics).map(([t, q]) => [t, topicConfig(t, q)]));
  const body = {
    dataVersion: { counter: broker.counter ?? 1, stateVersion: 0, timestamp: 1_700_000_000_000 },
    topicConfigTable: table,
    filterServerList: [],
  };
  const bytes = broker.compressed
    ? encodeRegisterBrokerBodyCompressed(body)
    : encodeRegisterBrokerBodyJson(body);
  const [host, port] = broker.addr.split(":");
  return createRequest(RequestCode.REGISTER_BROKER, {
    extFields: {
      brokerName: broker.name ?? "broker-a",
      brokerAddr: broker.addr,
      clusterName: broker.cluster ?? "DefaultCluster",
      haServerAddr: `${host}:${Number(port) + 1}`,
      brokerId: broker.id ?? 0,
      compressed: broker.compressed ?? false,
      bodyCrc32: crc32Masked(bytes),
    },
    body: bytes,
    serializeType: broker.serializeType ?? SerializeType.JSON,
  });
}
