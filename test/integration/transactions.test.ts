// Transactions through real processes (`rmq tx` against a single node with fast check-backs):
// commit is visible once, rollback never; an unknown one is resolved by the check-back, also by
// another process of the group when the sender is gone, also after the broker is killed with -9;
// one nobody answers goes to TRANS_CHECK_MAX_TIME_TOPIC after transactionCheckMax checks.

import { describe, expect, test } from "bun:test";
import { jsonLines, RmqProcess, runRmq } from "../harness/rmq_process.ts";
import { startSingleNode } from "../harness/single_node.ts";
import { waitFor } from "../harness/wait_for.ts";

const fastChecks = [
  "transactionCheckInterval=500",
  "transactionTimeOut=500",
  "transactionCheckMax=3",
].join("\n");

async function bodiesOf(namesrv: string, topic: string, group: string, timeout = "2s") {
  const got = await runRmq([
    "consume",
    "-n",
    namesrv,
    "-t",
    topic,
    "-g",
    group,
    "--from",
    "first",
    "--timeout",
    timeout,
    "--format",
    "{body}",
  ]);
  return got.stdout.trim().split("\n").filter(Boolean).sort();
}

describe("transactions: rmq tx", () => {
  test("transactions: commit once, rollback never, unknown resolved by the check", async () => {
    const { node, namesrv } = await startSingleNode(undefined, fastChecks);
    await using _ = node;
    const tx = (body: string, exec: string, more: string[] = []) =>
      runRmq([
        "tx",
        "-n",
        namesrv,
        "-t",
        "Tx",
        "-g",
        "txg",
        "--body",
        body,
        "--exec",
        exec,
        "--json",
        ...more,
      ]);
    const committed = await tx("c", "exit 0");
    expect(committed.exitCode).toBe(0);
    expect(jsonLines(committed.stdout)[0]).toMatchObject({ status: "SEND_OK", state: "COMMIT" });
    const rolledBack = await tx("r", "exit 1");
    expect(rolledBack.exitCode).toBe(5);
    const checked = await tx("u", "exit 3", ["--check", 'test "$(cat)" = u', "--wait", "10s"]);
    expect(checked.exitCode).toBe(0);
    const lines = jsonLines(checked.stdout);
    expect(lines[0].state).toBe("UNKNOWN");
    expect(lines[1]).toMatchObject({ checkTimes: "1", state: "COMMIT" });
    expect(await bodiesOf(namesrv, "Tx", "reader")).toEqual(["c", "u"]);
  }, 30_000);

  test("transactions: another member answers for a dead sender, also across kill -9", async () => {
    const first = await startSingleNode(undefined, fastChecks);
    let node = first.node;
    const { namesrv, store } = first;
    try {
      // The sender leaves it unknown and exits, as a producer that died would.
      const sent = await runRmq([
        "tx",
        "-n",
        namesrv,
        "-t",
        "TxD",
        "-g",
        "txd",
        "--body",
        "orphan",
        "--exec",
        "exit 3",
      ]);
      expect(sent.exitCode).toBe(5);
      await node[Symbol.asyncDispose](); // kill -9 with the half message pending
      node = (await startSingleNode(store, fastChecks, { broker: first.address, namesrv })).node;
      await using responder = new RmqProcess([
        "tx",
        "-n",
        namesrv,
        "--serve-checks",
        "-g",
        "txd",
        "--check",
        "exit 0",
        "--json",
      ]);
      await waitFor(() => responder.stdout.includes('"state":"COMMIT"'), {
        timeoutMs: 15_000,
        what: "the responder's answer",
      });
      expect(await bodiesOf(namesrv, "TxD", "reader")).toEqual(["orphan"]);
      // Killed again after the commit: no half is asked about twice, nothing stored twice.
      await Bun.sleep(300); // the op record and the checker's offsets reach their files
      await node[Symbol.asyncDispose]();
      node = (await startSingleNode(store, fastChecks, { broker: first.address, namesrv })).node;
      await Bun.sleep(2_000); // four check rounds
      expect(responder.stdout.trim().split("\n")).toHaveLength(1);
      expect(await bodiesOf(namesrv, "TxD", "reader2")).toEqual(["orphan"]);
    } finally {
      await node[Symbol.asyncDispose]();
    }
  }, 40_000);

  test("transactions: unanswered checks end in TRANS_CHECK_MAX_TIME_TOPIC", async () => {
    const { node, namesrv } = await startSingleNode(undefined, fastChecks);
    await using _ = node;
    const sent = await runRmq([
      "tx",
      "-n",
      namesrv,
      "-t",
      "TxM",
      "-g",
      "txm",
      "--body",
      "stuck",
      "--exec",
      "exit 3",
    ]);
    expect(sent.exitCode).toBe(5);
    const msgId = /msgId=(\S+)/.exec(sent.stdout)![1];
    // Pending, and asked about without an answer (no member of txm is alive).
    await waitFor(
      async () => {
        const shown = await runRmq(["inspect", "tx", "-n", namesrv, "-g", "txm", "--json"]);
        const [pending] = jsonLines(shown.stdout);
        return pending?.msgId === msgId && pending.topic === "TxM" && pending.checkTimes >= 1;
      },
      { timeoutMs: 10_000, intervalMs: 200, what: "inspect tx to show it checked" },
    );
    await waitFor(
      async () =>
        (await bodiesOf(namesrv, "TRANS_CHECK_MAX_TIME_TOPIC", "max-reader", "1s")).includes(
          "stuck",
        ),
      { timeoutMs: 20_000, intervalMs: 500, what: "the half message to be given up" },
    );
    expect(await bodiesOf(namesrv, "TxM", "reader", "1s")).toEqual([]);
  }, 40_000);
});
