// Name server configuration: RocketMQ's NamesrvConfig and NettyServerConfig keys (spec §10.2),
// plus the two route-expiry bounds RocketMQ hard-codes and rmq lets tests shorten.

import { homedir } from "node:os";
import { join } from "node:path";
import type { ConfigOf, Schema } from "./config_schema.ts";

export const namesrvSchema = {
  listenPort: { kind: "int", min: 0, max: 65535, doc: "TCP port (0 picks a free one)" },
  bindAddress: { kind: "string", doc: "interface address to listen on" },
  rocketmqHome: { kind: "string", doc: "installation root (informational)" },
  kvConfigPath: { kind: "string", doc: "where KV config is persisted" },
  configStorePath: { kind: "string", doc: "namesrv.properties path (informational)" },
  orderMessageEnable: { kind: "bool", doc: "add orderTopicConf to routes" },
  returnOrderTopicConfigToBroker: { kind: "bool", doc: "send ORDER_TOPIC_CONFIG on register" },
  scanNotActiveBrokerInterval: { kind: "int", min: 1, doc: "ms between broker expiry scans" },
  brokerChannelExpiredTime: {
    kind: "int",
    min: 1,
    doc: "ms of silence after which a broker is dropped (RocketMQ: 120000, fixed)",
  },
  enableAllTopicList: { kind: "bool", doc: "answer GET_ALL_TOPIC_LIST_FROM_NAMESERVER" },
  enableTopicList: { kind: "bool", doc: "answer the topic-list family" },
  supportActingMaster: { kind: "bool", doc: "report the lowest slave as master when none" },
  deleteTopicWithBrokerRegistration: { kind: "bool", doc: "drop topics a broker stops listing" },
  needWaitForService: { kind: "bool", doc: "answer routes only after waitSecondsForService" },
  waitSecondsForService: { kind: "int", min: 0, doc: "seconds to wait when needWaitForService" },
  serverChannelMaxIdleTimeSeconds: { kind: "int", min: 1, doc: "close idle connections after" },
  enableControllerInNamesrv: { kind: "bool", doc: "run the controller (automatic failover) here" },
  controllerStorePath: { kind: "string", doc: "folder of the controller's state file" },
  controllerHeartBeatTimeoutMills: {
    kind: "int",
    min: 100,
    doc: "ms of silence after which the controller counts a broker dead",
  },
  enableElectUncleanMaster: { kind: "bool", doc: "elect outside the in-sync set if need be" },
  notifyBrokerRoleChanged: { kind: "bool", doc: "tell brokers of elections at once" },
  controllerEtcdEndpoints: {
    kind: "string",
    doc: "rmq: etcd client URLs (',' or ';') for a replicated controller (empty: a local file)",
  },
  controllerEtcdPrefix: { kind: "string", doc: "rmq: etcd key prefix of the controller's state" },
  controllerLeaseTtlMs: {
    kind: "int",
    min: 1000,
    doc: "rmq: ms the active controller's etcd lease lasts unrenewed",
  },
} as const satisfies Schema;

export type NamesrvConfig = ConfigOf<typeof namesrvSchema>;

export function namesrvDefaults(home: string = homedir()): NamesrvConfig {
  return {
    listenPort: 9876,
    bindAddress: "0.0.0.0",
    rocketmqHome: process.env.ROCKETMQ_HOME ?? "",
    kvConfigPath: join(home, "namesrv", "kvConfig.json"),
    configStorePath: join(home, "namesrv", "namesrv.properties"),
    orderMessageEnable: false,
    returnOrderTopicConfigToBroker: true,
    scanNotActiveBrokerInterval: 5_000,
    brokerChannelExpiredTime: 120_000,
    enableAllTopicList: true,
    enableTopicList: true,
    supportActingMaster: false,
    deleteTopicWithBrokerRegistration: false,
    needWaitForService: false,
    waitSecondsForService: 45,
    serverChannelMaxIdleTimeSeconds: 120,
    enableControllerInNamesrv: false,
    controllerStorePath: join(home, "DLedgerController"),
    controllerHeartBeatTimeoutMills: 10_000,
    enableElectUncleanMaster: false,
    notifyBrokerRoleChanged: true,
    controllerEtcdEndpoints: "",
    controllerEtcdPrefix: "/rmq/controller",
    controllerLeaseTtlMs: 3_000,
  };
}
