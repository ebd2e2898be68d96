// Request processors of the name server (spec §2): one thin function per request code that
// decodes its header, calls the route table or the KV config, and encodes the answer the way
// RocketMQ's DefaultRequestProcessor / ClientRequestProcessor do.

import type { Clock } from "../common/clock.ts";
import { ProtocolError } from "../common/errors.ts";
import type { Logger } from "../common/log.ts";
import type { NamesrvConfig } from "../config/namesrv_config.ts";
import { crc32Masked } from "../common/checksum.ts";
import { createResponse, type RemotingCommand } from "../protocol/command.ts";
import { parseLenientJson } from "../protocol/fastjson.ts";
import {
  optionalBool,
  optionalInt,
  optionalString,
  requiredInt,
  requiredString,
} from "../protocol/header_fields.ts";
import { decodeRegisterBrokerBody } from "../protocol/register_broker_body.ts";
import { RequestCode } from "../protocol/request_code.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import {
  encodeClusterInfo,
  encodeKvTable,
  encodeTopicList,
  encodeTopicRouteData,
  decodeTopicRouteData,
} from "../protocol/route_data.ts";
import { dataVersionFromJson } from "../protocol/topic_config.ts";
import { MQVersion } from "../protocol/version.ts";
import type { Channel } from "../remoting/channel.ts";
import { ProcessorTable } from "../remoting/processor_table.ts";
import { KvConfig, NAMESPACE_ORDER_TOPIC_CONFIG } from "./kv_config.ts";
import { formatNamesrvConfig, updateNamesrvConfig } from "./runtime_config.ts";
import type { RouteTable } from "./route_table.ts";

