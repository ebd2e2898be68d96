// Compatibility: the unmodified npm client ali-ons (3.12.0) looks up topic routes from our name
// server. We drive ali-ons' own MQClientAPI (the class its producers and consumers inherit their
// name-server calls from), pointed at 127.0.0.1 through its `nameSrv` option, so it never asks
// Aliyun's HTTP address service for a name-server list (its `httpclient` option is required, but
// only used when `nameSrv` is absent; ours records calls and refuses them).
//
// What ali-ons does on the wire: GET_ROUTEINFO_BY_TOPIC (105) with extFields {topic}, announcing
// version 121, i.e. older than V4_9_4, so the name server writes brokerAddrs with bare numeric
// keys ({0:"host:port"}), which ali-ons parses with JSON2 (an eval-based parser), not JSON.parse.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { format } from "node:util";
import { SystemClock, createLogger } from "../../core/common/index.ts";
import { namesrvDefaults } from "../../core/config/index.ts";
import { Namesrv } from "../../core/namesrv/index.ts";
import { createRequest } from "../../core/protocol/command.ts";
import { encodeRegisterBrokerBodyJson } from "../../core/protocol/register_broker_body.ts";
import { RequestCode } from "../../core/protocol/request_code.ts";
import { ResponseCode } from "../../core/protocol/response_code.ts";
import { MQVersion } from "../../core/protocol/version.ts";
import { topicConfig } from "../../core/protocol/topic_config.ts";
import { RemotingClient } from "../../core/remoting/client.ts";

// ali-ons ships no types: the slice of its API this test touches.
interface AliQueueData {
  brokerName: string;
  perm: number;
  readQueueNums: number;
  writeQueueNums: number;
  topicSysFlag?: number;
}
interface AliBrokerData {
  cluster: string;
  brokerName: string;
  brokerAddrs: Record<string, string>;
}
interface AliTopicRouteData {
  queueDatas: AliQueueData[];
  brokerDatas: AliBrokerData[];
  filterServerTable: Record<string, string[]>;
  orderTopicConf?: string;
}
interface AliLogger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug(...args: unknown[]): void;
}
interface AliMQClientAPI {
  ready(): Promise<void>;
  close(): Promise<void>;
  on(event: "error", listener: (err: Error) => void): void;
  getTopicRouteInfoFromNameServer(
    topic: string,
    timeoutMillis?: number,
  ): Promise<AliTopicRouteData>;
  getDefaultTopicRouteInfoFromNameServer(
    topic: string,
    timeoutMillis?: number,
  ): Promise<AliTopicRouteData>;
}
interface AliMQClientAPICtor {
  new (options: {
    nameSrv: string | string[];
    httpclient: { request(url: string, options?: unknown): Promise<unknown> };
    logger?: AliLogger;
    responseTimeout?: number;
  }): AliMQClientAPI;
}
interface AliMessageQueue {
  topic: string;
  brokerName: string;
  queueId: number;
}
interface AliMQClientProto {
  _topicRouteData2TopicPublishInfo(
    topic: string,
    route: AliTopicRouteData,
  ): { messageQueueList: AliMessageQueue[]; orderTopic: boolean };
  _topicRouteData2TopicSubscribeInfo(topic: string, route: AliTopicRouteData): AliMessageQueue[];
}

const require = createRequire(import.meta.url);
const MQClientAPI = require("ali-ons/lib/mq_client_api.js") as AliMQClientAPICtor;
const MQClient = require("ali-ons/lib/mq_client.js") as { prototype: AliMQClientProto };
const AliResponseCode = require("ali-ons/lib/protocol/response_code.js") as Record<string, number>;
const AliRemotingCommand = require("ali-ons/lib/protocol/command/remoting_command.js") as {
  createRequestCommand(code: number, header: Record<string, unknown>): { version: number };
};

const TOPIC = "CompatTopic";
const BROKER_NAME = "broker-a";
const BROKER_ADDR = "127.0.0.1:10911";
const CLUSTER = "DefaultCluster";
const TIMEOUT_MS = 3_000;

let dir = "";
let namesrv: Namesrv | null = null;
let namesrvAddr = "";
let brokerClient: RemotingClient | null = null;
let ali: AliMQClientAPI | null = null;
const aliLog: { level: string; line: string }[] = [];
const aliErrors: Error[] = [];
const httpRequests: string[] = [];

