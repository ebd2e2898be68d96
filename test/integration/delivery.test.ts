// Delivery semantics through real processes: a delayed message stays invisible until its level's
// delay has passed, survives a kill -9 of the broker while it waits, and arrives exactly once.

import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jsonLines, runRmq } from "../harness/rmq_process.ts";
import { startSingleNode } from "../harness/single_node.ts";

describe("delivery: delayed messages", () => {
  test("delivery: delay: level 2 arrives after 5 s, across a kill -9, once", async () => {
    const store = mkdtempSync(join(tmpdir(), "rmq-delay-"));
    let sentAtMs: number;
    {
      const { node, namesrv } = await startSingleNode(store);
      await using _ = node;
      sentAtMs = Date.now();
      const sent = await runRmq([
        "produce",
        "-n",
        namesrv,
        "-t",
        "Later",
        "--delay-level",
        "2",
        "--body",
        "b",
        "--json",
      ]);
      expect(sent.exitCode).toBe(0);
      expect(jsonLines(sent.stdout)[0].status).toBe("SEND_OK");
      const early = await runRmq([
        "consume",
        "-n",
        namesrv,
        "-t",
        "Later",
        "-g",
        "gd",
        "--from",
        "first",
        "--timeout",
        "1s",
      ]);
      expect(early.exitCode).toBe(2); // not due yet
    } // kill -9 while the message waits in SCHEDULE_TOPIC_XXXX
    const { node, namesrv } = await startSingleNode(store);
    await using _ = node;
    const got = await runRmq([
      "consume",
      "-n",
      namesrv,
      "-t",
      "Later",
      "-g",
      "gd",
      "--count",
      "1",
      "--timeout",
      "15s",
      "--json",
    ]);
    expect(got.exitCode).toBe(0);
    const [message] = jsonLines(got.stdout);
    expect(message.body).toBe("b");
    expect(message.properties.DELAY).toBe("2");
    expect(message.storeTimestamp - sentAtMs).toBeGreaterThanOrEqual(4_900);
    const again = await runRmq([
      "consume",
      "-n",
      namesrv,
      "-t",
      "Later",
      "-g",
      "gd2",
      "--from",
      "first",
      "--timeout",
      "2s",
      "--json",
    ]);
    expect(jsonLines(again.stdout).map((m) => m.body)).toEqual(["b"]); // one copy in Later
  }, 40_000);
});

/** Fails "always-*" bodies every time and "once-*" bodies on their first delivery. */
const flakyHandler =
  'body=$(cat); case "$body" in always-*) exit 1;; ' +
  'once-*) [ "$RMQ_RECONSUME_TIMES" = 0 ] && exit 1;; esac; echo "$body $RMQ_RECONSUME_TIMES"';

