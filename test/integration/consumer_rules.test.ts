// Consumer rules of RocketMQ 4.9.7 on a real `rmq broker`: a new group's offset query on a
// queue whose first message is far behind the log's end is "not found" (so the client starts
// where its consumeFromWhere says, not at 0); a group that may not consume by broadcast is
// refused when its members say they do; the stats mqadmin reads come as 4.9.7 writes them
// (their shapes checked against its captured answers); with group auto-creation off, members
// still register and an operator creates and deletes the group (mqadmin updateSubGroup,
// deleteSubGroup); and the broker's notifyConsumerIdsChangedEnable silences member notices.

import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SystemClock } from "../../core/common/clock.ts";
import { createLogger } from "../../core/common/log.ts";
import {
  createRequest,
  encodeHeartbeat,
  RequestCode,
  ResponseCode,
} from "../../core/protocol/index.ts";
import { RemotingClient } from "../../core/remoting/client.ts";
import { ProcessorTable } from "../../core/remoting/processor_table.ts";
import { parseLenientJson } from "../../core/protocol/fastjson.ts";
import { pullRequest } from "../harness/raw_requests.ts";
import { runRmq } from "../harness/rmq_process.ts";
import { sharedFixturesDir, wireRecords } from "../harness/shared_fixtures.ts";
import { startSingleNode } from "../harness/single_node.ts";

const client = () =>
  new RemotingClient({ clock: new SystemClock(), log: createLogger("test", { level: "error" }) });

/** A HEART_BEAT of one consumer of `group` subscribing to all of `topic`. */
function heartbeatOf(
  remoting: RemotingClient,
  address: string,
  group: string,
  messageModel: string,
  topic: string,
  clientID = `client-${group}`,
) {
  return remoting.invoke(
    address,
    createRequest(RequestCode.HEART_BEAT, {
      body: encodeHeartbeat({
        clientID,
        producerDataSet: [],
        consumerDataSet: [
          {
            groupName: group,
            consumeType: "CONSUME_PASSIVELY",
            messageModel,
            consumeFromWhere: "CONSUME_FROM_FIRST_OFFSET",
            subscriptionDataSet: [
              {
                topic,
                subString: "*",
                tagsSet: [],
                codeSet: [],
                subVersion: 1,
                expressionType: "TAG",
                classFilterMode: false,
              },
            ],
            unitMode: false,
          },
        ],
      }),
    }),
  );
}

async function queryOffset(remoting: RemotingClient, address: string, group: string) {
  return remoting.invoke(
    address,
    createRequest(RequestCode.QUERY_CONSUMER_OFFSET, {
      extFields: { consumerGroup: group, topic: "Backlog", queueId: 0 },
    }),
  );
}

test("consumer rules: a new group's offset: 0 while the queue's start is in memory", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rmq-consumer-rules-"));
  // accessMessageInMemoryMaxRatio=0: every stored byte counts as far behind the end.
  const far = await startSingleNode(join(dir, "far"), "accessMessageInMemoryMaxRatio=0\n");
  await using _far = far.node;
  const near = await startSingleNode(join(dir, "near"));
  await using _near = near.node;
  const remoting = client();
  try {
    for (const node of [far, near]) {
      // Enough for every queue of the new topic, queue 0 included.
      const sent = await runRmq([
        "produce",
        "-n",
        node.namesrv,
        "-t",
        "Backlog",
        "--body",
        "x",
        "--count",
        "16",
      ]);
      expect(sent.exitCode).toBe(0);
    }
    const notFound = await queryOffset(remoting, far.address, "newcomer");
    expect(notFound.code).toBe(ResponseCode.QUERY_NOT_FOUND);
    const zero = await queryOffset(remoting, near.address, "newcomer");
    expect([zero.code, zero.extFields?.get("offset")]).toEqual([ResponseCode.SUCCESS, "0"]);
  } finally {
    remoting.close();
  }
}, 30_000);

