// Compatibility: the unmodified npm client ali-ons (3.12.0) produces to and consumes from a real
// `rmq broker` process (broker plus embedded name server) with its own Producer and push
// Consumer. Everything stays on 127.0.0.1: `nameSrv` points at the embedded name server, so the
// `httpclient` ali-ons insists on is never called (ours refuses and records any call).
//
// ali-ons shares one MQClient (sockets, timers, route tables) between all producers and
// consumers with the same clientId (ip@instanceName); each client here gets its own
// instanceName, so closing a consumer really closes its connections. The restarted consumer
// reuses the first one's instanceName, i.e. the same clientId, as a restarted process would.
// Consumer offsets and queue max offsets are read back from the broker through ali-ons' own
// MQClientAPI (QUERY_CONSUMER_OFFSET, GET_MAX_OFFSET). The tests run in order and share the
// topic: later ones consume what earlier ones sent.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { format } from "node:util";
import type { RmqProcess } from "../harness/rmq_process.ts";
import { startSingleNode } from "../harness/single_node.ts";
import { waitFor } from "../harness/wait_for.ts";

// ali-ons ships no types: the slice of its API this test touches.
interface AliLogger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug(...args: unknown[]): void;
}
interface AliMessage {
  topic: string;
  tags: string | null;
  get keys(): string | undefined;
  set keys(keys: string[]);
  body: Buffer;
  msgId: string;
  queueId: number;
  queueOffset: number;
  reconsumeTimes: number;
  properties?: Record<string, string>;
  setStartDeliverTime(timestampMs: number): void;
}
interface AliMessageCtor {
  new (topic: string, tags: string, body: string | Buffer): AliMessage;
}
interface AliMessageQueue {
  topic: string;
  brokerName: string;
  queueId: number | string;
}
interface AliSendResult {
  sendStatus: string;
  msgId: string;
  messageQueue: AliMessageQueue;
  queueOffset: number;
}
interface AliPullResult {
  pullStatus: string;
  msgFoundList: AliMessage[];
}
interface AliClient {
  ready(): Promise<void>;
  close(): Promise<void>;
  on(event: "error", listener: (err: Error) => void): void;
}
interface AliProducer extends AliClient {
  send(msg: AliMessage): Promise<AliSendResult>;
  _mqClient: {
    updateTopicRouteInfoFromNameServer(
      topic: string,
      isDefault: boolean,
      producer: AliProducer,
    ): Promise<void>;
  };
}
interface AliConsumer extends AliClient {
  subscribe(
    topic: string,
    tags: string,
    handler: (msg: AliMessage) => Promise<void | symbol>,
  ): void;
  pullKernelImpl(...args: unknown[]): Promise<AliPullResult>;
}
interface AliOptions {
  nameSrv: string[];
  httpclient: { request(url: string, options?: unknown): Promise<unknown> };
  logger: AliLogger;
}
interface AliProducerCtor {
  new (options: AliOptions & { instanceName: string; producerGroup: string }): AliProducer;
  defaultProducer?: AliProducer | null;
}
interface AliConsumerCtor {
  /** What a handler returns to have its message delivered again later. */
  ACTION_RETRY: symbol;
  new (
    options: AliOptions & {
      instanceName: string;
      consumerGroup: string;
      consumeFromWhere: string;
      rebalanceInterval: number;
      persistConsumerOffsetInterval: number;
      isBroadcast?: boolean;
    },
  ): AliConsumer;
}
interface AliMQClientAPI extends AliClient {
  getTopicRouteInfoFromNameServer(
    topic: string,
    timeoutMillis: number,
  ): Promise<{ queueDatas: { perm: number; readQueueNums: number; writeQueueNums: number }[] }>;
  queryConsumerOffset(
    brokerAddr: string,
    header: { consumerGroup: string; topic: string; queueId: number },
    timeoutMillis: number,
  ): Promise<number>;
  getMaxOffset(
    brokerAddr: string,
    topic: string,
    queueId: number,
    timeoutMillis: number,
  ): Promise<number>;
}

