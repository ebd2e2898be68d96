// Classic master/slave replication with real processes on 127.0.0.1: a SYNC_MASTER answers a
// send only once its slave has the bytes; the slave's commit log is byte-identical to the
// master's (across segment rolls) and verifies clean; with the slave killed (-9) sends report
// SLAVE_NOT_AVAILABLE (stored on the master), and the restarted slave catches up and copies
// the master's metadata.

import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PullConsumer } from "../../core/client/index.ts";
import { createLogger, SystemClock } from "../../core/common/index.ts";
import { jsonLines, RmqProcess, runRmq } from "../harness/rmq_process.ts";
import { logBytes, logEnd, segmentBytes } from "../harness/controller_cluster.ts";
import { startSingleNode } from "../harness/single_node.ts";
import { waitFor } from "../harness/wait_for.ts";

// Small segments (the harness's): replication crosses several.
const endOf = logEnd;

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
    await slave.ready();
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
    // The master points a reader that is far behind at the slave (whichBrokerWhenConsumeSlowly).
    const pull = new PullConsumer({
      group: "probe",
      namesrvAddrs: [namesrv],
      clock: new SystemClock(),
      log: createLogger("test", { level: "error" }),
    });
    try {
      const [queue] = await pull.queues("HaRead");
      const answer = await pull.pull(queue!, 0, 1);
      expect([answer.status, answer.suggestWhichBrokerId]).toEqual(["FOUND", 1]);
    } finally {
      pull.close();
    }
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
  }, 40_000);
});
