// Route bodies the name server returns (spec §2.4, §2.5, §2.6): TopicRouteData, ClusterInfo,
// TopicList and KVTable, written in the exact member order RocketMQ 4.9.7 writes them
// (shared/fixtures/rocketmq-wire, files 02, 07, 09, 11), and read back leniently by clients.
//
// brokerAddrs keys are numbers: quoted for clients that asked for standard JSON (version >=
// V4_9_4 or acceptStandardJsonOnly), bare for older ones, and always bare in ClusterInfo.

import { ProtocolError } from "../common/errors.ts";
import { parseLenientJson, writeJson, type JsonValue, type Writable } from "./fastjson.ts";
import { asObject, intOf, stringOf } from "./topic_config.ts";

export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

export interface BrokerData {
  cluster: string;
  brokerName: string;
  /** brokerId -> "host:port"; 0 is the master. */
  brokerAddrs: Map<number, string>;
  /** Written only when known: 5.x brokers send it, 4.x brokers do not. */
  enableActingMaster?: boolean;
  zoneName?: string;
}

export interface TopicRouteData {
  orderTopicConf?: string;
  queueDatas: QueueData[];
  brokerDatas: BrokerData[];
  filterServerTable: Map<string, string[]>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function sortedAddrs(addrs: Map<number, string>): Map<number, string> {
  return new Map([...addrs.entries()].sort((a, b) => a[0] - b[0]));
}

function brokerDataWritable(data: BrokerData): Writable {
  return {
    brokerAddrs: sortedAddrs(data.brokerAddrs),
    brokerName: data.brokerName,
    cluster: data.cluster,
    enableActingMaster: data.enableActingMaster,
    zoneName: data.zoneName,
  };
}

function queueDataWritable(q: QueueData): Writable {
  return {
    brokerName: q.brokerName,
    perm: q.perm,
    readQueueNums: q.readQueueNums,
    topicSysFlag: q.topicSysFlag,
    writeQueueNums: q.writeQueueNums,
  };
}

export function encodeTopicRouteData(route: TopicRouteData, standardJson: boolean): Uint8Array {
  const text = writeJson(
    {
      brokerDatas: route.brokerDatas.map(brokerDataWritable),
      filterServerTable: route.filterServerTable,
      orderTopicConf: route.orderTopicConf,
      queueDatas: route.queueDatas.map(queueDataWritable),
    },
    { quoteNumericKeys: standardJson },
  );
  return encoder.encode(text);
}

export function decodeTopicRouteData(body: Uint8Array): TopicRouteData {
  const root = asObject(parseLenientJson(decoder.decode(body)), "TopicRouteData");
  const queueDatas = arrayOf(root.queueDatas, "queueDatas").map((q) => {
    const o = asObject(q, "QueueData");
    return {
      brokerName: stringOf(o.brokerName, "brokerName"),
      readQueueNums: intOf(o.readQueueNums, "readQueueNums"),
      writeQueueNums: intOf(o.writeQueueNums, "writeQueueNums"),
      perm: intOf(o.perm, "perm"),
      topicSysFlag: intOf(o.topicSysFlag, "topicSysFlag", 0),
    };
  });
  const brokerDatas = arrayOf(root.brokerDatas, "brokerDatas").map(decodeBrokerData);
  const filterServerTable = new Map<string, string[]>();
  if (root.filterServerTable !== undefined && root.filterServerTable !== null) {
    for (const [addr, list] of Object.entries(asObject(root.filterServerTable, "filters"))) {
      filterServerTable.set(addr, arrayOf(list, "filter list").map(String));
    }
  }
  const route: TopicRouteData = { queueDatas, brokerDatas, filterServerTable };
  if (typeof root.orderTopicConf === "string") route.orderTopicConf = root.orderTopicConf;
  return route;
}

export function decodeBrokerData(value: JsonValue): BrokerData {
  const o = asObject(value, "BrokerData");
  const brokerAddrs = new Map<number, string>();
  for (const [id, addr] of Object.entries(asObject(o.brokerAddrs ?? {}, "brokerAddrs"))) {
    brokerAddrs.set(intOf(id, "brokerId"), stringOf(addr, "broker address"));
  }
  const data: BrokerData = {
    cluster: stringOf(o.cluster, "cluster", ""),
    brokerName: stringOf(o.brokerName, "brokerName"),
    brokerAddrs,
  };
  if (typeof o.enableActingMaster === "boolean") data.enableActingMaster = o.enableActingMaster;
  if (typeof o.zoneName === "string") data.zoneName = o.zoneName;
  return data;
}

function arrayOf(value: JsonValue | undefined, what: string): JsonValue[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ProtocolError(`${what} is not an array`);
  return value;
}

export interface ClusterInfo {
  brokerAddrTable: Map<string, BrokerData>;
  clusterAddrTable: Map<string, string[]>;
}

/** ClusterInfo is always written with fastjson defaults: bare numeric brokerAddrs keys. */
export function encodeClusterInfo(info: ClusterInfo): Uint8Array {
  const brokers = new Map<string, Writable>();
  for (const [name, data] of info.brokerAddrTable) brokers.set(name, brokerDataWritable(data));
  const text = writeJson(
    { brokerAddrTable: brokers, clusterAddrTable: info.clusterAddrTable },
    { quoteNumericKeys: false },
  );
  return encoder.encode(text);
}

export function decodeClusterInfo(body: Uint8Array): ClusterInfo {
  const root = asObject(parseLenientJson(decoder.decode(body)), "ClusterInfo");
  const brokerAddrTable = new Map<string, BrokerData>();
  for (const [name, data] of Object.entries(asObject(root.brokerAddrTable ?? {}, "brokers"))) {
    brokerAddrTable.set(name, decodeBrokerData(data));
  }
  const clusterAddrTable = new Map<string, string[]>();
  for (const [name, list] of Object.entries(asObject(root.clusterAddrTable ?? {}, "clusters"))) {
    clusterAddrTable.set(name, arrayOf(list, "cluster members").map(String));
  }
  return { brokerAddrTable, clusterAddrTable };
}

export function encodeTopicList(topics: Iterable<string>, brokerAddr?: string): Uint8Array {
  return encoder.encode(
    writeJson({ brokerAddr, topicList: [...topics] }, { quoteNumericKeys: true }),
  );
}

export function decodeTopicList(body: Uint8Array): string[] {
  const root = asObject(parseLenientJson(decoder.decode(body)), "TopicList");
  return arrayOf(root.topicList, "topicList").map(String);
}

/** KVTable: `{"table":{key:value}}`. */
export function encodeKvTable(table: Map<string, string>): Uint8Array {
  return encoder.encode(writeJson({ table }, { quoteNumericKeys: true }));
}

export function decodeKvTable(body: Uint8Array): Map<string, string> {
  const root = asObject(parseLenientJson(decoder.decode(body)), "KVTable");
  return new Map(
    Object.entries(asObject(root.table ?? {}, "table")).map(([k, v]) => [k, String(v)]),
  );
}