test("consumer rules: consumeBroadcastEnable=false refuses a broadcasting group", async () => {
  const store = mkdtempSync(join(tmpdir(), "rmq-consumer-rules-"));
  mkdirSync(join(store, "config"));
  writeFileSync(
    join(store, "config", "subscriptionGroup.json"),
    JSON.stringify({
      subscriptionGroupTable: {
        solo: { groupName: "solo", consumeBroadcastEnable: false },
        shared: { groupName: "shared" },
      },
    }),
  );
  const node = await startSingleNode(store);
  await using _node = node.node;
  expect(
    (await runRmq(["produce", "-n", node.namesrv, "-t", "Wide", "--body", "x"])).exitCode,
  ).toBe(0);
  const remoting = client();
  try {
    const heartbeat = (group: string) =>
      heartbeatOf(remoting, node.address, group, "BROADCASTING", "Wide");
    // As a Java push consumer pulls by default: no SUBSCRIPTION flag, the heartbeat's filter.
    const pull = (group: string) =>
      remoting.invoke(
        node.address,
        pullRequest({ consumerGroup: group, topic: "Wide", queueId: 0, subVersion: 1 }),
      );
    const unknown = await pull("solo");
    expect([unknown.code, unknown.remark?.split("\n")[0]]).toEqual([
      ResponseCode.SUBSCRIPTION_NOT_EXIST,
      "the consumer's group info not exist",
    ]);
    for (const group of ["solo", "shared"]) {
      expect((await heartbeat(group)).code).toBe(ResponseCode.SUCCESS);
    }
    const refused = await pull("solo");
    expect([refused.code, refused.remark]).toEqual([
      ResponseCode.NO_PERMISSION,
      "the consumer group[solo] can not consume by broadcast way",
    ]);
    const allowed: number[] = [ResponseCode.SUCCESS, ResponseCode.PULL_NOT_FOUND];
    expect(allowed).toContain((await pull("shared")).code);
  } finally {
    remoting.close();
  }
}, 30_000);

/** What RocketMQ 4.9.7 answered a request of `code` in the admin capture, if it is here. */
function capturedBody(code: number): string | undefined {
  if (!sharedFixturesDir) return undefined;
  const records = wireRecords("07-admin-query-and-unknown-code.jsonl");
  const asked = records.find((r) => r.dir === "c2s" && r.decoded.code === code);
  const answer = records.find(
    (r) => r.dir === "s2c" && r.decoded.isResponse && r.decoded.opaque === asked?.decoded.opaque,
  );
  return answer?.decoded.bodyText ?? undefined;
}

/** A body `{<before>"offsetTable":{{mq}:{<value>},...}}`, every entry's value shaped alike. */
function tableShape(before: string, value: string): RegExp {
  const entry = `\\{"brokerName":"[^"]+","queueId":\\d+,"topic":"[^"]+"\\}:\\{${value}\\}`;
  return new RegExp(`^\\{${before}"offsetTable":\\{${entry}(,${entry})*\\}\\}$`);
}
const consumeStatsShape = tableShape(
  '"consumeTps":0\\.0,',
  '"brokerOffset":\\d+,"consumerOffset":\\d+,"lastTimestamp":\\d+',
);
const topicStatsShape = tableShape(
  "",
  '"lastUpdateTimestamp":\\d+,"maxOffset":\\d+,"minOffset":\\d+',
);

