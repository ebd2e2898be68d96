// Classic master/slave replication with real processes on 127.0.0.1: a SYNC_MASTER answers a
// send only once its slave has the bytes; the slave's commit log is byte-identical to the
// master's (across segment rolls) and verifies clean; with the slave killed (-9) sends report
// SLAVE_NOT_AVAILABLE (stored on the master), and the restarted slave catches up and copies
// the master's metadata. A reader whose offset the slave lacks is kept there, not moved.

import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PullConsumer, PushConsumer } from "../../core/client/index.ts";
import { createLogger, SystemClock } from "../../core/common/index.ts";
import { RequestCode } from "../../core/protocol/request_code.ts";
import { RemotingClient } from "../../core/remoting/client.ts";
import { createRequest } from "../../core/protocol/command.ts";
import { ResponseCode } from "../../core/protocol/response_code.ts";
import { jsonLines, RmqProcess, runRmq } from "../harness/rmq_process.ts";
import { logBytes, logEnd, segmentBytes } from "../harness/controller_cluster.ts";
import { startSingleNode } from "../harness/single_node.ts";
import { waitFor } from "../harness/wait_for.ts";

// Small segments (the harness's): replication crosses several.
const endOf = logEnd;

/** Past anything the ha tests send: an offset the slave cannot have. */
const aheadOffset = 1_000;

/** The offset a broker keeps for a group's queue (QUERY_CONSUMER_OFFSET), or undefined. */
async function committedOn(addr: string, group: string, topic: string, queueId: number) {
  const remoting = new RemotingClient({ clock: new SystemClock(), log: createLogger("test") });
  try {
    const answer = await remoting.invoke(
      addr,
      createRequest(RequestCode.QUERY_CONSUMER_OFFSET, {
        extFields: { consumerGroup: group, topic, queueId },
      }),
    );
    if (answer.code !== ResponseCode.SUCCESS) return undefined;
    return Number(answer.extFields?.get("offset"));
  } finally {
    remoting.close();
  }
}

/** A slave's topics and groups are copies of its master's: it refuses to change them. */
async function expectSlaveRefusesChanges(slaveAddr: string) {
  const remoting = new RemotingClient({ clock: new SystemClock(), log: createLogger("test") });
  try {
    const changes = [
      createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, { extFields: { topic: "OnSlave" } }),
      createRequest(RequestCode.DELETE_TOPIC_IN_BROKER, { extFields: { topic: "HaRead" } }),
      createRequest(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, {
        body: new TextEncoder().encode('{"groupName":"onSlave"}'),
      }),
      createRequest(RequestCode.DELETE_SUBSCRIPTIONGROUP, { extFields: { groupName: "ahead" } }),
    ];
    for (const request of changes) {
      const answer = await remoting.invoke(slaveAddr, request);
      expect([request.code, answer.code, answer.remark]).toEqual([
        request.code,
        ResponseCode.SYSTEM_ERROR,
        "Can't modify topic or subscription group from slave broker, " +
          "please execute it from master broker.",
      ]);
    }
  } finally {
    remoting.close();
  }
}

/**
 * With the master gone, group `ahead` (committed at aheadOffset) reads HaRead from the slave. The
 * slave keeps the offset rather than moving it (offsetCheckInSlave=false): it answers "retry" at
 * the same offset, pointing at the group's broker, the master; our push consumer asks again
 * after a pause, not in a hot loop, and gets nothing.
 */
