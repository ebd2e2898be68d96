// The route table as pure state on a manual clock (spec §2.1-2.6).

import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../../core/common/clock.ts";
import { RouteTable, type RegisterBrokerInput } from "../../../core/namesrv/route_table.ts";
import { topicConfig, type TopicConfig } from "../../../core/protocol/topic_config.ts";

function topic(name: string, queues = 4, perm = 6): TopicConfig {
  return topicConfig(name, queues, perm);
}

function broker(overrides: Partial<RegisterBrokerInput> = {}): RegisterBrokerInput {
  return {
    clusterName: "DefaultCluster",
    brokerAddr: "10.0.0.1:10911",
    brokerName: "broker-a",
    brokerId: 0,
    haServerAddr: "10.0.0.1:10912",
    dataVersion: { counter: 1, stateVersion: 0, timestamp: 1 },
    topicConfigTable: new Map([
      ["TopicA", topic("TopicA")],
      ["TBW102", topic("TBW102", 8, 7)],
    ]),
    filterServerList: [],
    channelId: 1,
    ...overrides,
  };
}

function newTable(options: Partial<ConstructorParameters<typeof RouteTable>[0]> = {}) {
  const clock = new ManualClock();
  const routes = new RouteTable({
    clock,
    brokerChannelExpiredTimeMs: 120_000,
    deleteTopicWithBrokerRegistration: false,
    supportActingMaster: false,
    ...options,
  });
  return { clock, routes };
}

