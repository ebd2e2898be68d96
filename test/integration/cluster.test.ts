// A cluster of real `dist/rmq` processes on 127.0.0.1 (a name server and two brokers of one
// cluster), driven by our client library in this process: a topic auto-created by sends through
// TBW102 spreads over both brokers; three members of a group share 300 messages exactly once;
// members joining and leaving mid-stream lose nothing; a broker restart (SIGTERM, same store and
// port) and a consumer restart resume from committed offsets; a SYNC_FLUSH broker killed with
// SIGKILL mid-stream keeps every message it acknowledged.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Admin,
  allocateAveragely,
  Producer,
  PushConsumer,
  RouteCache,
  type MessageQueue,
  type ReceivedMessage,
  type SendResult,
} from "../../core/client/index.ts";
import { createLogger, SystemClock } from "../../core/common/index.ts";
import { jsonLines, RmqProcess, runRmq } from "../harness/rmq_process.ts";
import { waitFor } from "../harness/wait_for.ts";

const clock = new SystemClock();
const quiet = createLogger("cluster-test", { level: "error" });
const encoder = new TextEncoder();
const clusterName = "ItCluster";

interface BrokerNode {
  name: string;
  store: string;
  conf: string;
  namesrv: string;
  proc: RmqProcess;
  address: string;
}

function brokerArgs(node: Omit<BrokerNode, "proc" | "address">, listen: string): string[] {
  return ["broker", "--listen", listen, "--store", node.store, "-n", node.namesrv, "-c", node.conf];
}

async function startBroker(
  dir: string,
  name: string,
  namesrv: string,
  properties: Record<string, string> = {},
): Promise<BrokerNode> {
  const conf = join(dir, `${name}.properties`);
  const all = {
    brokerName: name,
    brokerClusterName: clusterName,
    mappedFileSizeCommitLog: String(4 * 1024 * 1024),
    // Any free HA port: on a restart at a fixed listen port it would be that port + 1, which a
    // client connection on loopback may hold as its local port by then.
    haListenPort: "0",
    ...properties,
  };
  writeFileSync(
    conf,
    Object.entries(all)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(""),
  );
  const base = { name, store: join(dir, `${name}-store`), conf, namesrv };
  const proc = new RmqProcess(brokerArgs(base, "127.0.0.1:0"));
  return { ...base, proc, address: await proc.ready() };
}

/** Starts a stopped broker again on its store, on the same port when the port is still free. */
async function restartBroker(node: BrokerNode): Promise<{ node: BrokerNode; samePort: boolean }> {
  const port = node.address.slice(node.address.lastIndexOf(":") + 1);
  const again = new RmqProcess(brokerArgs(node, `127.0.0.1:${port}`));
  try {
    return { node: { ...node, proc: again, address: await again.ready() }, samePort: true };
  } catch (error) {
    await again[Symbol.asyncDispose]();
    console.log(`cluster: ${node.name} could not take port ${port} again: ${error}`);
    const other = new RmqProcess(brokerArgs(node, "127.0.0.1:0"));
    return { node: { ...node, proc: other, address: await other.ready() }, samePort: false };
  }
}

/** Every delivery a test's consumers made, by message id and by consumer. */
class Tally {
  readonly counts = new Map<string, number>();
  readonly byConsumer = new Map<string, number>();
  deliveries = 0;

  record(consumer: string, message: ReceivedMessage): void {
    this.deliveries++;
    this.counts.set(message.msgId, (this.counts.get(message.msgId) ?? 0) + 1);
    this.byConsumer.set(consumer, (this.byConsumer.get(consumer) ?? 0) + 1);
  }

  missing(ids: Iterable<string>): string[] {
    return [...ids].filter((id) => !this.counts.has(id));
  }

  /** Deliveries of `ids` beyond the first of each. */
  duplicates(ids: Iterable<string>): number {
    let extra = 0;
    for (const id of ids) extra += Math.max(0, (this.counts.get(id) ?? 0) - 1);
    return extra;
  }
}

