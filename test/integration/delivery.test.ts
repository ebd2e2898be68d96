// Delivery semantics through real processes: a delayed message stays invisible until its level's
// delay has passed, survives a kill -9 of the broker while it waits, and arrives exactly once.

import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runRmq } from "../harness/rmq_process.ts";
import { jsonLines, startSingleNode } from "../harness/single_node.ts";

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