export interface NamesrvContext {
  routes: RouteTable;
  kv: KvConfig;
  config: NamesrvConfig;
  clock: Clock;
  log: Logger;
  startedAtMs: number;
  channelId(channel: Channel): number;
  /** enableControllerInNamesrv: the controller's view of a BROKER_HEARTBEAT (null: fine). */
  controllerHeartbeat?: (request: RemotingCommand, channel: Channel) => RemotingCommand | null;
  /** Writes the config after a runtime update (to configStorePath); absent in memory-only tests. */
  persistConfig?: (text: string) => void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const faqSuffix = "\nSee http://rocketmq.apache.org/docs/faq/ for further details.";

/** Topic-list flags (TopicSysFlag): bit 0 unit topic, bit 1 has unit subscription. */
const FLAG_UNIT = 1;
const FLAG_UNIT_SUB = 2;

export function namesrvProcessors(ctx: NamesrvContext): ProcessorTable {
  const ok = (req: RemotingCommand, body?: Uint8Array | null) => createResponse(req, 0, { body });
  const topicList = (req: RemotingCommand, topics: string[], addr?: string) =>
    ctx.config.enableTopicList
      ? ok(req, encodeTopicList(topics, addr))
      : createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: "disable" });

  return new ProcessorTable()
    .register(RequestCode.PUT_KV_CONFIG, (req) => {
      const namespace = optionalString(req, "namespace");
      const key = optionalString(req, "key");
      if (namespace === undefined || key === undefined) {
        return createResponse(req, ResponseCode.SYSTEM_ERROR, {
          remark: "namespace or key is null",
        });
      }
      ctx.kv.put(namespace, key, req.extFields?.get("value") ?? "");
      return ok(req);
    })
    .register(RequestCode.GET_KV_CONFIG, (req) => {
      const namespace = requiredString(req, "namespace");
      const key = requiredString(req, "key");
      const value = ctx.kv.get(namespace, key);
      if (value === undefined) {
        return createResponse(req, ResponseCode.QUERY_NOT_FOUND, {
          remark: `No config item, Namespace: ${namespace} Key: ${key}`,
        });
      }
      return createResponse(req, 0, { extFields: { value } });
    })
    .register(RequestCode.DELETE_KV_CONFIG, (req) => {
      ctx.kv.delete(requiredString(req, "namespace"), requiredString(req, "key"));
      return ok(req);
    })
    .register(RequestCode.GET_KVLIST_BY_NAMESPACE, (req) => {
      const namespace = requiredString(req, "namespace");
      const table = ctx.kv.list(namespace);
      if (!table) {
        return createResponse(req, ResponseCode.QUERY_NOT_FOUND, {
          remark: `No config item, Namespace: ${namespace}`,
        });
      }
      return ok(req, encodeKvTable(table));
    })
    .register(RequestCode.UPDATE_NAMESRV_CONFIG, (req) => updateConfig(ctx, req))
    .register(RequestCode.GET_NAMESRV_CONFIG, (req) =>
      ok(req, encoder.encode(formatNamesrvConfig(ctx.config))),
    )
    .register(RequestCode.REGISTER_BROKER, (req, channel) => registerBroker(ctx, req, channel))
    .register(RequestCode.UNREGISTER_BROKER, (req) => {
      ctx.routes.unregisterBroker({
        clusterName: requiredString(req, "clusterName"),
        brokerAddr: requiredString(req, "brokerAddr"),
        brokerName: requiredString(req, "brokerName"),
        brokerId: requiredInt(req, "brokerId"),
      });
      ctx.log.info(`broker ${requiredString(req, "brokerAddr")} unregistered`);
      return ok(req);
    })
    .register(RequestCode.QUERY_DATA_VERSION, (req) => {
      const cluster = requiredString(req, "clusterName");
      const addr = requiredString(req, "brokerAddr");
      const version = dataVersionFromJson(
        req.body ? parseLenientJson(decoder.decode(req.body)) : undefined,
      );
      const changed = ctx.routes.isBrokerTopicConfigChanged(cluster, addr, version);
      ctx.routes.touchBroker(cluster, addr);
      const stored = ctx.routes.queryBrokerDataVersion(cluster, addr);
      const body = stored ? encoder.encode(JSON.stringify(stored)) : null;
      return createResponse(req, 0, { extFields: { changed: String(changed) }, body });
    })
    .register(RequestCode.BROKER_HEARTBEAT, (req, channel) => {
      requiredString(req, "brokerName");
      ctx.routes.touchBroker(requiredString(req, "clusterName"), requiredString(req, "brokerAddr"));
      // With the controller here, the same heartbeat keeps a replica alive for elections.
      return ctx.controllerHeartbeat?.(req, channel) ?? ok(req);
    })
    .register(RequestCode.GET_ROUTEINFO_BY_TOPIC, (req) => getRouteInfo(ctx, req))
    .register(RequestCode.GET_BROKER_CLUSTER_INFO, (req) => {
      const clusters = new Map<string, string[]>();
      for (const [name, set] of ctx.routes.clusterAddrTable) clusters.set(name, [...set]);
      return ok(
        req,
        encodeClusterInfo({
          brokerAddrTable: ctx.routes.brokerAddrTable,
          clusterAddrTable: clusters,
        }),
      );
    })
    .register(RequestCode.GET_BROKER_MEMBER_GROUP, (req) => {
      const cluster = requiredString(req, "clusterName");
      const brokerName = requiredString(req, "brokerName");
      const addrs = Object.fromEntries(ctx.routes.brokerMemberGroup(brokerName));
      const group = { brokerMemberGroup: { brokerAddrs: addrs, brokerName, cluster } };
      return ok(req, encoder.encode(JSON.stringify(group)));
    })
    .register(RequestCode.WIPE_WRITE_PERM_OF_BROKER, (req) => {
      const count = ctx.routes.changeWritePerm(requiredString(req, "brokerName"), "wipe");
      return createResponse(req, 0, { extFields: { wipeTopicCount: count } });
    })
    .register(RequestCode.ADD_WRITE_PERM_OF_BROKER, (req) => {
      const count = ctx.routes.changeWritePerm(requiredString(req, "brokerName"), "add");
      return createResponse(req, 0, { extFields: { addTopicCount: count } });
    })
    .register(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, (req) =>
      ctx.config.enableAllTopicList
        ? ok(req, encodeTopicList(ctx.routes.allTopics()))
        : createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: "disable" }),
    )
    .register(RequestCode.DELETE_TOPIC_IN_NAMESRV, (req) => {
      ctx.routes.deleteTopic(requiredString(req, "topic"), optionalString(req, "clusterName"));
      return ok(req);
    })
    .register(RequestCode.REGISTER_TOPIC_IN_NAMESRV, (req) => {
      const topic = requiredString(req, "topic");
      if (req.body) ctx.routes.registerTopic(topic, decodeTopicRouteData(req.body).queueDatas);
      return ok(req);
    })
    .register(RequestCode.GET_TOPICS_BY_CLUSTER, (req) =>
      topicList(req, ctx.routes.topicsByCluster(requiredString(req, "cluster"))),
    )
    .register(RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS, (req) => {
      const { topics, brokerAddr } = ctx.routes.systemTopics();
      return ok(req, encodeTopicList(topics, brokerAddr));
    })
    .register(RequestCode.GET_UNIT_TOPIC_LIST, (req) =>
      topicList(
        req,
        ctx.routes.topicsWithSysFlag((f) => (f & FLAG_UNIT) !== 0),
      ),
    )
    .register(RequestCode.GET_HAS_UNIT_SUB_TOPIC_LIST, (req) =>
      topicList(
        req,
        ctx.routes.topicsWithSysFlag((f) => (f & FLAG_UNIT_SUB) !== 0),
      ),
    )
    .register(RequestCode.GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST, (req) =>
      topicList(
        req,
        ctx.routes.topicsWithSysFlag((f) => (f & FLAG_UNIT) === 0 && (f & FLAG_UNIT_SUB) !== 0),
      ),
    );
}

