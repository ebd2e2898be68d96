// A single node from one command (`rmq broker` with its embedded name server), driven by
// `rmq produce` and `rmq consume` as real processes: messages round-trip with tags, keys and
// properties; a group resumes from its committed offsets; a tag filter; a restart keeps data;
// bad input gets clear errors and exit codes.

import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jsonLines, RmqProcess, runRmq } from "../harness/rmq_process.ts";
import { waitFor } from "../harness/wait_for.ts";
import { startSingleNode } from "../harness/single_node.ts";

describe("cli: single node", () => {
  test("cli: single node: produce then consume round-trips messages; offsets resume", async () => {
    const { node, namesrv } = await startSingleNode();
    await using _ = node;
    const sent = await runRmq([
      "produce",
      "-n",
      namesrv,
      "-t",
      "Orders",
      "--tag",
      "TagA",
      "--keys",
      "k1,k2",
      "--prop",
      "region=eu",
      "--body",
      "hello",
      "--count",
      "3",
      "--json",
    ]);
    expect(sent.exitCode).toBe(0);
    const results = jsonLines(sent.stdout);
    expect(results.map((r) => r.status)).toEqual(["SEND_OK", "SEND_OK", "SEND_OK"]);
    const got = await runRmq([
      "consume",
      "-n",
      namesrv,
      "-t",
      "Orders",
      "-g",
      "g1",
      "--from",
      "first",
      "--count",
      "3",
      "--json",
    ]);
    expect(got.exitCode).toBe(0);
    const messages = jsonLines(got.stdout);
    expect(messages.map((m) => m.body)).toEqual(["hello", "hello", "hello"]);
    expect(new Set(messages.map((m) => m.msgId))).toEqual(new Set(results.map((r) => r.msgId)));
    expect(messages[0]).toMatchObject({ topic: "Orders", tags: "TagA", keys: ["k1", "k2"] });
    expect(messages[0].properties.region).toBe("eu");
    // A template: a list joined by commas, one property by name, an object as JSON.
    const formatted = await runRmq([
      ...["consume", "-n", namesrv, "-t", "Orders", "-g", "fmt", "--from", "first"],
      ...["--count", "1", "--format", "{keys} {properties.region} [{properties.no}] {properties}"],
    ]);
    const [keys, region, missing, ...rest] = formatted.stdout.trim().split(" ");
    expect([keys, region, missing]).toEqual(["k1,k2", "eu", "[]"]);
    expect(JSON.parse(rest.join(" "))).toMatchObject({ region: "eu", KEYS: "k1 k2" });
    // Nothing new for the group: exit 2 after the idle timeout.
    const again = await runRmq([
      "consume",
      "-n",
      namesrv,
      "-t",
      "Orders",
      "-g",
      "g1",
      "--timeout",
      "1s",
    ]);
    expect(again.exitCode).toBe(2);
    const more = await runRmq(["produce", "-n", namesrv, "-t", "Orders", "--body", "later"]);
    expect(more.exitCode).toBe(0);
    const resumed = await runRmq([
      "consume",
      "-n",
      namesrv,
      "-t",
      "Orders",
      "-g",
      "g1",
      "--count",
      "1",
      "--format",
      "{body}",
    ]);
    expect(resumed.stdout).toBe("later\n");
    // Online views of the same node.
    const topic = await runRmq(["inspect", "topic", "Orders", "-n", namesrv, "--json"]);
    const queues = jsonLines(topic.stdout);
    expect(queues.reduce((n, q) => n + q.maxOffset, 0)).toBe(4);
    const group = await runRmq(["inspect", "group", "g1", "-t", "Orders", "-n", namesrv, "--json"]);
    const lag = jsonLines(group.stdout);
    expect(lag.reduce((n, q) => n + q.lag, 0)).toBe(0);
    const byId = await runRmq(["inspect", "msg", results[0].offsetMsgId, "-n", namesrv, "--json"]);
    expect(JSON.parse(byId.stdout).msgId).toBe(results[0].msgId);
    const byKey = await runRmq(["inspect", "msg", "--key", "k2", "-t", "Orders", "-n", namesrv]);
    expect(byKey.stdout.trim().split("\n")).toHaveLength(3);
  }, 30_000);

  test("cli: single node: tag filters, stdin lines, batches; data survives a restart", async () => {
    const first = await startSingleNode();
    {
      await using _ = first.node;
      const lines = Bun.spawn(
        [process.execPath, "-e", "for (let i = 0; i < 20; i++) console.log('line-' + i)"],
        { stdout: "pipe" },
      );
      const produce = Bun.spawn(
        [
          join(import.meta.dir, "..", "..", "dist", "rmq"),
          "produce",
          "-n",
          first.namesrv,
          "-t",
          "Lines",
          "--tag",
          "B",
          "--batch",
          "5",
        ],
        { stdin: lines.stdout, stdout: "pipe", stderr: "pipe" },
      );
      expect(await produce.exited).toBe(0);
      await runRmq([
        "produce",
        "-n",
        first.namesrv,
        "-t",
        "Lines",
        "--tag",
        "A",
        "--body",
        "tagged-a",
      ]);
      const onlyA = await runRmq([
        "consume",
        "-n",
        first.namesrv,
        "-t",
        "Lines",
        "-g",
        "ga",
        "--tag",
        "A",
        "--from",
        "first",
        "--timeout",
        "1500ms",
        "--format",
        "{body}",
      ]);
      expect(onlyA.stdout).toBe("tagged-a\n");
      first.node.proc.kill("SIGTERM");
      expect(await first.node.exited).toBe(0);
    }
    const second = await startSingleNode(first.store);
    await using _ = second.node;
    const all = await runRmq([
      "consume",
      "-n",
      second.namesrv,
      "-t",
      "Lines",
      "-g",
      "gall",
      "--from",
      "first",
      "--count",
      "21",
      "--format",
      "{body}",
    ]);
    expect(all.exitCode).toBe(0);
    const bodies = all.stdout.trim().split("\n").sort();
    expect(bodies).toHaveLength(21);
    expect(bodies).toContain("line-19");
    expect(bodies).toContain("tagged-a");
  }, 30_000);

  test("cli: single node: bad input gets a clear error and a non-zero exit", async () => {
    const { node, namesrv } = await startSingleNode();
    await using _ = node;
    const badTopic = await runRmq(["produce", "-n", namesrv, "-t", "bad topic!", "--body", "x"]);
    expect(badTopic.exitCode).toBe(1);
    expect(badTopic.stderr).toMatch(/illegal characters|no route/);
    const tooBig = await runRmq([
      "produce",
      "-n",
      namesrv,
      "-t",
      "Big",
      "--size",
      String(5 * 1024 * 1024),
    ]);
    expect(tooBig.exitCode).toBe(1);
    expect(tooBig.stderr).toMatch(/illegal|exceeds/);
    const noTopic = await runRmq(["produce", "-n", namesrv, "--body", "x"]);
    expect(noTopic.exitCode).toBe(3);
    expect(noTopic.stderr).toContain("missing -t/--topic");
    // --count repeats a body; stdin lines are one message each, so the two do not mix.
    const countOfStdin = await runRmq(
      ["produce", "-n", namesrv, "-t", "T", "--count", "5"],
      {},
      "a\n",
    );
    expect(countOfStdin.exitCode).toBe(3);
    expect(countOfStdin.stderr).toContain("stdin sends one per line");
    const emptyStdin = await runRmq(["produce", "-n", namesrv, "-t", "T"], {}, "");
    expect(emptyStdin.exitCode).toBe(0);
    expect(emptyStdin.stderr).toContain("stdin had no lines: nothing sent");
    const badNs = await runRmq(["consume", "-n", "nowhere", "-t", "T"]);
    expect(badNs.exitCode).toBe(3);
    // A refusal from the cluster is one line too, not a stack trace.
    const untilEnd = ["consume", "-n", namesrv, "-t", "NoSuchTopic", "--until-end"];
    const unknown = await runRmq([...untilEnd, "--timeout", "2s"]);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr.trim()).toBe(
      "error: remote error code 17: topic NoSuchTopic has no route",
    );
  }, 30_000);

  test("cli: single node: broadcast members each get everything; --until-end stops", async () => {
    const { node, namesrv } = await startSingleNode();
    await using _ = node;
    const offsets = mkdtempSync(join(tmpdir(), "rmq-offsets-"));
    await runRmq(["produce", "-n", namesrv, "-t", "News", "--body", "flash", "--count", "6"]);
    const member = (name: string) =>
      runRmq([
        "consume",
        "-n",
        namesrv,
        "-t",
        "News",
        "-g",
        "readers",
        "--broadcast",
        "--from",
        "first",
        "--offset-file",
        join(offsets, `${name}.json`),
        "--until-end",
        "--format",
        "{body}",
      ]);
    const [a, b] = await Promise.all([member("a"), member("b")]);
    expect(a.stdout.trim().split("\n")).toHaveLength(6);
    expect(b.stdout.trim().split("\n")).toHaveLength(6);
    // Member a's offsets were kept in its own file: nothing new for it.
    const again = await member("a");
    expect(again.exitCode).toBe(2);
    expect(again.stdout).toBe("");
  }, 30_000);

  test("cli: single node: a member waiting for its topic is listed by its brokers", async () => {
    const { node, namesrv } = await startSingleNode();
    await using _ = node;
    const rmq = (...args: string[]) => runRmq([...args, "-n", namesrv]);
    await consumeAll(rmq, "audit", ["Paid"]);
    // The group's retry topic exists now: a member consuming a topic that does not exist yet
    // heartbeats the brokers of its retry topic, so they list it (it had heartbeated nobody).
    const waiting = new RmqProcess(
      ["consume", "-n", namesrv, "-t", "Refunded", "-g", "audit", "--timeout", "20s"],
      { RMQ_LOG_LEVEL: "info" },
    );
    await using _waiting = waiting;
    await waitFor(
      async () => {
        const text = (await rmq("inspect", "group", "audit", "-t", "Paid")).stdout;
        return text.includes("group audit on Paid: 1 member(s) online");
      },
      { timeoutMs: 10_000, intervalMs: 200, what: "the waiting member listed" },
    );
    waiting.proc.kill("SIGTERM");
    await waiting.exited;
    expect(waiting.stderr).not.toContain("no broker lists");
  }, 30_000);

  test("cli: single node: inspect group without -t shows every topic of the group", async () => {
    const { node, namesrv } = await startSingleNode();
    await using _ = node;
    const rmq = (...args: string[]) => runRmq([...args, "-n", namesrv]);
    await consumeAll(rmq, "audit", ["Paid", "Shipped"]);
    // Every topic the group has offsets for, as mqadmin consumerProgress -g shows them.
    const progress = jsonLines((await rmq("inspect", "group", "audit", "--json")).stdout);
    const lagOf = (topic: string) =>
      progress.filter((q) => q.topic === topic).reduce((n, q) => n + q.lag, 0);
    expect([...new Set(progress.map((q) => q.topic))]).toEqual(
      expect.arrayContaining(["Paid", "Shipped"]),
    );
    expect([lagOf("Paid"), lagOf("Shipped")]).toEqual([0, 0]);
    const table = await rmq("inspect", "group", "audit");
    expect(table.stdout).toContain("group audit: 0 member(s) online");
    expect(table.stdout).toMatch(/^Shipped +\S+ +\d+ +\d+ +\d+ +0 +-$/m);
    const none = await rmq("inspect", "group", "nobody");
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain("group nobody has no offsets on any broker");
  }, 30_000);
});

type Rmq = (...args: string[]) => ReturnType<typeof runRmq>;

/** Two messages to each topic, consumed to the end by `group`: its offsets there are at 2. */
async function consumeAll(rmq: Rmq, group: string, topics: string[]): Promise<void> {
  for (const topic of topics) {
    expect((await rmq("produce", "-t", topic, "--body", "m", "--count", "2")).exitCode).toBe(0);
    const args = ["consume", "-t", topic, "-g", group, "--from", "first", "--until-end"];
    expect((await rmq(...args, "--timeout", "5s")).exitCode).toBe(0);
  }
}