async function expectAheadKept(namesrv: string): Promise<void> {
  const clock = new SystemClock();
  const log = createLogger("test", { level: "error" });
  const direct = new PullConsumer({ group: "ahead", namesrvAddrs: [namesrv], clock, log });
  try {
    const [queue] = await direct.queues("HaRead");
    const answer = await direct.pull(queue!, aheadOffset, 1);
    expect([answer.status, answer.nextBeginOffset, answer.suggestWhichBrokerId]).toEqual([
      "NO_MATCHED_MSG",
      aheadOffset,
      0,
    ]);
  } finally {
    direct.close();
  }
  let received = 0;
  const consumer = new PushConsumer({
    group: "ahead",
    topic: "HaRead",
    subscription: "*",
    namesrvAddrs: [namesrv],
    clock,
    log,
    consumeFrom: { kind: "first" },
    handler: () => {
      received++;
    },
  });
  // Counted where the consumer's requests leave it.
  const remoting = (consumer as unknown as { remoting: RemotingClient }).remoting;
  const invoke = remoting.invoke.bind(remoting);
  const pulledOffsets: number[] = [];
  remoting.invoke = (addr, request, timeoutMs) => {
    if (request.code === RequestCode.PULL_MESSAGE) {
      pulledOffsets.push(Number(request.extFields?.get("queueOffset")));
    }
    return invoke(addr, request, timeoutMs);
  };
  await consumer.start();
  try {
    await Bun.sleep(2_000);
  } finally {
    await consumer.stop();
  }
  expect(pulledOffsets.length).toBeGreaterThan(0);
  expect(new Set(pulledOffsets)).toEqual(new Set([aheadOffset]));
  expect(received).toBe(0);
  // A pull per queue per 200 ms pause over 2 s: 10 per queue. A hot loop makes thousands.
  const queues = 8;
  expect(pulledOffsets.length).toBeLessThan(queues * 20);
}

describe("ha: master and slave", () => {
  test("ha: a SYNC_MASTER's slave mirrors it, and catches up after a kill -9", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rmq-ha-"));
    const common = `brokerName=ha-a\nmappedFileSizeCommitLog=${segmentBytes}\n`;
    const master = await startSingleNode(
      join(dir, "master"),
      `${common}brokerRole=SYNC_MASTER\nhaListenPort=0\n`,
    );
    await using _master = master.node;
    const slaveConf = join(dir, "slave.conf");
    writeFileSync(slaveConf, `${common}brokerRole=SLAVE\nbrokerId=1\n`);
    const slaveStore = join(dir, "slave");
    const startSlave = async () => {
      const slave = new RmqProcess([
        "broker",
        "--listen",
        "127.0.0.1:0",
        "-n",
        master.namesrv,
        "--store",
        slaveStore,
        "-c",
        slaveConf,
      ]);
      await slave.ready();
      await waitFor(() => slave.stderr.includes("replicating from master"), {
        timeoutMs: 10_000,
        what: "the slave to connect its HA stream",
      });
      return slave;
    };
    const produce = async (count: number) => {
      const sent = await runRmq([
        "produce",
        "-n",
        master.namesrv,
        "-t",
        "HaTopic",
        "--size",
        "700",
        "--count",
        String(count),
        "--mode",
        "async",
        "--json",
      ]);
      expect(sent.exitCode).toBe(0);
      return jsonLines(sent.stdout).map((r) => r.status as string);
    };
    let slave = await startSlave();
    try {
      const first = await produce(600);
      expect(new Set(first)).toEqual(new Set(["SEND_OK"])); // each acknowledged by the slave too
      const masterEnd = endOf(master.store);
      expect(masterEnd).toBeGreaterThan(segmentBytes); // the log rolled
      expect(logBytes(slaveStore, masterEnd).equals(logBytes(master.store, masterEnd))).toBe(true);

      await slave[Symbol.asyncDispose](); // kill -9
      const alone = await produce(100);
      expect(new Set(alone)).toEqual(new Set(["SLAVE_NOT_AVAILABLE"])); // stored, not replicated
      slave = await startSlave();
      const end = endOf(master.store);
      await waitFor(() => endOf(slaveStore) >= end, { timeoutMs: 15_000, what: "catch-up" });
      expect(logBytes(slaveStore, end).equals(logBytes(master.store, end))).toBe(true);
      // Its metadata came from the master at start: topics and the delay cursors.
      const config = (name: string) => join(slaveStore, "config", name);
      await waitFor(() => readFileSync(config("topics.json"), "utf8").includes('"HaTopic"'), {
        timeoutMs: 10_000,
        what: "the slave's metadata sync",
      });
      expect(existsSync(config("delayOffset.json"))).toBe(true);
      // The operator's view: roles, and no lag once caught up.
      const cluster = await runRmq(["inspect", "cluster", "-n", master.namesrv, "--json"]);
      expect(
        jsonLines(cluster.stdout).map((b) => [
          b.brokerId,
          b.role,
          b.commitLogMaxOffset,
          b.lagBytes,
        ]),
      ).toEqual([
        [0, "SYNC_MASTER", end, null],
        [1, "SLAVE", end, 0],
      ]);
    } finally {
      await slave[Symbol.asyncDispose]();
    }
    const verify = await runRmq(["inspect", "verify", slaveStore]);
    expect(verify.stdout).toContain("problems=0");
  }, 60_000);
});

