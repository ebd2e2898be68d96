// Broker configuration: RocketMQ's BrokerConfig / NettyServerConfig keys (spec §10.1) that rmq
// honours, merged with the store's keys, so an existing broker.conf works as it is.

import { networkInterfaces, hostname } from "node:os";
import type { ConfigOf, Schema } from "./config_schema.ts";
import { storeDefaults, storeSchema } from "./store_config.ts";

export const brokerOnlySchema = {
  brokerClusterName: { kind: "string", doc: "cluster name" },
  brokerName: { kind: "string", doc: "replica group name" },
  brokerId: {
    kind: "int",
    min: -1,
    doc: "0 master, >0 slave; controller mode: -1 until the controller assigns one",
  },
  namesrvAddr: { kind: "string", doc: "name servers, ';'-separated (empty: embed one)" },
  brokerIP1: { kind: "string", doc: "address registered for clients" },
  bindAddress: { kind: "string", doc: "interface address to listen on" },
  advertisedPort: {
    kind: "int",
    min: 0,
    max: 65535,
    doc: "rmq: port registered for clients when it differs from the bound one (0: the bound port)",
  },
  listenPort: { kind: "int", min: 0, max: 65535, doc: "remoting port (0 picks one)" },
  brokerRole: {
    kind: "string",
    oneOf: ["ASYNC_MASTER", "SYNC_MASTER", "SLAVE"],
    doc: "replication role",
  },
  autoCreateTopicEnable: { kind: "bool", doc: "create topics on first send via TBW102" },
  autoCreateSubscriptionGroup: { kind: "bool", doc: "create consumer groups on first use" },
  notifyConsumerIdsChangedEnable: {
    kind: "bool",
    doc: "tell a group's members at once when its members change",
  },
  defaultTopicQueueNums: { kind: "int", min: 1, doc: "queues of TBW102" },
  brokerPermission: { kind: "int", min: 0, max: 7, doc: "broker-wide perm (6 = RW)" },
  registerNameServerPeriod: { kind: "int", min: 1000, doc: "ms between registrations" },
  registerBrokerTimeoutMills: { kind: "int", min: 1, doc: "ms a registration may take" },
  longPollingEnable: { kind: "bool", doc: "hold pulls until data or the deadline" },
  shortPollingTimeMills: { kind: "int", min: 1, doc: "ms a pull is held without long polling" },
  flushConsumerOffsetInterval: { kind: "int", min: 1, doc: "ms between offset persists" },
  clusterTopicEnable: { kind: "bool", doc: "make the cluster-name topic writable" },
  brokerTopicEnable: { kind: "bool", doc: "make the broker-name topic writable" },
  regionId: { kind: "string", doc: "MSG_REGION reported to producers" },
  traceOn: { kind: "bool", doc: "TRACE_ON reported to producers" },
  serverChannelMaxIdleTimeSeconds: { kind: "int", min: 1, doc: "close idle connections after" },
  channelExpiredTimeout: {
    kind: "int",
    min: 1,
    doc: "ms without heartbeat before a client is dropped",
  },
  maxBatchMessageCount: {
    kind: "int",
    min: 1,
    doc: "rmq: messages one batch send may carry (RocketMQ: only its size, maxMessageSize)",
  },
  slaveReadEnable: {
    kind: "bool",
    doc: "suggest consumers far behind read from a slave (whichBrokerWhenConsumeSlowly)",
  },
  accessMessageInMemoryMaxRatio: {
    kind: "int",
    min: 0,
    max: 100,
    doc: "% of RAM behind the log's head beyond which a consumer counts as far behind",
  },
  rejectTransactionMessage: { kind: "bool", doc: "refuse half (transaction) messages" },
  transactionCheckInterval: { kind: "int", min: 1, doc: "ms between transaction check rounds" },
  transactionTimeOut: { kind: "int", min: 0, doc: "ms a half message waits before a check" },
  transactionCheckMax: { kind: "int", min: 1, doc: "checks before a half message is dropped" },
  enablePropertyFilter: { kind: "bool", doc: "allow SQL92 subscriptions (filter on properties)" },
  enableControllerMode: { kind: "bool", doc: "a controller picks the master (automatic failover)" },
  controllerAddr: { kind: "string", doc: "controllers, ';'-separated (a name server with one)" },
  controllerHeartBeatTimeoutMills: {
    kind: "int",
    min: 100,
    doc: "ms of silence after which the controller counts this broker dead",
  },
  brokerHeartbeatInterval: { kind: "int", min: 50, doc: "ms between heartbeats to the controller" },
  syncBrokerMetadataPeriod: { kind: "int", min: 100, doc: "ms between master lookups" },
  checkSyncStateSetPeriod: {
    kind: "int",
    min: 100,
    doc: "accepted for RocketMQ confs; rmq checks the in-sync set every brokerHeartbeatInterval",
  },
  brokerElectionPriority: { kind: "int", min: 0, doc: "lower is preferred in elections" },
  allAckInSyncStateSet: { kind: "bool", doc: "SYNC sends wait for every in-sync replica" },
  minInSyncReplicas: { kind: "int", min: 1, doc: "fewer in-sync replicas refuse SYNC sends" },
  inSyncReplicas: { kind: "int", min: 1, doc: "replicas (master included) a SYNC send waits for" },
  haMaxTimeSlaveNotCatchup: {
    kind: "int",
    min: 100,
    doc: "ms a replica may stay behind before it leaves the in-sync set",
  },
  rebalanceLockMaxLiveTime: {
    kind: "int",
    min: 1,
    doc: "ms an orderly consumer's queue lock lasts unrefreshed (RocketMQ's JVM property)",
  },
} as const satisfies Schema;