const queueKey = (q: MessageQueue) => `${q.brokerName}/${q.topic}/${q.queueId}`;

describe("cluster: two brokers, one name server", () => {
  let dir: string;
  let namesrv: RmqProcess;
  let ns: string;
  let brokerA: BrokerNode;
  let brokerB: BrokerNode;
  let admin: Admin;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "rmq-cluster-it-"));
    namesrv = new RmqProcess([
      "namesrv",
      "--listen",
      "127.0.0.1:0",
      "--kv-config-path",
      join(dir, "kvConfig.json"),
    ]);
    ns = await namesrv.ready();
    [brokerA, brokerB] = await Promise.all([
      startBroker(dir, "broker-a", ns),
      startBroker(dir, "broker-b", ns),
    ]);
    admin = Admin.connect([ns], clock, quiet);
    // Both brokers are in the cluster and offer TBW102, so new topics can go to either.
    await waitForRoute("TBW102", ["broker-a", "broker-b"]);
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    admin?.close();
    for (const proc of [brokerA?.proc, brokerB?.proc, namesrv]) await proc?.[Symbol.asyncDispose]();
    rmSync(dir, { recursive: true, force: true });
  });

  function newProducer(): Producer {
    const producer = new Producer({ group: "cluster-it", namesrvAddrs: [ns], clock, log: quiet });
    cleanups.push(() => producer.close());
    return producer;
  }

  function newConsumer(topic: string, group: string, tally: Tally): PushConsumer {
    let id = "";
    const consumer = new PushConsumer({
      group,
      topic,
      subscription: "*",
      namesrvAddrs: [ns],
      clock,
      log: quiet,
      consumeFrom: { kind: "first" },
      handler: (m) => tally.record(id, m),
    });
    id = consumer.clientId;
    cleanups.push(() => consumer.stop().catch(() => undefined));
    return consumer;
  }

  async function send(producer: Producer, topic: string, count: number, prefix: string) {
    const results: SendResult[] = [];
    for (let i = 0; i < count; i++) {
      const result = await producer.send({ topic, body: encoder.encode(`${prefix}-${i}`) });
      expect(result.status).toBe("SEND_OK");
      results.push(result);
    }
    return results;
  }

  function waitForRoute(topic: string, brokers: string[]) {
    const want = JSON.stringify([...brokers].sort());
    return waitFor(
      async () => {
        const route = await admin.route(topic).catch(() => undefined);
        const names = route?.queueDatas.map((q) => q.brokerName).sort();
        return JSON.stringify(names) === want ? route : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 20, what: `the route of ${topic} on ${want}` },
    );
  }

  /** The topic exists on both brokers: the first 8 sends go round robin over TBW102's queues. */
  async function createOnBoth(producer: Producer, topic: string): Promise<MessageQueue[]> {
    const warmup = await send(producer, topic, 8, "warmup");
    expect(new Set(warmup.map((r) => r.queue.brokerName)).size).toBe(2);
    const route = await waitForRoute(topic, ["broker-a", "broker-b"]);
    const queues = RouteCache.subscribeQueues(topic, route);
    expect(queues).toHaveLength(8);
    return queues;
  }

  /**
   * Every member owns exactly its share of the average allocation among all of them (of the
   * topic's queues; members also own queues of their group's retry topic).
   */
  function settled(consumers: PushConsumer[], queues: MessageQueue[]): boolean {
    const ids = consumers.map((c) => c.clientId).sort();
    expect(new Set(ids).size).toBe(consumers.length);
    const topic = queues[0]!.topic;
    return consumers.every((c) => {
      const want = allocateAveragely(queues, ids, c.clientId).map(queueKey).sort();
      const have = [...c.positions().keys()].filter((k) => k.includes(`/${topic}/`)).sort();
      return JSON.stringify(want) === JSON.stringify(have);
    });
  }

  test("cluster: a topic auto-created by sends spreads over both brokers", async () => {
    const producer = newProducer();
    const results = await send(producer, "Spread", 40, "spread");
    // A new topic's sends follow TBW102's route: 4 queues on each broker, in round robin.
    const perQueue = new Map<string, number>();
    for (const r of results)
      perQueue.set(queueKey(r.queue), (perQueue.get(queueKey(r.queue)) ?? 0) + 1);
    expect(perQueue.size).toBe(8);
    expect([...perQueue.values()]).toEqual(Array(8).fill(5));
    // Each broker auto-created the topic on its first send and registered it.
    const rows = await waitFor(
      async () => {
        const out = await runRmq(["inspect", "topic", "Spread", "-n", ns, "--json"]);
        if (out.exitCode !== 0) return undefined;
        const lines = jsonLines(out.stdout);
        return new Set(lines.map((q) => q.brokerName)).size === 2 ? lines : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50, what: "Spread on both brokers" },
    );
    for (const broker of ["broker-a", "broker-b"]) {
      const queues = rows.filter((q) => q.brokerName === broker);
      expect(queues.map((q) => q.queueId).sort()).toEqual([0, 1, 2, 3]);
      expect(queues.map((q) => q.maxOffset)).toEqual([5, 5, 5, 5]);
    }
  }, 20_000);

  test("cluster: three members of a group share 300 messages exactly once", async () => {
    const topic = "Shared";
    const producer = newProducer();
    const queues = await createOnBoth(producer, topic);
    const tally = new Tally();
    const consumers = [0, 1, 2].map(() => newConsumer(topic, "g-shared", tally));
    for (const c of consumers) await c.start();
    await waitFor(() => settled(consumers, queues), { what: "the group to settle" });
    // The admin's view of who owns which queue (inspect group) is what the members hold.
    const admin = Admin.connect([ns], clock, quiet);
    try {
      const owners = await admin.queueOwners(topic, await admin.consumerIds("g-shared", topic));
      for (const c of consumers) {
        for (const key of c.positions().keys()) {
          const [brokerName, keyTopic, queueId] = key.split("/");
          if (keyTopic === topic) expect(owners.get(`${brokerName}/${queueId}`)).toBe(c.clientId);
        }
      }
    } finally {
      admin.close();
    }
    const started = performance.now();
    const ids: string[] = [];
    const senders = [0, 1, 2, 3].map(async (s) => {
      for (const r of await send(producer, topic, 75, `shared-${s}`)) ids.push(r.msgId);
    });
    await Promise.all(senders);
    await waitFor(() => tally.missing(ids).length === 0, { what: "all 300 consumed" });
    const ms = Math.round(performance.now() - started);
    for (const c of consumers) await c.stop();
    expect(ids).toHaveLength(300);
    expect(new Set(ids).size).toBe(300);
    expect(ids.filter((id) => tally.counts.get(id) !== 1)).toEqual([]);
    // Each member had its share of the queues, so each consumed some of the messages.
    const perMember = consumers.map((c) => tally.byConsumer.get(c.clientId) ?? 0);
    expect(perMember.every((n) => n > 0)).toBe(true);
    console.log(`cluster: 300 messages produced and consumed in ${ms} ms, per member ${perMember}`);
  }, 20_000);

  test("cluster: a member joining and one leaving mid-stream lose no message", async () => {
    const topic = "Rebalance";
    const producer = newProducer();
    const queues = await createOnBoth(producer, topic);
    const tally = new Tally();
    const [first, second, third] = [0, 1, 2].map(() => newConsumer(topic, "g-rebalance", tally));
    await first!.start();
    await second!.start();
    await waitFor(() => settled([first!, second!], queues), { what: "two members to settle" });
    const started = performance.now();
    const ids: string[] = [];
    let joined: Promise<void> | undefined;
    let left: Promise<void> | undefined;
    let leftAfter = -1;
    for (let i = 0; i < 600; i++) {
      if (i === 200) joined = third!.start();
      if (i === 400) {
        left = first!.stop().then(() => {
          leftAfter = tally.byConsumer.get(first!.clientId) ?? 0;
        });
      }
      const [r] = await send(producer, topic, 1, `rebalance-${i}`);
      ids.push(r!.msgId);
      // Keep the stream flowing through the rebalances: consumers stay within 100 messages.
      if (i % 50 === 49) {
        const due = ids.slice(0, -100);
        await waitFor(() => tally.missing(due).length === 0, { what: `${due.length} consumed` });
      }
    }
    await joined;
    await left;
    await waitFor(() => tally.missing(ids).length === 0, { what: "all 600 consumed" });
    await waitFor(() => settled([second!, third!], queues), { what: "two members to settle" });
    expect(tally.missing(ids)).toEqual([]);
    // Each member took part; the one that left took nothing after its stop.
    const perMember = [first!, second!, third!].map((c) => tally.byConsumer.get(c.clientId) ?? 0);
    expect(perMember.every((n) => n > 0)).toBe(true);
    expect(leftAfter).toBe(perMember[0]!);
    const duplicates = tally.duplicates(ids);
    console.log(
      `cluster: join and leave: ${duplicates} duplicate deliveries of 600 messages ` +
        `(per member ${perMember}) in ${Math.round(performance.now() - started)} ms`,
    );
  }, 30_000);

  test("cluster: broker and consumer restarts resume from committed offsets", async () => {
    const topic = "Restart";
    const group = "g-restart";
    const producer = newProducer();
    const queues = await createOnBoth(producer, topic);
    const tally = new Tally();
    const [c1, c2] = [0, 1].map(() => newConsumer(topic, group, tally));
    await c1!.start();
    await c2!.start();
    await waitFor(() => settled([c1!, c2!], queues), { what: "two members to settle" });
    const before = (await send(producer, topic, 100, "before")).map((r) => r.msgId);
    await waitFor(() => tally.missing(before).length === 0, { what: "100 consumed" });

    // broker-a stops cleanly (it persists the group's offsets) and starts again on its store;
    // the members keep their queues and go on pulling from it.
    const stopped = performance.now();
    brokerA.proc.proc.kill("SIGTERM");
    expect(await brokerA.proc.exited).toBe(0);
    const restarted = await restartBroker(brokerA);
    brokerA = restarted.node;
    await waitForRoute(topic, ["broker-a", "broker-b"]);
    const down = Math.round(performance.now() - stopped);
    const during = (await send(producer, topic, 100, "during")).map((r) => r.msgId);
    await waitFor(() => tally.missing(during).length === 0, {
      timeoutMs: 15_000,
      what: "the running members to consume from the restarted broker",
    });
    const resumedMs = Math.round(performance.now() - stopped);

    // Members change with nothing being produced: c3 joins (the restarted broker-a has had no
    // heartbeat from c1 and c2 yet), then c1 leaves. c3 takes queues from running members at
    // the positions their pulls carried, so nothing is delivered twice.
    const c3 = newConsumer(topic, group, tally);
    await c3.start();
    await waitFor(() => settled([c1!, c2!, c3], queues), { what: "three members to settle" });
    await c1!.stop();
    await waitFor(() => settled([c2!, c3], queues), { what: "c2 and c3 to settle" });
    expect(tally.duplicates([...before, ...during])).toBe(0);
    const after = (await send(producer, topic, 100, "after")).map((r) => r.msgId);
    await waitFor(() => tally.missing(after).length === 0, { what: "100 more consumed" });

    // The whole group restarts: it goes on from its committed offsets, nothing old again.
    await c2!.stop();
    await c3.stop();
    const seen = new Map(tally.counts);
    const last = (await send(producer, topic, 50, "last")).map((r) => r.msgId);
    const c4 = newConsumer(topic, group, tally);
    await c4.start();
    await waitFor(() => tally.missing(last).length === 0, { what: "the restarted group" });
    await c4.stop();
    const all = [...before, ...during, ...after, ...last];
    expect(tally.missing(all)).toEqual([]);
    const redelivered = [...seen].filter(([id, n]) => tally.counts.get(id) !== n);
    expect(redelivered).toEqual([]);
    console.log(
      `cluster: broker-a restarted on ${restarted.samePort ? "the same" : "a new"} port ` +
        `(${down} ms to routed again, ${resumedMs} ms until consumed from); duplicates: ` +
        `during ${tally.duplicates(during)}, after ${tally.duplicates(after)}, ` +
        `last ${tally.duplicates(last)}`,
    );
  }, 30_000);
});

