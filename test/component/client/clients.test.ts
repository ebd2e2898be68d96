// Our client library against an in-process broker and name server on 127.0.0.1: the pull
// consumer (explicit reads, statuses, a held pull woken by a send, commits), and a broker that
// registers an advertised port different from the one it bound.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../../core/broker/index.ts";
import { Admin, Producer, PullConsumer } from "../../../core/client/index.ts";
import { SystemClock } from "../../../core/common/clock.ts";
import { createLogger } from "../../../core/common/log.ts";
import { brokerDefaults } from "../../../core/config/broker_config.ts";
import { namesrvDefaults } from "../../../core/config/namesrv_config.ts";
import { Namesrv } from "../../../core/namesrv/index.ts";
import { RealFileIO } from "../../../core/store/file_io.ts";
import { waitFor } from "../../harness/wait_for.ts";

const clock = new SystemClock();
const log = createLogger("test", { level: "error" });
let dir: string;
let namesrv: Namesrv;
let namesrvAddr: string;
const brokers: Broker[] = [];

async function startBroker(name: string, advertisedPort = 0): Promise<Broker> {
  const root = join(dir, name);
  const broker = new Broker({
    config: {
      ...brokerDefaults(dir),
      brokerName: name,
      brokerIP1: "127.0.0.1",
      bindAddress: "127.0.0.1",
      listenPort: 0,
      advertisedPort,
      namesrvAddr,
      storePathRootDir: root,
      storePathCommitLog: join(root, "commitlog"),
      mappedFileSizeCommitLog: 1 << 20,
    },
    clock,
    log,
    io: new RealFileIO(),
  });
  await broker.start();
  brokers.push(broker);
  return broker;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rmq-clients-"));
  namesrv = new Namesrv({
    config: { ...namesrvDefaults(dir), bindAddress: "127.0.0.1", listenPort: 0 },
    clock,
    log,
    persistKvConfig: false,
  });
  namesrvAddr = `127.0.0.1:${namesrv.start().port}`;
  await startBroker("pull-broker");
});

afterAll(async () => {
  for (const broker of brokers) await broker.stop();
  namesrv.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("client: pull consumer", () => {
  test("client: pull consumer: reads, statuses, a held pull, commits", async () => {
    const producer = new Producer({ group: "pg", namesrvAddrs: [namesrvAddr], clock, log });
    const pull = new PullConsumer({ group: "pull-group", namesrvAddrs: [namesrvAddr], clock, log });
    const admin = Admin.connect([namesrvAddr], clock, log);
    try {
      const encoder = new TextEncoder();
      const first = await producer.send({
        topic: "Pulled",
        body: encoder.encode("one"),
        tags: "A",
      });
      const queue = first.queue;
      await producer.send({ topic: "Pulled", body: encoder.encode("two"), queue, tags: "B" });
      expect((await pull.queues("Pulled")).length).toBe(4);
      const found = await pull.pull(queue, 0, 32);
      expect(found.status).toBe("FOUND");
      expect(found.messages.map((m) => new TextDecoder().decode(m.body))).toEqual(["one", "two"]);
      expect(found).toMatchObject({ nextBeginOffset: 2, minOffset: 0, maxOffset: 2 });
      const onlyB = await pull.pull(queue, 0, 32, { subscription: "B" });
      expect(onlyB.messages.map((m) => m.tags)).toEqual(["B"]);
      expect((await pull.pull(queue, 2, 32)).status).toBe("NO_NEW_MSG");
      // Past the end: moved to the end (RocketMQ before 4.9.4 moved it to 0 when minOffset was 0).
      expect(await pull.pull(queue, 50, 32)).toMatchObject({
        status: "OFFSET_ILLEGAL",
        nextBeginOffset: 2,
      });
      // ...and says so on OFFSET_MOVED_EVENT, as RocketMQ does, keyed and tagged by the group.
      const [events] = await pull.queues("OFFSET_MOVED_EVENT");
      const moved = await waitFor(async () => (await pull.pull(events!, 0, 32)).messages[0], {
        timeoutMs: 5_000,
        what: "the offset moved event",
      });
      expect([moved.tags, moved.keys]).toEqual(["pull-group", ["pull-group"]]);
      expect(JSON.parse(new TextDecoder().decode(moved.body))).toEqual({
        consumerGroup: "pull-group",
        messageQueue: { brokerName: "pull-broker", queueId: queue.queueId, topic: "Pulled" },
        offsetNew: 2,
        offsetRequest: 50,
      });
      const held = pull.pull(queue, 2, 32, { waitMs: 5_000 });
      const started = performance.now();
      await producer.send({ topic: "Pulled", body: encoder.encode("three"), queue });
      const woken = await held;
      expect(woken.status).toBe("FOUND");
      expect(performance.now() - started).toBeLessThan(2_000);
      await pull.commit(queue, 3);
      const progress = await admin.groupProgress("pull-group", "Pulled");
      expect(progress.find((q) => q.queueId === queue.queueId)?.consumerOffset).toBe(3);
      // maxMsgNums above 32 gets 32 (maxTransferCountOnMessageInMemory), as from RocketMQ.
      const many = Array.from({ length: 40 }, () => ({
        topic: "Pulled",
        body: encoder.encode("m"),
      }));
      await producer.sendBatch(many.map((m) => ({ ...m, queue })));
      const capped = await pull.pull(queue, 3, 64);
      expect([capped.messages.length, capped.nextBeginOffset]).toEqual([32, 35]);
    } finally {
      producer.close();
      pull.close();
      admin.close();
    }
  });

  test("client: broker: an advertised port is what the name server hands out", async () => {
    await startBroker("nat-broker", 40404);
    const admin = Admin.connect([namesrvAddr], clock, log);
    try {
      const cluster = await admin.cluster();
      expect(cluster.brokerAddrTable.get("nat-broker")?.brokerAddrs.get(0)).toBe("127.0.0.1:40404");
    } finally {
      admin.close();
    }
  });
});