test("consumer rules: the stats mqadmin reads, as RocketMQ writes them", async () => {
  const node = await startSingleNode(mkdtempSync(join(tmpdir(), "rmq-consumer-rules-")));
  await using _node = node.node;
  const sent = ["produce", "-n", node.namesrv, "-t", "Stats", "--body", "x", "--count", "16"];
  expect((await runRmq(sent)).exitCode).toBe(0);
  const remoting = client();
  const text = (body: Uint8Array | null) => new TextDecoder().decode(body ?? new Uint8Array());
  const ask = (code: number, extFields: Record<string, string>) =>
    remoting.invoke(node.address, createRequest(code, { extFields }));
  try {
    const offline = await ask(RequestCode.GET_CONSUMER_CONNECTION_LIST, { consumerGroup: "stats" });
    expect([offline.code, offline.remark]).toEqual([
      ResponseCode.CONSUMER_NOT_ONLINE,
      "the consumer group[stats] not online",
    ]);
    expect((await heartbeatOf(remoting, node.address, "stats", "CLUSTERING", "Stats")).code).toBe(
      ResponseCode.SUCCESS,
    );
    const commit = await ask(RequestCode.UPDATE_CONSUMER_OFFSET, {
      consumerGroup: "stats",
      topic: "Stats",
      queueId: "0",
      commitOffset: "1",
    });
    expect(commit.code).toBe(ResponseCode.SUCCESS);

    const stats = await ask(RequestCode.GET_CONSUME_STATS, { consumerGroup: "stats" });
    expect(stats.code).toBe(ResponseCode.SUCCESS);
    expect(text(stats.body)).toMatch(consumeStatsShape);
    const table = (parseLenientJson(text(stats.body)) as any).offsetTable;
    const queue0 = Object.entries(table).find(([key]) => {
      const queue = JSON.parse(key);
      return queue.topic === "Stats" && queue.queueId === 0;
    })?.[1] as { consumerOffset: number; brokerOffset: number; lastTimestamp: number };
    expect(queue0.consumerOffset).toBe(1);
    expect(queue0.brokerOffset).toBeGreaterThanOrEqual(1);
    expect(queue0.lastTimestamp).toBeGreaterThan(Date.now() - 60_000);

    const connections = await ask(RequestCode.GET_CONSUMER_CONNECTION_LIST, {
      consumerGroup: "stats",
    });
    const members = parseLenientJson(text(connections.body)) as any;
    expect(members.connectionSet.map((c: any) => c.clientId)).toEqual(["client-stats"]);
    expect([members.messageModel, Object.keys(members.subscriptionTable)]).toEqual([
      "CLUSTERING",
      ["Stats"],
    ]);

    const topic = await ask(RequestCode.GET_TOPIC_STATS_INFO, { topic: "Stats" });
    expect(text(topic.body)).toMatch(topicStatsShape);
    const queues = Object.values((parseLenientJson(text(topic.body)) as any).offsetTable);
    expect(queues.reduce((n: number, q: any) => n + q.maxOffset, 0)).toBe(16);
    const readers = await ask(RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, { topic: "Stats" });
    expect(parseLenientJson(text(readers.body))).toEqual({ groupList: ["stats"] });
    const spans = await ask(RequestCode.QUERY_CONSUME_TIME_SPAN, {
      topic: "Stats",
      group: "stats",
    });
    const set = (parseLenientJson(text(spans.body)) as any).consumeTimeSpanSet;
    expect(set.map((s: any) => s.messageQueue.queueId)).toEqual([0, 1, 2, 3]);
    const [first] = set;
    expect(first.consumeTimeStamp).toBe(first.minTimeStamp); // committed 1: consumed message 0
    expect(first.maxTimeStamp).toBeGreaterThanOrEqual(first.minTimeStamp);
    expect(first.delayTime).toBeGreaterThanOrEqual(0);
    expect(Object.keys(first)).toEqual([
      "consumeTimeStamp",
      "consumeTimeStampStr",
      "delayTime",
      "maxTimeStamp",
      "maxTimeStampStr",
      "messageQueue",
      "minTimeStamp",
      "minTimeStampStr",
    ]);
    expect(first.minTimeStampStr).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}$/);
    const noProducers = await ask(RequestCode.GET_PRODUCER_CONNECTION_LIST, {
      producerGroup: "pg",
    });
    expect([noProducers.code, noProducers.remark]).toEqual([
      ResponseCode.SYSTEM_ERROR,
      "the producer group[pg] not exist",
    ]);
    const producerBeat = await remoting.invoke(
      node.address,
      createRequest(RequestCode.HEART_BEAT, {
        body: encodeHeartbeat({
          clientID: "producer-1",
          producerDataSet: [{ groupName: "pg" }],
          consumerDataSet: [],
        }),
      }),
    );
    expect(producerBeat.code).toBe(ResponseCode.SUCCESS);
    const producers = await ask(RequestCode.GET_PRODUCER_CONNECTION_LIST, { producerGroup: "pg" });
    const producerSet = (parseLenientJson(text(producers.body)) as any).connectionSet;
    expect(producerSet.map((c: any) => c.clientId)).toEqual(["producer-1"]);

    // mqadmin brokerConsumeStats: every group's stats here, and the summed lag.
    const all = parseLenientJson(
      text((await ask(RequestCode.GET_BROKER_CONSUME_STATS, { isOrder: "false" })).body),
    ) as any;
    expect([all.brokerAddr, all.totalDiff]).toEqual([node.address, 15]);
    expect(Object.keys(all)).toEqual(["brokerAddr", "consumeStatsList", "totalDiff"]);
    const ofStats = all.consumeStatsList.find((entry: any) => "stats" in entry).stats;
    expect(Object.keys(ofStats[0].offsetTable)).toHaveLength(4);

    // mqadmin queryCq: queue 0's units, with the group's subscription.
    const cq = await ask(RequestCode.QUERY_CONSUME_QUEUE, {
      topic: "Stats",
      queueId: "0",
      index: "1",
      count: "10",
      consumerGroup: "stats",
    });
    const units = parseLenientJson(text(cq.body)) as any;
    expect([units.minQueueIndex, units.maxQueueIndex, units.queueData.length]).toEqual([0, 4, 3]);
    expect(units.queueData[0].physicSize).toBeGreaterThan(0);
    expect([units.filterData, units.subscriptionData.topic]).toEqual(["null", "Stats"]);
    expect(Object.keys(units)).toEqual([
      "filterData",
      "maxQueueIndex",
      "minQueueIndex",
      "queueData",
      "subscriptionData",
    ]);
    expect(Object.keys(units.queueData[0])).toEqual([
      "eval",
      "physicOffset",
      "physicSize",
      "tagsCode",
    ]);
    const past = await ask(RequestCode.QUERY_CONSUME_QUEUE, {
      topic: "Stats",
      queueId: "0",
      index: "4",
      count: "10",
    });
    expect([past.code, past.remark, past.body]).toEqual([
      ResponseCode.SUCCESS,
      "Index 4 of 0@Stats is not exist!",
      null,
    ]);
    const system = await ask(RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_BROKER, {});
    const systemTopics = (parseLenientJson(text(system.body)) as any).topicList;
    for (const topic of ["TBW102", "DefaultCluster", "DefaultCluster_REPLY_TOPIC"]) {
      expect(systemTopics).toContain(topic);
    }

    // mqadmin cloneGroupOffset, with the topic named and without.
    for (const [destGroup, topic] of [
      ["copy", "Stats"],
      ["copyAll", ""],
    ]) {
      const cloned = await ask(RequestCode.CLONE_GROUP_OFFSET, {
        srcGroup: "stats",
        destGroup: destGroup!,
        topic: topic!,
        offline: "false",
      });
      expect(cloned.code).toBe(ResponseCode.SUCCESS);
      const copied = await ask(RequestCode.QUERY_CONSUMER_OFFSET, {
        consumerGroup: destGroup!,
        topic: "Stats",
        queueId: "0",
      });
      expect([destGroup, copied.code, copied.extFields?.get("offset")]).toEqual([
        destGroup,
        ResponseCode.SUCCESS,
        "1",
      ]);
    }

    const missing = await ask(RequestCode.GET_TOPIC_STATS_INFO, { topic: "Nowhere" });
    expect([missing.code, missing.remark]).toEqual([
      ResponseCode.TOPIC_NOT_EXIST,
      "topic[Nowhere] not exist",
    ]);

    // The same shapes as RocketMQ 4.9.7's own answers in the capture.
    if (sharedFixturesDir) {
      expect(capturedBody(RequestCode.GET_CONSUME_STATS)).toMatch(consumeStatsShape);
      expect(capturedBody(RequestCode.GET_TOPIC_STATS_INFO)).toMatch(topicStatsShape);
    }
  } finally {
    remoting.close();
  }
}, 30_000);

