// The built `rmq namesrv` as a real process on 127.0.0.1, port 0, spoken to over TCP by our
// client with both header encodings.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SystemClock } from "../../core/common/clock.ts";
import { createLogger } from "../../core/common/log.ts";
import {
  createRequest,
  decodeClusterInfo,
  decodeTopicRouteData,
  RequestCode,
  ResponseCode,
  SerializeType,
  type SerializeTypeValue,
} from "../../core/protocol/index.ts";
import { RemotingClient } from "../../core/remoting/client.ts";
import { registerBrokerRequest } from "../harness/broker_registration.ts";
import { RmqProcess } from "../harness/rmq_process.ts";
import { waitFor } from "../harness/wait_for.ts";

const quiet = createLogger("test", { level: "error" });
const newClient = () => new RemotingClient({ clock: new SystemClock(), log: quiet });
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rmq-namesrv-it-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function startNamesrv(name: string, extraProperties = ""): RmqProcess {
  const conf = join(dir, `${name}.properties`);
  writeFileSync(
    conf,
    `kvConfigPath=${join(dir, name, "kvConfig.json")}\n` +
      `configStorePath=${join(dir, name, "namesrv.properties")}\n${extraProperties}`,
  );
  return new RmqProcess(["namesrv", "-c", conf, "--listen", "127.0.0.1:0"]);
}

const routeRequest = (
  topic: string,
  serializeType: SerializeTypeValue = SerializeType.JSON,
  version?: number,
) =>
  createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, {
    extFields: { topic },
    serializeType,
    version,
  });