const require = createRequire(import.meta.url);
const ali = require("ali-ons") as {
  Producer: AliProducerCtor;
  Consumer: AliConsumerCtor;
  Message: AliMessageCtor;
};
const MQClientAPI = require("ali-ons/lib/mq_client_api.js") as {
  new (options: AliOptions & { responseTimeout: number }): AliMQClientAPI;
};

const TOPIC = "AliOnsBrokerTopic";
const GROUP_ALL = "AliOnsGroupAll";
const GROUP_TAG_A = "AliOnsGroupTagA";
const GROUP_RETRY = "AliOnsGroupRetry";
const GROUP_BROADCAST = "AliOnsGroupBroadcast";
const QUEUES = 4; // ali-ons' defaultTopicQueueNums; TBW102 has 8, the broker takes the minimum
const FIRST_BATCH = 20;
const SECOND_BATCH = 5;
const TIMEOUT_MS = 3_000;
// Normal runs take about 1.5 s in all; these bound a failing run well inside bun's 30 s per test.
const DELIVERY_TIMEOUT_MS = 8_000;
const COMMIT_TIMEOUT_MS = 5_000;

let dir = "";
let broker: RmqProcess | null = null;
let brokerAddr = "";
let namesrvAddr = "";
let admin: AliMQClientAPI | null = null;
let producer: AliProducer | null = null;
const sent: AliSendResult[] = []; // the first batch's send results
const clients: AliClient[] = [];
const aliLog: string[] = [];
const aliErrors: Error[] = [];
const httpRequests: string[] = [];

function aliLogger(): AliLogger {
  const keep =
    (level: string) =>
    (...args: unknown[]) => {
      aliLog.push(`${level} ${format(...args)}`);
    };
  return { info: keep("info"), warn: keep("warn"), error: keep("error"), debug: () => {} };
}

function aliOptions(): AliOptions {
  return {
    nameSrv: [namesrvAddr],
    httpclient: {
      request: (url: string) => {
        httpRequests.push(url);
        return Promise.reject(new Error(`test: no HTTP allowed (${url})`));
      },
    },
    logger: aliLogger(),
  };
}

// Clients whose close has begun. ali-ons' close does not wait for a rebalance in flight: its
// offset query can fail with "The socket was closed" after the test has moved on (CI saw one
// land in the next test's errors). That failure, from a closing client, is the client's own.
const closing = new Set<AliClient>();
const closedSocket = /The socket was closed/;

function track<T extends AliClient>(client: T): T {
  client.on("error", (err) => {
    if (closing.has(client) && closedSocket.test(err.message)) {
      aliLog.push(`error after close, not counted: ${err.message}`);
      return;
    }
    aliErrors.push(err);
  });
  clients.push(client);
  return client;
}

async function closeClient(client: AliClient): Promise<void> {
  const at = clients.indexOf(client);
  if (at < 0) return;
  clients.splice(at, 1);
  closing.add(client);
  await client.close();
}

/** Runs `body`; on failure prints what ali-ons and the broker logged, then rethrows. */
async function explained<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    console.error(
      [
        ...aliErrors.map((e) => `ali-ons error: ${e.name}: ${e.message}`),
        ...aliLog.slice(-80),
        `broker stderr:\n${broker?.stderr.slice(-4_000) ?? ""}`,
      ].join("\n"),
    );
    throw err;
  }
}

const bodyOf = (i: number) => `body-${String(i).padStart(3, "0")}`;
const tagOf = (i: number) => (i % 2 === 0 ? "TagA" : "TagB");
const keysOf = (i: number) => [`key-${i}`, `order-${i}`];

interface Received {
  body: string;
  keys: string | undefined;
  tags: string | null;
  msgId: string;
}
const byBody = (a: { body: string }, b: { body: string }) => a.body.localeCompare(b.body);
const received = (list: Received[]) =>
  [...list].sort(byBody).map(({ body, keys, tags }) => ({ body, keys, tags }));
function expected(from: number, to: number, tag?: string) {
  const out: { body: string; keys: string; tags: string }[] = [];
  for (let i = from; i < to; i++) {
    if (tag && tagOf(i) !== tag) continue;
    out.push({ body: bodyOf(i), keys: keysOf(i).join(" "), tags: tagOf(i) });
  }
  return out.sort(byBody);
}

