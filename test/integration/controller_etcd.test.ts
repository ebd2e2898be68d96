// A replicated controller: two name servers keep the controller's state in a three-member etcd
// cluster and one of them is active under an etcd lease. The active one is killed -9 and the
// other takes over; an etcd member is killed too; then the master broker is killed and the
// controller now active elects its successor: sends go on and nothing acknowledged is lost.

import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EtcdCluster, etcdUnavailable } from "../harness/etcd.ts";
import { jsonLines, RmqProcess, runRmq } from "../harness/rmq_process.ts";
import { waitFor } from "../harness/wait_for.ts";

const unavailable = etcdUnavailable();
if (unavailable) console.warn(`replicated controller tests skipped: ${unavailable}`);

describe("ha: replicated controller", () => {
  test.skipIf(unavailable !== null)(
    "ha: etcd controller: the active controller and an etcd member die; failover still works",
    async () => {
      await using etcd = new EtcdCluster();
      await etcd.start(3);
      const dir = mkdtempSync(join(tmpdir(), "rmq-etcd-controller-"));
      const namesrvs: RmqProcess[] = [];
      const addrs: string[] = [];
      const brokers = new Map<string, RmqProcess>();
      try {
        for (const name of ["n1", "n2"]) {
          const conf = join(dir, `${name}.conf`);
          writeFileSync(
            conf,
            `enableControllerInNamesrv=true\ncontrollerEtcdEndpoints=${etcd.endpoints()}\n` +
              `kvConfigPath=${join(dir, `${name}-kv.json`)}\nscanNotActiveBrokerInterval=500\n`,
          );
          const ns = new RmqProcess(["namesrv", "-c", conf, "--listen", "127.0.0.1:0"]);
          addrs.push(await ns.ready());
          namesrvs.push(ns);
        }
        const active = await waitFor(
          () => namesrvs.findIndex((n) => n.stderr.includes("this controller is now active")) + 1,
          { timeoutMs: 10_000, what: "an active controller" },
        );
        const list = addrs.join(";");
        for (const name of ["a", "b"]) {
          const conf = join(dir, `${name}.conf`);
          mkdirSync(join(dir, name), { recursive: true });
          writeFileSync(
            conf,
            `brokerName=etcd-a\nenableControllerMode=true\ncontrollerAddr=${list}\n` +
              `namesrvAddr=${list}\nallAckInSyncStateSet=true\nhaListenPort=0\n`,
          );
          const broker = new RmqProcess([
            "broker",
            "-c",
            conf,
            "--listen",
            "127.0.0.1:0",
            "--store",
            join(dir, name),
          ]);
          await broker.ready(20_000);
          brokers.set(name, broker);
        }
        const activeNs = namesrvs[active - 1]!;
        await waitFor(() => activeNs.stderr.includes("in-sync set is now [1,2]"), {
          timeoutMs: 20_000,
          what: "both replicas in sync",
        });
        const send = async (body: string) => {
          const run = await runRmq([
            "produce",
            "-n",
            list,
            "-t",
            "EtcdTopic",
            "--body",
            body,
            "--json",
          ]);
          return jsonLines(run.stdout)[0] as { status: string; msgId: string } | undefined;
        };
        const before = await send("before");
        expect(before?.status).toBe("SEND_OK");

        // The active controller dies; the other takes over from etcd's state.
        await activeNs[Symbol.asyncDispose]();
        const other = namesrvs[2 - active]!;
        await waitFor(() => other.stderr.includes("this controller is now active"), {
          timeoutMs: 15_000,
          what: "the other controller to take over",
        });
        etcd.kill(0); // and one etcd member with it
        const master = [...brokers.entries()].find(([, b]) => /now MASTER/.test(b.stderr))!;
        await master[1][Symbol.asyncDispose]();
        brokers.delete(master[0]);
        await waitFor(() => /elected master, epoch 2/.test(other.stderr), {
          timeoutMs: 20_000,
          what: "a new master elected by the controller now active",
        });
        const after = await waitFor(
          async () => {
            const sent = await send("after");
            return sent?.status === "SEND_OK" ? sent : undefined;
          },
          { timeoutMs: 20_000, what: "sends to the new master" },
        );
        const read = await runRmq(
          ["consume", "-n", addrs[2 - active]!, "-t", "EtcdTopic", "-g", "etcd-check"].concat([
            "--from",
            "first",
            "--until-end",
            "--json",
          ]),
        );
        const consumed = new Set(jsonLines(read.stdout).map((m) => m.msgId as string));
        expect([before!.msgId, after.msgId].filter((id) => !consumed.has(id))).toEqual([]);
      } finally {
        for (const b of brokers.values()) await b[Symbol.asyncDispose]();
        for (const n of namesrvs) await n[Symbol.asyncDispose]();
      }
    },
    120_000,
  );
});