function aliLogger(): AliLogger {
  const keep =
    (level: string) =>
    (...args: unknown[]) => {
      aliLog.push({ level, line: format(...args) });
    };
  return { info: keep("info"), warn: keep("warn"), error: keep("error"), debug: keep("debug") };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rmq-ali-ons-"));
  const clock = new SystemClock();
  const log = createLogger("test");
  namesrv = new Namesrv({
    config: {
      ...namesrvDefaults(dir),
      bindAddress: "127.0.0.1",
      listenPort: 0,
      kvConfigPath: join(dir, "kvConfig.json"),
    },
    clock,
    log,
    persistKvConfig: false,
  });
  const { host, port } = namesrv.start();
  namesrvAddr = `${host}:${port}`;

  // A fake broker: one REGISTER_BROKER over our own client. The connection stays open until
  // afterAll, since the name server drops a broker's routes when its connection closes. Like a
  // real broker it also lists the topic named after itself: the name server (as RocketMQ's)
  // refuses a first registration that carries exactly one topic.
  brokerClient = new RemotingClient({ clock, log });
  const register = createRequest(RequestCode.REGISTER_BROKER, {
    extFields: {
      brokerName: BROKER_NAME,
      brokerAddr: BROKER_ADDR,
      clusterName: CLUSTER,
      haServerAddr: "127.0.0.1:10912",
      brokerId: 0,
    },
    body: encodeRegisterBrokerBodyJson({
      dataVersion: { counter: 1, stateVersion: 0, timestamp: Date.now() },
      topicConfigTable: new Map([
        [TOPIC, topicConfig(TOPIC, 4, 6)],
        [BROKER_NAME, topicConfig(BROKER_NAME, 1, 7)],
      ]),
      filterServerList: [],
    }),
  });
  const registered = await brokerClient.invoke(namesrvAddr, register, TIMEOUT_MS);
  expect({ code: registered.code, remark: registered.remark }).toEqual({
    code: ResponseCode.SUCCESS,
    remark: null,
  });

  ali = new MQClientAPI({
    nameSrv: [namesrvAddr],
    httpclient: {
      request: (url: string) => {
        httpRequests.push(url);
        return Promise.reject(new Error(`test: no HTTP allowed (${url})`));
      },
    },
    logger: aliLogger(),
    responseTimeout: TIMEOUT_MS,
  });
  ali.on("error", (err) => aliErrors.push(err));
  await ali.ready();
});

afterAll(async () => {
  await ali?.close();
  brokerClient?.close();
  namesrv?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("compat: ali-ons: announces a version older than V4_9_4", () => {
  const version = AliRemotingCommand.createRequestCommand(105, { topic: TOPIC }).version;
  expect(version).toBe(121);
  expect(version).toBeLessThan(MQVersion.V4_9_4);
});

test("compat: ali-ons: getTopicRouteInfoFromNameServer decodes queue and broker data", async () => {
  const route = await ali!.getTopicRouteInfoFromNameServer(TOPIC, TIMEOUT_MS);

  expect(route.queueDatas).toHaveLength(1);
  const queue = route.queueDatas[0]!;
  expect(queue.brokerName).toBe(BROKER_NAME);
  expect(queue.readQueueNums).toBe(4);
  expect(queue.writeQueueNums).toBe(4);
  expect(queue.perm).toBe(6);

  expect(route.brokerDatas).toHaveLength(1);
  const broker = route.brokerDatas[0]!;
  expect(broker.brokerName).toBe(BROKER_NAME);
  expect(broker.cluster).toBe(CLUSTER);
  // ali-ons indexes brokerAddrs by MixAll.MASTER_ID (the number 0).
  expect(broker.brokerAddrs[0]).toBe(BROKER_ADDR);
  expect(Object.keys(broker.brokerAddrs)).toEqual(["0"]);

  // ali-ons' own conversions of the route, as its producer and consumer use them.
  const publish = MQClient.prototype._topicRouteData2TopicPublishInfo(TOPIC, route);
  expect(publish.orderTopic).toBe(false);
  expect(publish.messageQueueList.map((q) => [q.topic, q.brokerName, q.queueId])).toEqual(
    [0, 1, 2, 3].map((id) => [TOPIC, BROKER_NAME, id]),
  );
  const subscribe = MQClient.prototype._topicRouteData2TopicSubscribeInfo(TOPIC, route);
  expect(subscribe.map((q) => q.queueId)).toEqual([0, 1, 2, 3]);

  expect(httpRequests).toEqual([]);
  expect(aliErrors).toEqual([]);
});

test("compat: ali-ons: route body has bare brokerAddrs keys, parsed by JSON2", async () => {
  aliLog.length = 0;
  const route = await ali!.getDefaultTopicRouteInfoFromNameServer(TOPIC, TIMEOUT_MS);
  expect(route.brokerDatas[0]?.brokerAddrs[0]).toBe(BROKER_ADDR);

  // getDefaultTopicRouteInfoFromNameServer logs the raw body at info level.
  const prefix = `[mq:client_api] get Topic [${TOPIC}] RouteInfoFromNameServer: `;
  const logged = aliLog.find((entry) => entry.line.startsWith(prefix));
  expect(logged).toBeDefined();
  const raw = logged!.line.slice(prefix.length);
  expect(raw).toContain(`"brokerAddrs":{0:"${BROKER_ADDR}"}`);
  expect(() => JSON.parse(raw)).toThrow();
});

test("compat: ali-ons: unknown topic raises MQClientException with TOPIC_NOT_EXIST", async () => {
  expect(AliResponseCode.TOPIC_NOT_EXIST).toBe(ResponseCode.TOPIC_NOT_EXIST);
  aliLog.length = 0;
  let caught: unknown = null;
  try {
    await ali!.getTopicRouteInfoFromNameServer("NoSuchCompatTopic", TIMEOUT_MS);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(Error);
  const err = caught as Error & { code?: number };
  expect(err.name).toBe("MQClientException");
  expect(err.code).toBe(17);
  expect(err.message).toContain(
    "No topic route info in name server for the topic: NoSuchCompatTopic",
  );
  expect(aliLog.some((e) => e.level === "warn" && e.line.includes("NoSuchCompatTopic"))).toBe(true);
  expect(httpRequests).toEqual([]);
});