async function sendRange(from: number, to: number): Promise<AliSendResult[]> {
  const results: AliSendResult[] = [];
  for (let i = from; i < to; i++) {
    const msg = new ali.Message(TOPIC, tagOf(i), bodyOf(i));
    msg.keys = keysOf(i);
    results.push(await producer!.send(msg));
  }
  return results;
}

/** A clustering push consumer recording what its handler gets and what its pulls brought. */
function startConsumer(group: string, instanceName: string, tags: string) {
  const consumer = track(
    new ali.Consumer({
      ...aliOptions(),
      instanceName,
      consumerGroup: group,
      // A new group starts at the queue's head. (The broker answers QUERY_CONSUMER_OFFSET for
      // an unknown group with 0 anyway while the head is in memory, as RocketMQ does, so the
      // default CONSUME_FROM_LAST_OFFSET would also start there.)
      consumeFromWhere: "CONSUME_FROM_FIRST_OFFSET",
      rebalanceInterval: 1_000,
      persistConsumerOffsetInterval: 500,
    }),
  );
  const handled: Received[] = [];
  const pulled: AliMessage[] = [];
  // ali-ons filters by tag again on the client, so the handler alone cannot show that the
  // broker filtered: watch what the pulls bring back.
  const pull = consumer.pullKernelImpl.bind(consumer);
  consumer.pullKernelImpl = async (...args: unknown[]) => {
    const result = await pull(...args);
    pulled.push(...result.msgFoundList.filter((m) => m.topic === TOPIC));
    return result;
  };
  consumer.subscribe(TOPIC, tags, async (msg) => {
    handled.push({ body: msg.body.toString(), keys: msg.keys, tags: msg.tags, msgId: msg.msgId });
  });
  return { consumer, handled, pulled };
}

const queueIds = [...Array(QUEUES).keys()];
const maxOffsets = () =>
  Promise.all(queueIds.map((q) => admin!.getMaxOffset(brokerAddr, TOPIC, q, TIMEOUT_MS)));
const committedOffsets = (group: string) =>
  Promise.all(
    queueIds.map((queueId) =>
      admin!.queryConsumerOffset(
        brokerAddr,
        { consumerGroup: group, topic: TOPIC, queueId },
        TIMEOUT_MS,
      ),
    ),
  );

/** Waits until the broker holds `group`'s offsets at the end of every queue. */
async function waitForCommittedAtEnd(group: string): Promise<number[]> {
  const ends = await maxOffsets();
  await waitFor(
    async () => JSON.stringify(await committedOffsets(group)) === JSON.stringify(ends),
    { timeoutMs: COMMIT_TIMEOUT_MS, intervalMs: 50, what: `${group}'s offsets to reach ${ends}` },
  );
  return ends;
}

/**
 * ali-ons errors other than the expected race noted below. Taken before a consumer is closed,
 * and a closing client's "The socket was closed" is not recorded at all (see `closing`).
 */
function unexpectedErrors(): string[] {
  // A consumer looks up %RETRY%<group> right after the heartbeat that makes the broker create
  // it; the broker registers new topics with the name server asynchronously (so does
  // RocketMQ), and a lookup that wins that race is answered TOPIC_NOT_EXIST and retried later.
  const retryRace = /No topic route info in name server for the topic: %RETRY%/;
  return aliErrors.map((e) => e.message).filter((m) => !retryRace.test(m));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rmq-ali-ons-broker-"));
  // Every delay level 1 s: a retried message comes back in a second, not 10 s.
  const node = await startSingleNode(join(dir, "store"), `messageDelayLevel=${"1s ".repeat(18)}`);
  broker = node.node;
  brokerAddr = node.address;
  namesrvAddr = node.namesrv;
  admin = track(new MQClientAPI({ ...aliOptions(), responseTimeout: TIMEOUT_MS }));
  await admin.ready();
  producer = track(
    new ali.Producer({
      ...aliOptions(),
      instanceName: "producer",
      producerGroup: "AliOnsProducer",
    }),
  );
  await producer.ready();
});