describe("delivery: retries and dead letters", () => {
  test("delivery: retry: failed messages come back, then go to the DLQ", async () => {
    // Every delay level 1 s, so retries come back in a second rather than 10 s.
    const store = mkdtempSync(join(tmpdir(), "rmq-retry-"));
    const { node, namesrv } = await startSingleNode(store, `messageDelayLevel=${"1s ".repeat(18)}`);
    await using _ = node;
    for (const body of ["fine-1", "once-1", "always-1", "fine-2"]) {
      const sent = await runRmq(["produce", "-n", namesrv, "-t", "Work", "--body", body]);
      expect(sent.exitCode).toBe(0);
    }
    const worked = await runRmq([
      "consume",
      "-n",
      namesrv,
      "-t",
      "Work",
      "-g",
      "workers",
      "--from",
      "first",
      "--exec",
      flakyHandler,
      "--max-retries",
      "2",
      "--timeout",
      "6s",
    ]);
    expect(worked.exitCode).toBe(0);
    // Each handled once: the plain ones at once, the flaky one on its first retry.
    expect(worked.stdout.trim().split("\n").sort()).toEqual(["fine-1 0", "fine-2 0", "once-1 1"]);
    expect(worked.stderr).toMatch(/goes back for retry 1/);
    expect(worked.stderr).toMatch(/goes to %DLQ%workers after 2 retries/);
    const dead = await runRmq([
      "consume",
      "-n",
      namesrv,
      "-t",
      "%DLQ%workers",
      "-g",
      "dlq-reader",
      "--from",
      "first",
      "--count",
      "1",
      "--timeout",
      "5s",
      "--json",
    ]);
    expect(dead.exitCode).toBe(0);
    const [letter] = jsonLines(dead.stdout);
    expect(letter.body).toBe("always-1");
    expect(letter.reconsumeTimes).toBe(3); // the first try and 2 retries failed
    expect(letter.properties.RETRY_TOPIC).toBe("Work");
    // Fixed the cause: the dead letter goes back to Work, once.
    const resend = await runRmq(["produce", "-n", namesrv, "--resend-dlq", "workers", "--json"]);
    expect(resend.exitCode).toBe(0);
    expect(jsonLines(resend.stdout).map((r) => r.status)).toEqual(["SEND_OK"]);
    const again = await runRmq(["produce", "-n", namesrv, "--resend-dlq", "workers", "--json"]);
    expect([again.exitCode, again.stdout]).toEqual([0, ""]);
    // One letter by its id resends it whatever the offsets; an unknown id is an error.
    const one = await runRmq([
      "produce",
      "-n",
      namesrv,
      "--resend-dlq",
      "workers",
      "--msg-id",
      letter.msgId,
      "--json",
    ]);
    expect(jsonLines(one.stdout).map((r) => r.status)).toEqual(["SEND_OK"]);
    const unknown = await runRmq([
      "produce",
      "-n",
      namesrv,
      "--resend-dlq",
      "workers",
      "--msg-id",
      "NOPE",
    ]);
    expect(unknown.exitCode).not.toBe(0);
    expect(unknown.stderr).toContain("no dead letter NOPE in %DLQ%workers");
    const back = await runRmq([
      "consume",
      "-n",
      namesrv,
      "-t",
      "Work",
      "-g",
      "auditors",
      "--from",
      "first",
      "--count",
      "6",
      "--timeout",
      "5s",
      "--json",
    ]);
    const resent = jsonLines(back.stdout).find(
      (m) => m.body === "always-1" && m.properties.ORIGIN_MESSAGE_ID,
    );
    expect(resent?.properties.ORIGIN_MESSAGE_ID).toBe(letter.msgId);
    expect(resent?.reconsumeTimes).toBe(0);
  }, 40_000);
});

describe("delivery: consume timeout", () => {
  test("delivery: consume timeout: a handler running too long is stopped and retried", async () => {
    const store = mkdtempSync(join(tmpdir(), "rmq-timeout-"));
    const { node, namesrv } = await startSingleNode(store, `messageDelayLevel=${"1s ".repeat(18)}`);
    await using _ = node;
    for (const body of ["quick", "slow"]) {
      expect(
        (await runRmq(["produce", "-n", namesrv, "-t", "Slow", "--body", body])).exitCode,
      ).toBe(0);
    }
    const handler =
      'body=$(cat); [ "$body" = slow ] && [ "$RMQ_RECONSUME_TIMES" = 0 ] && sleep 30; ' +
      'echo "$body $RMQ_RECONSUME_TIMES"';
    const run = await runRmq([
      "consume",
      "-n",
      namesrv,
      "-t",
      "Slow",
      "-g",
      "gs",
      "--from",
      "first",
      "--exec",
      handler,
      "--consume-timeout",
      "1s",
      "--timeout",
      "4s",
    ]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout.trim().split("\n").sort()).toEqual(["quick 0", "slow 1"]);
    // Two clocks run out at the same 1 s: the consumer's consumeTimeout and --exec's kill of
    // the command. Either may be first on a busy machine; both send the message back.
    expect(run.stderr).toMatch(
      /not consumed within 1000 ms \(consumeTimeout\)|--exec ran past --consume-timeout/,
    );
  }, 30_000);
});