describe("ha: reading from the slave", () => {
  test("ha: a reader far behind goes to the slave; with the master gone, all do", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rmq-ha-read-"));
    await using namesrvProc = new RmqProcess(["namesrv", "--listen", "127.0.0.1:0"]);
    const namesrv = await namesrvProc.ready();
    const conf = (name: string, text: string) => {
      writeFileSync(join(dir, name), `brokerName=ha-b\n${text}`);
      return join(dir, name);
    };
    const broker = (store: string, confPath: string) =>
      new RmqProcess([
        "broker",
        "--listen",
        "127.0.0.1:0",
        "-n",
        namesrv,
        "--store",
        join(dir, store),
        "-c",
        confPath,
      ]);
    // slaveReadEnable with a 0 % in-memory share: every consumer counts as far behind.
    const master = broker(
      "m",
      conf(
        "m.conf",
        "brokerRole=SYNC_MASTER\nhaListenPort=0\n" +
          "slaveReadEnable=true\naccessMessageInMemoryMaxRatio=0\n",
      ),
    );
    await master.ready();
    await using slave = broker("s", conf("s.conf", "brokerRole=SLAVE\nbrokerId=1\n"));
    const slaveAddr = await slave.ready();
    await waitFor(() => slave.stderr.includes("replicating from master"), {
      timeoutMs: 10_000,
      what: "the slave to follow",
    });
    const sent = await runRmq([
      "produce",
      "-n",
      namesrv,
      "-t",
      "HaRead",
      "--count",
      "100",
      "--body",
      "x",
      "--json",
    ]);
    expect(new Set(jsonLines(sent.stdout).map((r) => r.status))).toEqual(new Set(["SEND_OK"]));
    // The slave learns of the new topic at its next metadata sync (every 3 s).
    await waitFor(
      () => {
        const path = join(dir, "s", "config", "topics.json");
        return existsSync(path) && readFileSync(path, "utf8").includes('"HaRead"');
      },
      { timeoutMs: 10_000, what: "the slave to know the topic" },
    );
    await expectSlaveRefusesChanges(slaveAddr);
    // The master points a reader that is far behind at the slave (whichBrokerWhenConsumeSlowly).
    const pull = new PullConsumer({
      group: "ahead",
      namesrvAddrs: [namesrv],
      clock: new SystemClock(),
      log: createLogger("test", { level: "error" }),
    });
    try {
      const [queue] = await pull.queues("HaRead");
      const answer = await pull.pull(queue!, 0, 1);
      expect([answer.status, answer.suggestWhichBrokerId]).toEqual(["FOUND", 1]);
      // The group has read past what the slave will have (as if the slave lagged).
      for (const q of await pull.queues("HaRead")) await pull.commit(q, aheadOffset);
    } finally {
      pull.close();
    }
    await waitFor(
      async () => (await committedOn(slaveAddr, "ahead", "HaRead", 0)) === aheadOffset,
      {
        timeoutMs: 10_000,
        what: "the slave to copy the group's offsets",
      },
    );
    await master[Symbol.asyncDispose](); // kill -9
    const got = await runRmq([
      "consume",
      "-n",
      namesrv,
      "-t",
      "HaRead",
      "-g",
      "readers",
      "--from",
      "first",
      "--count",
      "100",
      "--timeout",
      "10s",
      "--format",
      "{body}",
    ]);
    expect(got.exitCode).toBe(0);
    expect(got.stdout.trim().split("\n").length).toBe(100);
    await expectAheadKept(namesrv);
  }, 40_000);
});