function registerBroker(ctx: NamesrvContext, req: RemotingCommand, channel: Channel) {
  const bodyCrc32 = optionalInt(req, "bodyCrc32") ?? 0;
  if (bodyCrc32 !== 0 && crc32Masked(req.body ?? new Uint8Array(0)) !== bodyCrc32) {
    ctx.log.warn(`REGISTER_BROKER from ${channel.remoteAddress}: body crc32 does not match`);
    return createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: "crc32 not match" });
  }
  const brokerId = requiredInt(req, "brokerId");
  const compressed = optionalBool(req, "compressed") ?? false;
  if (req.version < MQVersion.V3_0_11) {
    throw new ProtocolError(`broker version ${req.version} is older than 3.0.11, not supported`);
  }
  const body = decodeRegisterBrokerBody(req.body, compressed, req.version);
  const result = ctx.routes.registerBroker({
    clusterName: requiredString(req, "clusterName"),
    brokerAddr: requiredString(req, "brokerAddr"),
    brokerName: requiredString(req, "brokerName"),
    brokerId,
    haServerAddr: requiredString(req, "haServerAddr"),
    zoneName: optionalString(req, "__ZONE_NAME"),
    heartbeatTimeoutMs: optionalInt(req, "heartbeatTimeoutMillis"),
    enableActingMaster: optionalBool(req, "enableActingMaster"),
    dataVersion: body.dataVersion,
    topicConfigTable: body.topicConfigTable,
    filterServerList: body.filterServerList,
    channelId: ctx.channelId(channel),
  });
  if (result.kind === "refused") {
    return createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: "register broker failed" });
  }
  const extFields: Record<string, string | undefined> = {};
  if (result.kind === "registered") {
    extFields.haServerAddr = result.haServerAddr;
    extFields.masterAddr = result.masterAddr;
  }
  let responseBody: Uint8Array | null = null;
  if (ctx.config.returnOrderTopicConfigToBroker) {
    const orderConfig = ctx.kv.list(NAMESPACE_ORDER_TOPIC_CONFIG);
    if (orderConfig) responseBody = encodeKvTable(orderConfig);
  }
  return createResponse(req, 0, { extFields, body: responseBody });
}

function getRouteInfo(ctx: NamesrvContext, req: RemotingCommand) {
  const topic = requiredString(req, "topic");
  const waitMs = ctx.config.waitSecondsForService * 1000;
  if (ctx.config.needWaitForService && ctx.clock.nowMs() - ctx.startedAtMs < waitMs) {
    return createResponse(req, ResponseCode.SYSTEM_ERROR, { remark: "name server not ready" });
  }
  const route = ctx.routes.pickupTopicRouteData(topic);
  if (!route) {
    return createResponse(req, ResponseCode.TOPIC_NOT_EXIST, {
      remark: `No topic route info in name server for the topic: ${topic}${faqSuffix}`,
    });
  }
  if (ctx.config.orderMessageEnable) {
    const conf = ctx.kv.get(NAMESPACE_ORDER_TOPIC_CONFIG, topic);
    if (conf !== undefined) route.orderTopicConf = conf;
  }
  const standardJson =
    req.version >= MQVersion.V4_9_4 || optionalBool(req, "acceptStandardJsonOnly") === true;
  return createResponse(req, 0, { body: encodeTopicRouteData(route, standardJson) });
}

function updateConfig(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  if (!req.body) return createResponse(req, 0);
  const result = updateNamesrvConfig(ctx.config, decoder.decode(req.body));
  if (result.kind === "refused") {
    ctx.log.warn(`update config refused: ${result.remark}`);
    return createResponse(req, ResponseCode[result.code], { remark: result.remark });
  }
  ctx.log.info(`config updated: ${[...result.values.keys()].join(", ")}`);
  try {
    ctx.persistConfig?.(formatNamesrvConfig(ctx.config));
  } catch (error) {
    // RocketMQ logs a failed persist and still answers SUCCESS: the live config did change.
    ctx.log.error(`config updated but not persisted to ${ctx.config.configStorePath}: ${error}`);
  }
  return createResponse(req, 0);
}