describe("namesrv: process", () => {
  test("namesrv: process: brokers register and clients read routes in both encodings", async () => {
    await using ns = startNamesrv("a");
    const address = await ns.ready();
    const broker = newClient();
    const brokerB = newClient();
    const client = newClient();
    try {
      const json = await broker.invoke(
        address,
        registerBrokerRequest({ addr: "127.0.0.1:10911", topics: { TopicA: 4 } }),
      );
      expect(json.code).toBe(ResponseCode.SUCCESS);
      const binary = await brokerB.invoke(
        address,
        registerBrokerRequest({
          name: "broker-b",
          addr: "127.0.0.1:20911",
          topics: { TopicA: 2, TopicB: 1 },
          compressed: true,
          serializeType: SerializeType.ROCKETMQ,
        }),
      );
      expect(binary.code).toBe(ResponseCode.SUCCESS);
      expect(binary.serializeType).toBe(SerializeType.ROCKETMQ);

      for (const st of [SerializeType.JSON, SerializeType.ROCKETMQ]) {
        const answer = await client.invoke(address, routeRequest("TopicA", st));
        expect(answer.code).toBe(ResponseCode.SUCCESS);
        expect(answer.serializeType).toBe(st);
        const route = decodeTopicRouteData(answer.body!);
        const names = route.queueDatas.map((q) => `${q.brokerName}:${q.writeQueueNums}`).sort();
        expect(names).toEqual(["broker-a:4", "broker-b:2"]);
      }
      const old = await client.invoke(address, routeRequest("TopicB", SerializeType.JSON, 317));
      expect(new TextDecoder().decode(old.body!)).toContain('"brokerAddrs":{0:"127.0.0.1:20911"}');
      const fresh = await client.invoke(address, routeRequest("TopicB"));
      expect(new TextDecoder().decode(fresh.body!)).toContain(
        '"brokerAddrs":{"0":"127.0.0.1:20911"}',
      );

      const missing = await client.invoke(address, routeRequest("Nope"));
      expect(missing.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
      expect(missing.remark).toStartWith("No topic route info in name server for the topic: Nope");

      const info = await client.invoke(address, createRequest(RequestCode.GET_BROKER_CLUSTER_INFO));
      const cluster = decodeClusterInfo(info.body!);
      expect(cluster.clusterAddrTable.get("DefaultCluster")!.sort()).toEqual([
        "broker-a",
        "broker-b",
      ]);

      const unknown = await client.invoke(address, createRequest(9999));
      expect(unknown.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);

      // broker-a's connection closes: its routes go at once; broker-b, on another
      // connection, keeps its own.
      broker.close();
      const onlyB = await waitFor(async () => {
        const r = await client.invoke(address, routeRequest("TopicA"));
        const names = decodeTopicRouteData(r.body!).queueDatas.map((q) => q.brokerName);
        return names.length === 1 ? names : null;
      });
      expect(onlyB).toEqual(["broker-b"]);
      expect((await client.invoke(address, routeRequest("TopicB"))).code).toBe(
        ResponseCode.SUCCESS,
      );
    } finally {
      broker.close();
      brokerB.close();
      client.close();
    }
  });

  test("namesrv: process: a silent broker expires after brokerChannelExpiredTime", async () => {
    await using ns = startNamesrv(
      "expiry",
      "brokerChannelExpiredTime=400\nscanNotActiveBrokerInterval=100\n",
    );
    const address = await ns.ready();
    const broker = newClient();
    const client = newClient();
    try {
      await broker.invoke(
        address,
        registerBrokerRequest({ addr: "127.0.0.1:10911", topics: { T: 1 } }),
      );
      expect((await client.invoke(address, routeRequest("T"))).code).toBe(ResponseCode.SUCCESS);
      const started = performance.now();
      await waitFor(async () => (await client.invoke(address, routeRequest("T"))).code === 17, {
        what: "the silent broker to expire",
      });
      expect(performance.now() - started).toBeGreaterThan(200);
      expect(ns.stderr).toMatch(/broker 127\.0\.0\.1:10911 expired/);
    } finally {
      broker.close();
      client.close();
    }
  });

  test("namesrv: process: malformed frames close that connection only", async () => {
    await using ns = startNamesrv("malformed");
    const address = await ns.ready();
    const [host, port] = address.split(":");
    const closed = Promise.withResolvers<void>();
    const socket = await Bun.connect({
      hostname: host!,
      port: Number(port),
      socket: { data() {}, close: () => closed.resolve() },
    });
    socket.write(Uint8Array.of(0x7f, 0, 0, 0, 1, 2, 3, 4)); // a 2 GiB frame length
    await closed.promise;
    const client = newClient();
    try {
      const answer = await client.invoke(address, routeRequest("T"));
      expect(answer.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    } finally {
      client.close();
    }
    expect(ns.stderr).toMatch(/malformed input: frame length 2130706432 exceeds/);
  });

  test("namesrv: process: KV config survives a clean restart; SIGTERM exits 0", async () => {
    const client = newClient();
    try {
      {
        await using ns = startNamesrv("kv");
        const address = await ns.ready();
        const put = createRequest(RequestCode.PUT_KV_CONFIG, {
          extFields: { namespace: "ORDER_TOPIC_CONFIG", key: "TopicOrder", value: "broker-a:4" },
        });
        expect((await client.invoke(address, put)).code).toBe(ResponseCode.SUCCESS);
        ns.proc.kill("SIGTERM");
        expect(await ns.exited).toBe(0);
      }
      await using ns = startNamesrv("kv");
      const address = await ns.ready();
      const get = createRequest(RequestCode.GET_KV_CONFIG, {
        extFields: { namespace: "ORDER_TOPIC_CONFIG", key: "TopicOrder" },
      });
      const answer = await client.invoke(address, get);
      expect(answer.extFields?.get("value")).toBe("broker-a:4");
    } finally {
      client.close();
    }
  });

  test("namesrv: process: runtime config is read, updated and persisted", async () => {
    await using ns = startNamesrv("config");
    const address = await ns.ready();
    const client = newClient();
    const update = (text: string) =>
      client.invoke(
        address,
        createRequest(RequestCode.UPDATE_NAMESRV_CONFIG, { body: new TextEncoder().encode(text) }),
      );
    const readConfig = async () =>
      new TextDecoder().decode(
        (await client.invoke(address, createRequest(RequestCode.GET_NAMESRV_CONFIG))).body!,
      );
    try {
      expect(await readConfig()).toContain("enableTopicList=true\n");
      expect((await update("enableTopicList=false\n")).code).toBe(ResponseCode.SUCCESS);
      expect(await readConfig()).toContain("enableTopicList=false\n");
      // Read per request: the topic-list family is refused at once.
      const list = await client.invoke(
        address,
        createRequest(RequestCode.GET_TOPICS_BY_CLUSTER, { extFields: { cluster: "c" } }),
      );
      expect([list.code, list.remark]).toEqual([ResponseCode.SYSTEM_ERROR, "disable"]);
      expect(readFileSync(join(dir, "config", "namesrv.properties"), "utf8")).toContain(
        "enableTopicList=false\n",
      );
      const black = await update(`kvConfigPath=${join(dir, "elsewhere.json")}\n`);
      expect([black.code, black.remark]).toEqual([
        ResponseCode.NO_PERMISSION,
        "Can not update config in black list.",
      ]);
      // All or nothing: a bad value refuses the update, the good key beside it is not applied.
      const bad = await update("orderMessageEnable=true\nwaitSecondsForService=soon\n");
      expect(bad.code).toBe(ResponseCode.SYSTEM_ERROR);
      expect(bad.remark).toMatch(/waitSecondsForService: expected an integer/);
      expect(await readConfig()).toContain("orderMessageEnable=false\n");
      expect((await update("noSuchKey=1\n")).remark).toBe("unknown config key: noSuchKey");
    } finally {
      client.close();
    }
  });

  test("namesrv: process: two name servers keep independent routes", async () => {
    await using first = startNamesrv("one");
    await using second = startNamesrv("two");
    const [a, b] = await Promise.all([first.ready(), second.ready()]);
    const client = newClient();
    try {
      await client.invoke(
        a,
        registerBrokerRequest({ addr: "127.0.0.1:10911", topics: { OnlyA: 1 } }),
      );
      expect((await client.invoke(a, routeRequest("OnlyA"))).code).toBe(ResponseCode.SUCCESS);
      expect((await client.invoke(b, routeRequest("OnlyA"))).code).toBe(
        ResponseCode.TOPIC_NOT_EXIST,
      );
    } finally {
      client.close();
    }
  });
});