export const brokerSchema = { ...brokerOnlySchema, ...storeSchema } as const satisfies Schema;

export type BrokerConfig = ConfigOf<typeof brokerSchema>;

/** The first non-internal IPv4 address, as RocketMQ picks brokerIP1; else loopback. */
export function defaultBrokerIp(): string {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.family === "IPv4" && !entry.internal) return entry.address;
    }
  }
  return "127.0.0.1";
}

export function brokerDefaults(home?: string): BrokerConfig {
  return {
    brokerClusterName: "DefaultCluster",
    brokerName: hostname() || "DEFAULT_BROKER",
    brokerId: 0,
    namesrvAddr: process.env.NAMESRV_ADDR ?? "",
    brokerIP1: defaultBrokerIp(),
    bindAddress: "0.0.0.0",
    advertisedPort: 0,
    listenPort: 10911,
    brokerRole: "ASYNC_MASTER",
    autoCreateTopicEnable: true,
    autoCreateSubscriptionGroup: true,
    notifyConsumerIdsChangedEnable: true,
    defaultTopicQueueNums: 8,
    brokerPermission: 6,
    registerNameServerPeriod: 30_000,
    registerBrokerTimeoutMills: 24_000,
    longPollingEnable: true,
    shortPollingTimeMills: 1_000,
    flushConsumerOffsetInterval: 5_000,
    clusterTopicEnable: true,
    brokerTopicEnable: true,
    regionId: "DefaultRegion",
    traceOn: true,
    serverChannelMaxIdleTimeSeconds: 120,
    channelExpiredTimeout: 120_000,
    // A guard of rmq's, past what a batch within maxMessageSize holds: 4 MiB of 22-byte entries.
    maxBatchMessageCount: 200_000,
    rebalanceLockMaxLiveTime: 60_000,
    enablePropertyFilter: false,
    slaveReadEnable: false,
    accessMessageInMemoryMaxRatio: 40,
    rejectTransactionMessage: false,
    transactionCheckInterval: 60_000,
    transactionTimeOut: 6_000,
    transactionCheckMax: 15,
    enableControllerMode: false,
    controllerAddr: "",
    // RocketMQ's defaults take 10-20 s to fail over; a dead broker's connection closes at once
    // and is acted on at once, these bound the silent case (a hung or cut-off master).
    controllerHeartBeatTimeoutMills: 10_000,
    brokerHeartbeatInterval: 1_000,
    syncBrokerMetadataPeriod: 5_000,
    checkSyncStateSetPeriod: 5_000,
    brokerElectionPriority: 2_147_483_647,
    allAckInSyncStateSet: false,
    minInSyncReplicas: 1,
    inSyncReplicas: 1,
    haMaxTimeSlaveNotCatchup: 15_000,
    ...storeDefaults(home),
  };
}
