// Automatic failover with real processes on 127.0.0.1: a name server running the controller
// and three brokers in controller mode (allAckInSyncStateSet: a send is acknowledged once every
// in-sync replica has it). The master is killed with -9 while a producer sends; a new master
// is elected and every acknowledged message is consumed from it; the old master restarts,
// truncates whatever it alone had, and follows until its log is the new master's byte for
// byte. A controller killed and restarted mid-run keeps its state: the next failover works.

import { describe, expect, test } from "bun:test";
import { createLogger, SystemClock } from "../../core/common/index.ts";
import { createRequest, RequestCode } from "../../core/protocol/index.ts";
import { RemotingClient } from "../../core/remoting/client.ts";
import { ControllerCluster, logBytes, logEnd } from "../harness/controller_cluster.ts";
import { jsonLines, RmqProcess, runRmq } from "../harness/rmq_process.ts";
import { waitFor } from "../harness/wait_for.ts";

const replicaConf = "allAckInSyncStateSet=true\n";

/** msgIds of the SEND_OK lines of `rmq produce --json`. */
function acknowledged(stdout: string): string[] {
  return jsonLines(stdout)
    .filter((r) => r.status === "SEND_OK")
    .map((r) => r.msgId as string);
}

async function consumeAll(cluster: ControllerCluster, topic: string, group: string) {
  const args = ["consume", "-n", cluster.namesrvAddr, "-t", topic, "-g", group];
  const run = await runRmq([...args, "--from", "first", "--until-end", "--json"]);
  expect(run.exitCode).toBe(0);
  return new Set(jsonLines(run.stdout).map((m) => m.msgId as string));
}

describe("ha: failover", () => {
  test("ha: failover: master killed under load; no acknowledged message lost", async () => {
    await using cluster = new ControllerCluster();
    await cluster.startNamesrv();
    for (const name of ["a", "b", "c"]) await cluster.startBroker(name, replicaConf);
    await cluster.inSync("1,2,3");
    const first = await cluster.master();

    const producer = new RmqProcess([
      "produce",
      "-n",
      cluster.namesrvAddr,
      "-t",
      "FoTopic",
      "--count",
      "3000",
      "--size",
      "300",
      "--mode",
      "async",
      "--json",
    ]);
    await waitFor(() => producer.stdout.split("\n").length > 400, {
      timeoutMs: 20_000,
      what: "the producer to get going",
    });
    const firstPort = cluster.brokers.get(first)!.stdout.match(/address=127\.0\.0\.1:(\d+)/)![1]!;
    await cluster.kill(first);
    await producer.exited;
    const acked = acknowledged(producer.stdout);
    expect(acked.length).toBeGreaterThan(400);
    const second = await cluster.master(first);
    expect(cluster.namesrv!.stderr).toMatch(/elected master, epoch 2/);

    // Every acknowledged message is there, on the new master.
    const consumed = await consumeAll(cluster, "FoTopic", "fo-check");
    expect(acked.filter((id) => !consumed.has(id))).toEqual([]);
    // Sends go on.
    expect(cluster.brokers.get(second)!.stderr).toMatch(/now MASTER .* epoch 2/);
    const after = await runRmq([
      "produce",
      "-n",
      cluster.namesrvAddr,
      "-t",
      "FoTopic",
      "--body",
      "after",
      "--json",
    ]);
    expect(jsonLines(after.stdout)[0].status).toBe("SEND_OK");

    // The old master comes back as a replica of the new one and ends up with the same bytes.
    const old = await cluster.startBroker(first, replicaConf, Number(firstPort));
    await waitFor(() => /now SLAVE/.test(old.stderr), { what: "the old master to follow" });
    const newStore = cluster.store(second);
    const oldStore = cluster.store(first);
    await waitFor(() => logEnd(oldStore) === logEnd(newStore), {
      timeoutMs: 20_000,
      what: "the old master to catch up",
    });
    const end = logEnd(newStore);
    expect(logBytes(oldStore, end).equals(logBytes(newStore, end))).toBe(true);
    const verify = await runRmq(["inspect", "verify", oldStore]);
    expect(verify.exitCode).toBe(0);
    // The operator's view: the group's epoch and in-sync set (all three again, once the
    // rejoined replicas caught up); each replica's lag.
    const clusterRows = async () => {
      const view = await runRmq(["inspect", "cluster", "-n", cluster.namesrvAddr, "--json"]);
      return jsonLines(view.stdout);
    };
    const rows = await waitFor(
      async () => {
        const rows = await clusterRows();
        const master = rows.find((r) => r.brokerId === 0);
        return master?.syncStateSet?.length === 3 ? rows : undefined;
      },
      { timeoutMs: 20_000, what: "every replica back in the in-sync set" },
    );
    expect(rows.map((r) => [r.brokerId, r.masterEpoch, r.syncStateSet])[0]).toEqual([
      0,
      2,
      [1, 2, 3],
    ]);
    expect(rows.filter((r) => r.brokerId !== 0).every((r) => r.lagBytes >= 0)).toBe(true);
    // What `mqadmin getBrokerEpoch` asks the rejoined broker (GET_BROKER_EPOCH_CACHE).
    const oldAddress = old.stdout.match(/ready address=(\S+)/)![1]!;
    const client = new RemotingClient({
      clock: new SystemClock(),
      log: createLogger("t", { level: "error" }),
    });
    const answer = await client.invoke(
      oldAddress,
      createRequest(RequestCode.GET_BROKER_EPOCH_CACHE),
    );
    client.close();
    const cache = JSON.parse(new TextDecoder().decode(answer.body!));
    expect(cache.epochList.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2]);
    expect(cache.epochList[1].endOffset).toBe(cache.maxOffset);
    const epochs = await runRmq(["inspect", "ha", oldStore, "--json"]);
    const entries = jsonLines(epochs.stdout)[0].entries;
    expect(entries.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2]);
    expect(entries[0].startOffset).toBe(0);
  }, 120_000);

  test("ha: failover: a controller restart keeps its state; the next failover works", async () => {
    await using cluster = new ControllerCluster();
    await cluster.startNamesrv();
    for (const name of ["a", "b"]) await cluster.startBroker(name, replicaConf);
    await cluster.inSync("1,2");
    const first = await cluster.master();

    await cluster.namesrv![Symbol.asyncDispose](); // kill -9 the controller
    await cluster.startNamesrv();
    const send = async (body: string) => {
      const args = ["produce", "-n", cluster.namesrvAddr, "-t", "FoTopic2", "--body", body];
      return jsonLines((await runRmq([...args, "--json"])).stdout)[0]?.status;
    };
    // The brokers register again with the same roles: no election was needed.
    await waitFor(async () => (await send("during")) === "SEND_OK", {
      timeoutMs: 40_000,
      what: "sends through the restarted name server",
    });
    expect(cluster.namesrv!.stderr).not.toMatch(/elected master/);
    expect(await cluster.master()).toBe(first);

    await cluster.kill(first);
    const second = await cluster.master(first);
    expect(second).not.toBe(first);
    await waitFor(async () => (await send("after")) === "SEND_OK", {
      timeoutMs: 20_000,
      what: "sends to the new master",
    });
    const consumed = await consumeAll(cluster, "FoTopic2", "fo-check2");
    expect(consumed.size).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