describe("cluster: SYNC_FLUSH broker killed", () => {
  test("cluster: kill -9 mid-stream loses no acknowledged message", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rmq-cluster-kill-"));
    const cleanups: (() => Promise<unknown> | void)[] = [];
    try {
      const namesrv = new RmqProcess([
        "namesrv",
        "--listen",
        "127.0.0.1:0",
        "--kv-config-path",
        join(dir, "kvConfig.json"),
      ]);
      cleanups.push(() => namesrv[Symbol.asyncDispose]());
      const ns = await namesrv.ready();
      // Small segments, so the stream rolls over to new commit log files on the way.
      const broker = await startBroker(dir, "broker-c", ns, {
        flushDiskType: "SYNC_FLUSH",
        mappedFileSizeCommitLog: String(256 * 1024),
      });
      cleanups.push(() => broker.proc[Symbol.asyncDispose]());
      const producer = new Producer({
        group: "kill-it",
        namesrvAddrs: [ns],
        clock,
        log: quiet,
        sendTimeoutMs: 1_000,
        retryTimesWhenSendFailed: 0,
      });
      cleanups.push(() => producer.close());
      const acked: string[] = [];
      let failures = 0;
      let killed = false;
      // Four senders, each with one send in flight, until the broker is gone.
      const senders = [0, 1, 2, 3].map(async (s) => {
        for (let i = 0; !killed; i++) {
          try {
            const body = encoder.encode(`kill-${s}-${i}-${"x".repeat(200)}`);
            const r = await producer.send({ topic: "Durable", body });
            if (r.status === "SEND_OK") acked.push(r.msgId);
          } catch {
            failures++;
          }
        }
      });
      await waitFor(() => acked.length >= 1_500, { timeoutMs: 15_000, what: "1500 acks" });
      const ackedAtKill = acked.length;
      broker.proc.proc.kill("SIGKILL");
      await broker.proc.exited;
      killed = true;
      await Promise.all(senders);
      expect(broker.proc.proc.signalCode).toBe("SIGKILL");

      // Offline, on the store as the kill left it: every acknowledged UNIQ_KEY is there.
      const offline = await runRmq(["inspect", "commitlog", broker.store, "--json"]);
      const stored = new Set(
        offline.stdout
          .trim()
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l).uniqKey as string),
      );
      expect(acked.filter((id) => !stored.has(id))).toEqual([]);

      // Online, after recovery (the broker registers before its ready line): a new group reads
      // every acknowledged message from the start.
      const again = await restartBroker(broker);
      cleanups.push(() => again.node.proc[Symbol.asyncDispose]());
      const tally = new Tally();
      const consumer = new PushConsumer({
        group: "g-durable",
        topic: "Durable",
        subscription: "*",
        namesrvAddrs: [ns],
        clock,
        log: quiet,
        consumeFrom: { kind: "first" },
        handler: (m) => tally.record("c", m),
      });
      cleanups.push(() => consumer.stop().catch(() => undefined));
      await consumer.start();
      await waitFor(() => tally.missing(acked).length === 0, {
        timeoutMs: 10_000,
        what: "every acknowledged message after the restart",
      });
      expect(tally.duplicates(acked)).toBe(0);
      console.log(
        `cluster: SIGKILL after ${ackedAtKill} acks: ${acked.length} acknowledged, ` +
          `${stored.size} stored (inspect exit ${offline.exitCode}), ${failures} failed sends, ` +
          `restart on ${again.samePort ? "the same" : "a new"} port`,
      );
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