describe("delivery: de-duplication", () => {
  // Appends each body to $OUT; on m-10's first delivery it kills its own consumer with -9
  // before handling it: m-0..m-9 were handled but their offsets never committed.
  const crashingHandler =
    'body=$(cat); if [ "$body" = m-10 ] && [ ! -e "$OUT.crashed" ]; then ' +
    'touch "$OUT.crashed"; kill -9 $PPID; exit 1; fi; echo "$body" >> "$OUT"';

  async function run(namesrv: string, group: string, out: string, dedup: string[]) {
    const args = ["consume", "-n", namesrv, "-t", "Dup", "-g", group, "--from", "first"];
    const options = ["--exec", crashingHandler, "--timeout", "2s", ...dedup];
    const crashed = await runRmq([...args, ...options], { OUT: out });
    expect(crashed.exitCode).not.toBe(0); // killed
    const resumed = await runRmq([...args, ...options], { OUT: out });
    expect(resumed.exitCode).toBe(0);
    return (await Bun.file(out).text()).trim().split("\n");
  }

  test("delivery: dedup: a killed consumer repeats; with --dedup it does not", async () => {
    const store = mkdtempSync(join(tmpdir(), "rmq-dedup-"));
    const { node, namesrv } = await startSingleNode(store);
    await using _ = node;
    const bodies = Array.from({ length: 20 }, (_, i) => `m-${i}`);
    // One key: one queue, handled one after another.
    const sent = await runRmq(
      ["produce", "-n", namesrv, "-t", "Dup", "--order-key", "k"],
      {},
      bodies.join("\n") + "\n",
    );
    expect(sent.exitCode).toBe(0);
    const plain = await run(namesrv, "plain", join(store, "plain.out"), []);
    expect(plain.length).toBe(30); // m-0..m-9 twice: the duplicates are real
    const deduped = await run(namesrv, "deduped", join(store, "deduped.out"), [
      "--dedup",
      "--dedup-file",
      join(store, "deduped.log"),
    ]);
    expect(deduped).toEqual(bodies);
  }, 40_000);
});

describe("delivery: timer messages", () => {
  test("delivery: timer: --delay and --deliver-at arrive on time; too far is refused", async () => {
    const { node, namesrv } = await startSingleNode();
    await using _ = node;
    const sentAtMs = Date.now();
    const inTwo = await runRmq([
      "produce",
      "-n",
      namesrv,
      "-t",
      "Soon",
      "--delay",
      "2s",
      "--body",
      "two",
    ]);
    expect(inTwo.exitCode).toBe(0);
    const at = new Date(sentAtMs + 3_000).toISOString();
    const atThree = await runRmq([
      "produce",
      "-n",
      namesrv,
      "-t",
      "Soon",
      "--deliver-at",
      at,
      "--body",
      "three",
    ]);
    expect(atThree.exitCode).toBe(0);
    const tooFar = new Date(sentAtMs + 4 * 24 * 3600 * 1000).toISOString();
    const refused = await runRmq([
      "produce",
      "-n",
      namesrv,
      "-t",
      "Soon",
      "--deliver-at",
      tooFar,
      "--body",
      "never",
    ]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain("timer message: delivery more than 259200 s ahead");
    const got = await runRmq([
      "consume",
      "-n",
      namesrv,
      "-t",
      "Soon",
      "-g",
      "gt",
      "--from",
      "first",
      "--count",
      "2",
      "--timeout",
      "10s",
      "--json",
    ]);
    const messages = jsonLines(got.stdout);
    expect(messages.map((m) => m.body)).toEqual(["two", "three"]);
    // 1 s precision: due times are rounded down to the second.
    expect(messages[0].storeTimestamp - sentAtMs).toBeGreaterThanOrEqual(1_000);
    expect(messages[1].storeTimestamp).toBeGreaterThanOrEqual(
      Math.floor((sentAtMs + 3_000) / 1000) * 1000,
    );
  }, 30_000);
});

describe("delivery: SQL92 filters", () => {
  test("delivery: sql92: the broker filters by properties and refuses bad SQL", async () => {
    const { node, namesrv } = await startSingleNode(undefined, "enablePropertyFilter=true");
    await using _ = node;
    for (const [region, prio] of [
      ["eu", 1],
      ["eu", 5],
      ["us", 9],
      ["eu", 3],
    ] as const) {
      const sent = await runRmq([
        "produce",
        "-n",
        namesrv,
        "-t",
        "Sql",
        "--prop",
        `region=${region}`,
        "--prop",
        `prio=${prio}`,
        "--body",
        `${region}-${prio}`,
      ]);
      expect(sent.exitCode).toBe(0);
    }
    const consume = (sql: string, group: string) =>
      runRmq([
        "consume",
        "-n",
        namesrv,
        "-t",
        "Sql",
        "-g",
        group,
        "--from",
        "first",
        "--sql",
        sql,
        "--timeout",
        "2s",
        "--format",
        "{body}",
      ]);
    const got = await consume("region = 'eu' AND prio > 2", "sql-ok");
    expect(got.exitCode).toBe(0);
    expect(got.stdout.trim().split("\n").sort()).toEqual(["eu-3", "eu-5"]);
    const bad = await consume("region = 'eu' AND", "sql-bad");
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/refuses the subscription: parse the consumer's subscription/);
  }, 30_000);
});