test("consumer rules: auto-creation off: members register; an operator makes groups", async () => {
  const node = await startSingleNode(
    mkdtempSync(join(tmpdir(), "rmq-consumer-rules-")),
    "autoCreateSubscriptionGroup=false\n",
  );
  await using _node = node.node;
  expect((await runRmq(["produce", "-n", node.namesrv, "-t", "Ops", "--body", "x"])).exitCode).toBe(
    0,
  );
  const remoting = client();
  const ask = (code: number, extFields: Record<string, string>, body?: string) =>
    remoting.invoke(
      node.address,
      createRequest(code, {
        extFields,
        body: body === undefined ? undefined : new TextEncoder().encode(body),
      }),
    );
  const pull = () =>
    remoting.invoke(
      node.address,
      pullRequest({ consumerGroup: "ops", topic: "Ops", queueId: 0, subVersion: 1 }),
    );
  const groups = async () => {
    const all = await ask(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, {});
    return parseLenientJson(new TextDecoder().decode(all.body!)) as any;
  };
  try {
    // As in RocketMQ 4.9.7: the members of a group that does not exist are still listed.
    expect((await heartbeatOf(remoting, node.address, "ops", "CLUSTERING", "Ops")).code).toBe(
      ResponseCode.SUCCESS,
    );
    const listed = await ask(RequestCode.GET_CONSUMER_LIST_BY_GROUP, { consumerGroup: "ops" });
    expect(listed.code).toBe(ResponseCode.SUCCESS);
    expect((await pull()).code).toBe(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST);
    const before = (await groups()).dataVersion.counter;

    for (const bad of ["{", '{"retryMaxTimes":3}', '{"groupName":"a b"}']) {
      const refused = await ask(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, {}, bad);
      expect([bad, refused.code]).toEqual([bad, ResponseCode.SYSTEM_ERROR]);
    }
    const made = await ask(
      RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
      {},
      '{"groupName":"ops","retryMaxTimes":3,"consumeBroadcastEnable":false}',
    );
    expect(made.code).toBe(ResponseCode.SUCCESS);
    const after = await groups();
    expect(after.dataVersion.counter).toBe(before + 1);
    expect(after.subscriptionGroupTable.ops).toMatchObject({
      retryMaxTimes: 3,
      consumeBroadcastEnable: false,
      consumeEnable: true,
    });
    const found: number[] = [ResponseCode.SUCCESS, ResponseCode.PULL_NOT_FOUND];
    expect(found).toContain((await pull()).code);

    const commit = { consumerGroup: "ops", topic: "Ops", queueId: "0", commitOffset: "1" };
    expect((await ask(RequestCode.UPDATE_CONSUMER_OFFSET, commit)).code).toBe(ResponseCode.SUCCESS);
    const deleted = await ask(RequestCode.DELETE_SUBSCRIPTIONGROUP, {
      groupName: "ops",
      removeOffset: "true",
    });
    expect(deleted.code).toBe(ResponseCode.SUCCESS);
    expect((await groups()).subscriptionGroupTable.ops).toBeUndefined();
    const offsets = await ask(RequestCode.GET_ALL_CONSUMER_OFFSET, {});
    expect(new TextDecoder().decode(offsets.body!)).not.toContain("Ops@ops");
    expect((await pull()).code).toBe(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST);
  } finally {
    remoting.close();
  }
}, 30_000);

