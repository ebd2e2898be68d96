// A network partition, with real processes on hosts of their own (network namespaces made and
// removed by the test): the controller, three replicas and a client each on one host. The
// master is cut off from everyone while two producers send: one on the client host, one on
// the master's own host that can still reach it. A new master is elected; the cut-off master
// acknowledges nothing after the cut (its SYNC sends fail: no replica acks, then its lease
// lapses); after healing it truncates what only it had and follows, and every acknowledged
// message of both producers is consumed.

import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetLab, netnsUnavailable } from "../harness/netns.ts";
import { jsonLines, RmqProcess, rmqBinary, runRmq } from "../harness/rmq_process.ts";
import { waitFor } from "../harness/wait_for.ts";

const unavailable = netnsUnavailable();
if (unavailable) console.warn(`partition tests skipped: ${unavailable}`);

// Fast failure detection (2 s), so the test does not wait out RocketMQ's 10 s.
const brokerTimings = [
  "controllerHeartBeatTimeoutMills=2000",
  "brokerHeartbeatInterval=300",
  "syncBrokerMetadataPeriod=500",
  "allAckInSyncStateSet=true",
].join("\n");

/** `rmq produce --json` reading bodies from a pipe the test feeds, one line at a time. */
class PacedProducer {
  readonly proc: Bun.Subprocess<"pipe", "pipe", "pipe">;
  stdout = "";
  stderr = "";
  /** When each result line arrived here. */
  readonly arrivedMs: number[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private sent = 0;

  constructor(wrap: string[], namesrv: string, tag: string) {
    const proc = Bun.spawn(
      [...wrap, rmqBinary, "produce", "-n", namesrv, "-t", "PartTopic", "--mode", "sync", "--json"],
      { stdin: "pipe", stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } },
    );
    this.proc = proc;
    void (async () => {
      for await (const chunk of proc.stdout) {
        this.stdout += new TextDecoder().decode(chunk);
        const lines = this.stdout.split("\n").length - 1;
        while (this.arrivedMs.length < lines) this.arrivedMs.push(performance.now());
      }
    })();
    void (async () => {
      for await (const chunk of proc.stderr) this.stderr += new TextDecoder().decode(chunk);
    })();
    this.timer = setInterval(() => {
      proc.stdin.write(`${tag}-${this.sent++}\n`);
      proc.stdin.flush();
    }, 20); // the test's own pacing of messages, not a wait
  }

  results(): { status: string; msgId: string }[] {
    return jsonLines(this.stdout);
  }

  /** Results that arrived after `ms` (performance.now time). */
  resultsAfter(ms: number): { status: string; msgId: string }[] {
    return this.results().filter((_, i) => (this.arrivedMs[i] ?? Infinity) > ms);
  }

  async finish(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.proc.stdin.end();
    await this.proc.exited;
  }
}

describe("ha: partition", () => {
  test.skipIf(unavailable !== null)(
    "ha: partition: a cut-off master acknowledges nothing; after healing nothing is lost",
    async () => {
      using lab = new NetLab(["ctl", "a", "b", "c", "client"]);
      const dir = mkdtempSync(join(tmpdir(), "rmq-partition-"));
      const namesrvConf = join(dir, "namesrv.conf");
      writeFileSync(
        namesrvConf,
        `enableControllerInNamesrv=true\ncontrollerStorePath=${join(dir, "ctl")}\n` +
          `kvConfigPath=${join(dir, "kv.json")}\nscanNotActiveBrokerInterval=500\n`,
      );
      await using namesrv = new RmqProcess(
        ["namesrv", "-c", namesrvConf, "--listen", `${lab.address("ctl")}:9876`],
        {},
        lab.on("ctl"),
      );
      const ns = await namesrv.ready();
      const brokers = new Map<string, RmqProcess>();
      const startBroker = async (name: string) => {
        const conf = join(dir, `${name}.conf`);
        mkdirSync(join(dir, name), { recursive: true });
        writeFileSync(
          conf,
          "brokerName=part-a\nenableControllerMode=true\n" +
            `controllerAddr=${ns}\nnamesrvAddr=${ns}\n${brokerTimings}\n`,
        );
        const args = ["broker", "-c", conf, "--listen", `${lab.address(name)}:10911`];
        const broker = new RmqProcess([...args, "--store", join(dir, name)], {}, lab.on(name));
        await broker.ready(15_000);
        brokers.set(name, broker);
        return broker;
      };
      try {
        const a = await startBroker("a"); // first up: it leads
        await waitFor(() => /now MASTER/.test(a.stderr), { what: "a to lead" });
        await startBroker("b");
        await startBroker("c");
        await waitFor(() => namesrv.stderr.includes("in-sync set is now [1,2,3]"), {
          timeoutMs: 20_000,
          what: "all three in sync",
        });
        const outside = new PacedProducer(lab.on("client"), ns, "client");
        const inside = new PacedProducer(lab.on("a"), ns, "inside");
        await waitFor(() => inside.results().length > 20 && outside.results().length > 20, {
          timeoutMs: 20_000,
          what: "both producers to get acks",
        });

        lab.cut("a");
        const cutMs = performance.now();
        await waitFor(() => /elected master, epoch 2/.test(namesrv.stderr), {
          timeoutMs: 20_000,
          what: "a new master",
        });
        const afterCut = outside.results().length;
        await waitFor(() => outside.results().length > afterCut + 20, {
          timeoutMs: 30_000,
          what: "the client's sends to reach the new master",
        });
        // The cut-off master keeps getting sends from its own host: they time out waiting for
        // replicas, then its lease lapses and it refuses them.
        await waitFor(() => a.stderr.includes("no controller has confirmed this master"), {
          timeoutMs: 20_000,
          what: "the cut-off master to fence itself",
        });
        // An answer on its way when the link went down may still arrive; give it half a second.
        const insideAfterCut = inside.resultsAfter(cutMs + 500);
        lab.heal("a");
        await waitFor(() => /stepped down: now SLAVE/.test(a.stderr), {
          timeoutMs: 20_000,
          what: "the old master to step down",
        });
        await inside.finish();
        await outside.finish();

        // Nothing the cut-off master answered after the cut was acknowledged, though it was
        // sent to (and stored some: those went when it rejoined).
        expect(insideAfterCut.filter((r) => r.status === "SEND_OK")).toEqual([]);
        const failed = inside.stderr.split("\n").filter((l) => l.includes("send failed")).length;
        expect(insideAfterCut.length + failed).toBeGreaterThan(0);
        await waitFor(() => /replicating from master/.test(a.stderr), {
          timeoutMs: 20_000,
          what: "the old master to replicate from the new one",
        });
        expect(a.stderr).toMatch(/shares up to \d+ with the master .*: truncating/);
        const acked = [...inside.results(), ...outside.results()]
          .filter((r) => r.status === "SEND_OK")
          .map((r) => r.msgId);
        expect(acked.length).toBeGreaterThan(40);
        const read = await runRmq(
          ["consume", "-n", ns, "-t", "PartTopic", "-g", "part-check", "--from", "first"].concat([
            "--until-end",
            "--json",
          ]),
          {},
          undefined,
          lab.on("client"),
        );
        const consumed = new Set(jsonLines(read.stdout).map((m) => m.msgId as string));
        expect(acked.filter((id) => !consumed.has(id))).toEqual([]);
      } finally {
        for (const broker of brokers.values()) await broker[Symbol.asyncDispose]();
      }
    },
    120_000,
  );
});