afterAll(async () => {
  for (const client of clients.splice(0).reverse()) await client.close().catch(() => {});
  // Producers and consumers start one shared inner producer (CLIENT_INNER_PRODUCER) that none of
  // them closes: close it, so its MQClient's sockets and timers go too.
  await ali.Producer.defaultProducer?.close().catch(() => {});
  ali.Producer.defaultProducer = null;
  if (broker) await broker[Symbol.asyncDispose]();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("compat: ali-ons broker: producer sends to a new topic auto-created from TBW102", async () => {
  await explained(async () => {
    // ali-ons' send looks the topic up first and, unlike the Java client, does not catch the
    // name server's TOPIC_NOT_EXIST (17) to fall back to TBW102: the send fails. That answer is
    // the right one (spec 2.4; wire capture 03-producer, seq 7-9).
    let refused: (Error & { code?: number }) | null = null;
    try {
      await sendRange(0, 1);
    } catch (err) {
      refused = err as Error & { code?: number };
    }
    expect(refused?.name).toBe("MQClientException");
    expect(refused?.code).toBe(17);
    expect(refused?.message).toContain(
      `No topic route info in name server for the topic: ${TOPIC}`,
    );

    // So the test takes the fallback ali-ons has but never reaches from send: its own
    // updateTopicRouteInfoFromNameServer(topic, isDefault=true, producer) copies TBW102's route,
    // queues capped at defaultTopicQueueNums (4), into the producer's publish table. The sends
    // then carry defaultTopic=TBW102 and the broker creates the topic on the first one.
    await producer!._mqClient.updateTopicRouteInfoFromNameServer(TOPIC, true, producer!);
    const results = await sendRange(0, FIRST_BATCH);

    for (const r of results) {
      expect(r.sendStatus).toBe("SEND_OK");
      expect(r.msgId).toMatch(/^[0-9A-F]{32}$/);
      expect(r.messageQueue.topic).toBe(TOPIC);
    }
    expect(new Set(results.map((r) => r.msgId)).size).toBe(FIRST_BATCH);
    // Round robin over the 4 queues: each holds queue offsets 0..4.
    const perQueue = new Map<number, number[]>();
    for (const r of results) {
      const q = Number(r.messageQueue.queueId);
      perQueue.set(q, [...(perQueue.get(q) ?? []), r.queueOffset]);
    }
    expect([...perQueue.keys()].sort()).toEqual(queueIds);
    for (const offsets of perQueue.values()) expect(offsets).toEqual([0, 1, 2, 3, 4]);
    expect(await maxOffsets()).toEqual([5, 5, 5, 5]);

    // The broker registered the new topic with its name server.
    const route = await waitFor(
      () => admin!.getTopicRouteInfoFromNameServer(TOPIC, TIMEOUT_MS).catch(() => null),
      { what: `a route for ${TOPIC}` },
    );
    expect(route.queueDatas.map((q) => [q.readQueueNums, q.writeQueueNums, q.perm])).toEqual([
      [QUEUES, QUEUES, 6],
    ]);
    expect(httpRequests).toEqual([]);
    sent.push(...results);
  });
});

test("compat: ali-ons broker: each group gets its messages once, tags filtered", async () => {
  await explained(async () => {
    const all = startConsumer(GROUP_ALL, "consumer-all", "*");
    const tagA = startConsumer(GROUP_TAG_A, "consumer-tag-a", "TagA");
    let errors: string[] | null = null;
    try {
      await waitFor(
        () => all.handled.length >= FIRST_BATCH && tagA.handled.length >= FIRST_BATCH / 2,
        { timeoutMs: DELIVERY_TIMEOUT_MS, what: "both groups to get the first batch" },
      );
      // Every message consumed (and every TagB queue skipped) is committed to the broker.
      await waitForCommittedAtEnd(GROUP_ALL);
      await waitForCommittedAtEnd(GROUP_TAG_A);
      errors = unexpectedErrors();
    } finally {
      await closeClient(tagA.consumer);
      await closeClient(all.consumer);
    }
    // Checked after close: nothing more can arrive.
    expect(received(all.handled)).toEqual(expected(0, FIRST_BATCH));
    expect(received(tagA.handled)).toEqual(expected(0, FIRST_BATCH, "TagA"));
    // The msgIds consumers compute (store host + commit-log offset) are the ones sends returned.
    expect(all.handled.map((m) => m.msgId).sort()).toEqual(sent.map((r) => r.msgId).sort());
    // The broker filtered by tag: the TagA group's pulls brought no TagB message.
    expect(tagA.pulled.map((m) => m.tags)).toEqual(Array(FIRST_BATCH / 2).fill("TagA"));
    expect(all.pulled).toHaveLength(FIRST_BATCH);
    expect(errors).toEqual([]);
  });
});

test("compat: ali-ons broker: a restarted consumer resumes from committed offsets", async () => {
  await explained(async () => {
    const before = await committedOffsets(GROUP_ALL);
    expect(before).toEqual([5, 5, 5, 5]);
    const results = await sendRange(FIRST_BATCH, FIRST_BATCH + SECOND_BATCH);
    expect(results.map((r) => r.sendStatus)).toEqual(Array(SECOND_BATCH).fill("SEND_OK"));

    const again = startConsumer(GROUP_ALL, "consumer-all", "*");
    let ends: number[] = [];
    let errors: string[] | null = null;
    try {
      await waitFor(() => again.handled.length >= SECOND_BATCH, {
        timeoutMs: DELIVERY_TIMEOUT_MS,
        what: "the restarted consumer to get the second batch",
      });
      ends = await waitForCommittedAtEnd(GROUP_ALL);
      errors = unexpectedErrors();
    } finally {
      await closeClient(again.consumer);
    }
    expect(ends.reduce((a, b) => a + b)).toBe(FIRST_BATCH + SECOND_BATCH);
    expect(received(again.handled)).toEqual(expected(FIRST_BATCH, FIRST_BATCH + SECOND_BATCH));
    expect(again.pulled).toHaveLength(SECOND_BATCH);
    expect(errors).toEqual([]);
    expect(httpRequests).toEqual([]);
  });
});

test("compat: ali-ons broker: ACTION_RETRY redelivers through the retry topic", async () => {
  await explained(async () => {
    const total = FIRST_BATCH + SECOND_BATCH;
    const retried = new Set([bodyOf(0), bodyOf(3), bodyOf(total - 1)]);
    const consumer = track(
      new ali.Consumer({
        ...aliOptions(),
        instanceName: "consumer-retry",
        consumerGroup: GROUP_RETRY,
        consumeFromWhere: "CONSUME_FROM_FIRST_OFFSET",
        rebalanceInterval: 1_000,
        persistConsumerOffsetInterval: 500,
      }),
    );
    const handled: { body: string; reconsumeTimes: number; topic: string; origin?: string }[] = [];
    consumer.subscribe(TOPIC, "*", async (msg) => {
      const body = msg.body.toString();
      const origin = msg.properties?.ORIGIN_MESSAGE_ID;
      handled.push({ body, reconsumeTimes: msg.reconsumeTimes, topic: msg.topic, origin });
      return retried.has(body) && msg.reconsumeTimes === 0 ? ali.Consumer.ACTION_RETRY : undefined;
    });
    let errors: string[] = [];
    try {
      await waitFor(() => handled.length >= total + retried.size, {
        timeoutMs: DELIVERY_TIMEOUT_MS,
        what: "every message, and the retried ones again",
      });
      // ali-ons sends each one back (CONSUMER_SEND_MSG_BACK); the broker re-stores it in
      // %RETRY%<group> through the schedule topic. Had the send-back failed, ali-ons would have
      // sent the message to the retry topic itself, with its UNIQ_KEY as ORIGIN_MESSAGE_ID.
      errors = unexpectedErrors();
    } finally {
      await closeClient(consumer);
    }
    const first = handled.filter((m) => m.reconsumeTimes === 0).map((m) => m.body);
    expect(first.sort()).toEqual(expected(0, total).map((m) => m.body));
    const again = handled.filter((m) => m.reconsumeTimes > 0);
    expect(again.map((m) => m.body).sort()).toEqual([...retried].sort());
    // ali-ons restores the original topic from RETRY_TOPIC before the handler sees it.
    expect(again.map((m) => [m.topic, m.reconsumeTimes])).toEqual(
      Array(retried.size).fill([TOPIC, 1]),
    );
    // The broker's path: ORIGIN_MESSAGE_ID is the original's offset message id (32 hex digits
    // of store host and commit log offset), which the client's own fallback would not write.
    for (const m of again) expect(m.origin).toMatch(/^[0-9A-F]{32}$/);
    expect(errors).toEqual([]);
  });
});

test("compat: ali-ons broker: broadcast members each get every message", async () => {
  await explained(async () => {
    const total = FIRST_BATCH + SECOND_BATCH;
    // Without `persistent`, ali-ons keeps broadcast offsets in memory (its file store would
    // write under $HOME): each member starts at the head and reads everything.
    const members = ["broadcast-1", "broadcast-2"].map((instanceName) => {
      const consumer = track(
        new ali.Consumer({
          ...aliOptions(),
          instanceName,
          consumerGroup: GROUP_BROADCAST,
          consumeFromWhere: "CONSUME_FROM_FIRST_OFFSET",
          rebalanceInterval: 1_000,
          persistConsumerOffsetInterval: 500,
          isBroadcast: true,
        }),
      );
      const handled: Received[] = [];
      consumer.subscribe(TOPIC, "*", async (msg) => {
        handled.push({
          body: msg.body.toString(),
          keys: msg.keys,
          tags: msg.tags,
          msgId: msg.msgId,
        });
      });
      return { consumer, handled };
    });
    let errors: string[] | null = null;
    try {
      await waitFor(() => members.every((m) => m.handled.length >= total), {
        timeoutMs: DELIVERY_TIMEOUT_MS,
        what: "both broadcast members to get every message",
      });
      errors = unexpectedErrors();
    } finally {
      for (const m of members) await closeClient(m.consumer);
    }
    for (const m of members) expect(received(m.handled)).toEqual(expected(0, total));
    // Broadcast offsets are the members' own: nothing was committed to the broker, which answers
    // an unknown group with the queue's head (0), not the ends the members reached.
    expect(await committedOffsets(GROUP_BROADCAST)).toEqual([0, 0, 0, 0]);
    expect(errors).toEqual([]);
  });
});

test("compat: ali-ons broker: setStartDeliverTime holds a message until its time", async () => {
  await explained(async () => {
    const topic = "AliOnsTimerTopic";
    // As in the first test: ali-ons creates a new topic only through TBW102's route.
    await producer!._mqClient.updateTopicRouteInfoFromNameServer(topic, true, producer!);
    const sentAtMs = Date.now();
    const later = new ali.Message(topic, "T", "later");
    later.setStartDeliverTime(sentAtMs + 2_000);
    await producer!.send(later);
    await producer!.send(new ali.Message(topic, "T", "now"));
    // Subscribed once the topic exists (ali-ons heartbeats only to brokers its routes name).
    const consumer = track(
      new ali.Consumer({
        ...aliOptions(),
        instanceName: "consumer-timer",
        consumerGroup: "AliOnsGroupTimer",
        consumeFromWhere: "CONSUME_FROM_FIRST_OFFSET",
        rebalanceInterval: 1_000,
        persistConsumerOffsetInterval: 500,
      }),
    );
    const arrivals: { body: string; atMs: number }[] = [];
    consumer.subscribe(topic, "*", async (msg) => {
      arrivals.push({ body: msg.body.toString(), atMs: Date.now() });
    });
    try {
      await waitFor(() => arrivals.length >= 2, {
        timeoutMs: DELIVERY_TIMEOUT_MS,
        what: "the timed message",
      });
    } finally {
      await closeClient(consumer);
    }
    expect(arrivals.map((a) => a.body)).toEqual(["now", "later"]);
    // 1 s precision: the time is rounded down to the second.
    expect(arrivals[1]!.atMs).toBeGreaterThanOrEqual(Math.floor((sentAtMs + 2_000) / 1000) * 1000);
    expect(unexpectedErrors()).toEqual([]);
  });
}, 20_000);