test("consumer rules: new members are announced unless the broker says not to", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rmq-consumer-rules-"));
  for (const [name, conf, told] of [
    ["on", "", 1],
    ["off", "notifyConsumerIdsChangedEnable=false\n", 0],
  ] as const) {
    const node = await startSingleNode(join(dir, name), conf);
    await using _node = node.node;
    const notices: string[] = [];
    const processors = new ProcessorTable().register(
      RequestCode.NOTIFY_CONSUMER_IDS_CHANGED,
      (request) => {
        notices.push(request.extFields?.get("consumerGroup") ?? "");
        return null;
      },
    );
    const log = createLogger("test", { level: "error" });
    const first = new RemotingClient({ clock: new SystemClock(), log, processors });
    const second = client();
    try {
      const arrive = (remoting: RemotingClient, id: string) =>
        heartbeatOf(remoting, node.address, "pair", "CLUSTERING", "Pair", id);
      expect((await arrive(first, "first")).code).toBe(ResponseCode.SUCCESS);
      notices.length = 0; // its own arrival
      expect((await arrive(second, "second")).code).toBe(ResponseCode.SUCCESS);
      // The broker sends a notice before it answers; an answer on the first member's own
      // connection after that comes behind any notice.
      const members = await first.invoke(
        node.address,
        createRequest(RequestCode.GET_CONSUMER_LIST_BY_GROUP, {
          extFields: { consumerGroup: "pair" },
        }),
      );
      expect(members.code).toBe(ResponseCode.SUCCESS);
      expect([name, notices]).toEqual([name, told ? ["pair"] : []]);
    } finally {
      first.close();
      second.close();
    }
  }
}, 30_000);