describe("namesrv: route table", () => {
  test("namesrv: route table: a registered master serves its topics' routes", () => {
    const { routes } = newTable();
    expect(routes.registerBroker(broker())).toEqual({ kind: "registered" });
    const route = routes.pickupTopicRouteData("TopicA")!;
    expect(route.queueDatas).toEqual([
      { brokerName: "broker-a", readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 },
    ]);
    expect(route.brokerDatas[0]!.brokerAddrs).toEqual(new Map([[0, "10.0.0.1:10911"]]));
    expect(routes.pickupTopicRouteData("Nope")).toBeUndefined();
    expect(routes.clusterAddrTable.get("DefaultCluster")).toEqual(new Set(["broker-a"]));
  });

  test("namesrv: route table: a broker silent for 120 s expires, one heartbeat keeps it", () => {
    const { clock, routes } = newTable();
    routes.registerBroker(broker());
    clock.advance(100_000);
    routes.touchBroker("DefaultCluster", "10.0.0.1:10911");
    clock.advance(100_000);
    expect(routes.scanNotActiveBroker()).toEqual([]);
    clock.advance(20_001);
    expect(routes.scanNotActiveBroker()).toEqual([{ brokerAddr: "10.0.0.1:10911", channelId: 1 }]);
    expect(routes.pickupTopicRouteData("TopicA")).toBeUndefined();
    expect(routes.brokerAddrTable.size).toBe(0);
    expect(routes.clusterAddrTable.size).toBe(0);
  });

  test("namesrv: route table: a broker's own heartbeat timeout overrides the default", () => {
    const { clock, routes } = newTable();
    routes.registerBroker(broker({ heartbeatTimeoutMs: 10_000 }));
    clock.advance(10_001);
    expect(routes.scanNotActiveBroker()).toHaveLength(1);
  });

  test("namesrv: route table: closing a broker's channel drops its routes at once", () => {
    const { routes } = newTable();
    routes.registerBroker(broker());
    routes.registerBroker(
      broker({ brokerName: "broker-b", brokerAddr: "10.0.0.2:10911", channelId: 2 }),
    );
    expect(routes.onChannelDestroy(1)).toEqual(["10.0.0.1:10911"]);
    const route = routes.pickupTopicRouteData("TopicA")!;
    expect(route.brokerDatas.map((b) => b.brokerName)).toEqual(["broker-b"]);
    expect(routes.onChannelDestroy(99)).toEqual([]);
  });

  test("namesrv: route table: a slave learns its master; losing the master keeps it", () => {
    const { routes } = newTable();
    routes.registerBroker(broker());
    const slave = routes.registerBroker(
      broker({
        brokerId: 1,
        brokerAddr: "10.0.0.3:10911",
        haServerAddr: "10.0.0.3:10912",
        channelId: 3,
      }),
    );
    expect(slave).toEqual({
      kind: "registered",
      masterAddr: "10.0.0.1:10911",
      haServerAddr: "10.0.0.1:10912",
    });
    routes.onChannelDestroy(1);
    const route = routes.pickupTopicRouteData("TopicA")!;
    expect(route.brokerDatas[0]!.brokerAddrs).toEqual(new Map([[1, "10.0.0.3:10911"]]));
  });

  test("namesrv: route table: slave -> master switch replaces the old id of that address", () => {
    const { routes } = newTable();
    routes.registerBroker(
      broker({ brokerId: 1, brokerAddr: "10.0.0.3:10911", enableActingMaster: false }),
    );
    routes.registerBroker(broker({ brokerId: 0, brokerAddr: "10.0.0.3:10911" }));
    expect(routes.brokerAddrTable.get("broker-a")!.brokerAddrs).toEqual(
      new Map([[0, "10.0.0.3:10911"]]),
    );
  });

  test("namesrv: route table: a lower state version cannot take over a brokerId", () => {
    const { routes } = newTable();
    routes.registerBroker(broker({ dataVersion: { counter: 1, stateVersion: 5, timestamp: 1 } }));
    const result = routes.registerBroker(
      broker({
        brokerAddr: "10.0.0.9:10911",
        dataVersion: { counter: 1, stateVersion: 4, timestamp: 1 },
      }),
    );
    expect(result).toEqual({ kind: "stale" });
    expect(routes.brokerAddrTable.get("broker-a")!.brokerAddrs.get(0)).toBe("10.0.0.1:10911");
  });

  test("namesrv: route table: a single-topic registration must follow a full one", () => {
    const { routes } = newTable();
    const single = broker({ topicConfigTable: new Map([["TopicA", topic("TopicA")]]) });
    expect(routes.registerBroker(single)).toEqual({ kind: "refused" });
    routes.registerBroker(broker());
    expect(
      routes.registerBroker({ ...single, topicConfigTable: new Map([["New", topic("New")]]) }),
    ).toEqual({ kind: "registered" });
    expect(routes.pickupTopicRouteData("New")).toBeDefined();
  });

  test("namesrv: route table: an unchanged data version does not overwrite queue data", () => {
    const { routes } = newTable();
    routes.registerBroker(broker());
    routes.changeWritePerm("broker-a", "wipe");
    routes.registerBroker(broker()); // same dataVersion: a plain heartbeat
    expect(routes.pickupTopicRouteData("TopicA")!.queueDatas[0]!.perm).toBe(4);
    routes.registerBroker(broker({ dataVersion: { counter: 2, stateVersion: 0, timestamp: 2 } }));
    expect(routes.pickupTopicRouteData("TopicA")!.queueDatas[0]!.perm).toBe(6);
  });

  test("namesrv: route table: several clusters keep their own brokers and topics", () => {
    const { routes } = newTable();
    routes.registerBroker(broker());
    routes.registerBroker(
      broker({
        clusterName: "Other",
        brokerName: "broker-x",
        brokerAddr: "10.0.1.1:10911",
        topicConfigTable: new Map([
          ["OnlyX", topic("OnlyX")],
          ["TopicA", topic("TopicA", 2)],
        ]),
        channelId: 7,
      }),
    );
    expect(routes.topicsByCluster("Other").sort()).toEqual(["OnlyX", "TopicA"]);
    expect(routes.topicsByCluster("DefaultCluster").sort()).toEqual(["TBW102", "TopicA"]);
    expect(routes.pickupTopicRouteData("TopicA")!.brokerDatas).toHaveLength(2);
    routes.deleteTopic("TopicA", "Other");
    expect(routes.pickupTopicRouteData("TopicA")!.brokerDatas.map((b) => b.brokerName)).toEqual([
      "broker-a",
    ]);
    expect(routes.systemTopics().topics.sort()).toEqual(
      ["DefaultCluster", "Other", "broker-a", "broker-x"].sort(),
    );
  });

  test("namesrv: route table: wipe and add write permission count topics", () => {
    const { routes } = newTable();
    routes.registerBroker(broker());
    expect(routes.changeWritePerm("broker-a", "wipe")).toBe(2);
    expect(routes.pickupTopicRouteData("TBW102")!.queueDatas[0]!.perm).toBe(5);
    expect(routes.changeWritePerm("broker-a", "add")).toBe(2);
    expect(routes.pickupTopicRouteData("TBW102")!.queueDatas[0]!.perm).toBe(6);
    expect(routes.changeWritePerm("nobody", "wipe")).toBe(0);
  });

  test("namesrv: route table: deleteTopicWithBrokerRegistration drops unlisted topics", () => {
    const { routes } = newTable({ deleteTopicWithBrokerRegistration: true });
    routes.registerBroker(broker());
    routes.registerBroker(
      broker({
        dataVersion: { counter: 2, stateVersion: 0, timestamp: 2 },
        topicConfigTable: new Map([
          ["TBW102", topic("TBW102")],
          ["Other", topic("Other")],
        ]),
      }),
    );
    expect(routes.pickupTopicRouteData("TopicA")).toBeUndefined();
  });

  test("namesrv: route table: acting master: the lowest slave shows as id 0", () => {
    const { routes } = newTable({ supportActingMaster: true });
    routes.registerBroker(broker({ enableActingMaster: true }));
    routes.registerBroker(
      broker({ brokerId: 2, brokerAddr: "10.0.0.5:10911", enableActingMaster: true, channelId: 5 }),
    );
    routes.onChannelDestroy(1); // the master goes: the group loses write permission
    const route = routes.pickupTopicRouteData("TopicA")!;
    expect(route.queueDatas[0]!.perm & 2).toBe(0);
    expect(route.brokerDatas[0]!.brokerAddrs).toEqual(new Map([[0, "10.0.0.5:10911"]]));
  });

  test("namesrv: route table: REGISTER_TOPIC_IN_NAMESRV needs known brokers", () => {
    const { routes } = newTable();
    const q = {
      brokerName: "broker-a",
      readQueueNums: 1,
      writeQueueNums: 1,
      perm: 6,
      topicSysFlag: 0,
    };
    expect(routes.registerTopic("T", [q])).toBe(false);
    routes.registerBroker(broker());
    expect(routes.registerTopic("T", [q])).toBe(true);
    expect(routes.pickupTopicRouteData("T")!.queueDatas).toEqual([q]);
  });
});
