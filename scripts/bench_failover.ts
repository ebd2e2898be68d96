// Failover benchmark (not a test), part of bench_ha: three brokers in controller mode behind a
// name server running the controller; the master is killed (-9: its connections close at
// once) or frozen (SIGSTOP: it just goes silent) while a producer sends one message at a time;
// the figure is the time from the signal to the first acknowledged send after it, which the
// new master gives. Default settings, and the fastest this machine takes without false alarms.

import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Producer } from "../core/client/index.ts";
import { createLogger, SystemClock } from "../core/common/index.ts";
import { rmqBinary } from "./bench_e2e_systems.ts";

const clock = new SystemClock();
const log = createLogger("bench", { level: "error" });

export const fastestBrokerConf = [
  "controllerHeartBeatTimeoutMills=1000",
  "brokerHeartbeatInterval=200",
  "syncBrokerMetadataPeriod=500",
  "",
].join("\n");
export const fastestNamesrvConf = "scanNotActiveBrokerInterval=200\n";

interface Proc {
  proc: ReturnType<typeof Bun.spawn>;
  output: () => string;
}

async function spawn(args: string[], ready: RegExp, timeoutMs = 15_000): Promise<Proc> {
  const proc = Bun.spawn([rmqBinary, ...args], { stdout: "pipe", stderr: "pipe" });
  let out = "";
  for (const stream of [proc.stdout, proc.stderr] as ReadableStream<Uint8Array>[]) {
    void (async () => {
      for await (const chunk of stream) out += new TextDecoder().decode(chunk);
    })();
  }
  const t0 = performance.now();
  while (!ready.test(out) && performance.now() - t0 < timeoutMs) await Bun.sleep(20);
  if (!ready.test(out)) throw new Error(`rmq did not get ready: ${out.slice(-500)}`);
  return { proc, output: () => out };
}

/** One failover: milliseconds from the signal to the first SEND_OK after it. */
export async function measureFailover(
  root: string,
  signal: "SIGKILL" | "SIGSTOP",
  fastest: boolean,
): Promise<number> {
  const dir = mkdtempSync(join(root, "failover-"));
  writeFileSync(
    join(dir, "ns.conf"),
    `enableControllerInNamesrv=true\ncontrollerStorePath=${join(dir, "ctl")}\n` +
      `kvConfigPath=${join(dir, "kv.json")}\n${fastest ? fastestNamesrvConf : ""}`,
  );
  const namesrv = await spawn(
    ["namesrv", "-c", join(dir, "ns.conf"), "--listen", "127.0.0.1:0"],
    /ready/,
  );
  const ns = /ready address=(\S+)/.exec(namesrv.output())![1]!;
  const brokers: Proc[] = [];
  const producer = new Producer({ group: "bench-failover", namesrvAddrs: [ns], clock, log });
  try {
    for (const name of ["a", "b", "c"]) {
      const conf = join(dir, `${name}.conf`);
      writeFileSync(
        conf,
        "brokerName=fo-bench\nenableControllerMode=true\n" +
          `controllerAddr=${ns}\nnamesrvAddr=${ns}\n` +
          `allAckInSyncStateSet=true\nhaListenPort=0\n${fastest ? fastestBrokerConf : ""}`,
      );
      const args = ["broker", "-c", conf, "--listen", "127.0.0.1:0", "--store", join(dir, name)];
      brokers.push(await spawn(args, /rmq broker ready/));
    }
    const t0 = performance.now();
    while (!namesrv.output().includes("in-sync set is now [1,2,3]")) {
      if (performance.now() - t0 > 20_000) throw new Error("replicas never got in sync");
      await Bun.sleep(20);
    }
    const body = new Uint8Array(1024).fill(102);
    for (let i = 0; i < 50; i++) await producer.send({ topic: "BenchFailover", body });
    const master = brokers.find((b) => /now MASTER/.test(b.output()))!;
    const killedAtMs = performance.now();
    master.proc.kill(signal);
    for (;;) {
      try {
        const sent = await producer.send({ topic: "BenchFailover", body });
        if (sent.status === "SEND_OK") return performance.now() - killedAtMs;
      } catch {
        // the send that met the dead master, or a route without a master yet: send again
      }
      if (performance.now() - killedAtMs > 60_000) throw new Error("no failover in 60 s");
    }
  } finally {
    producer.close();
    for (const b of brokers) {
      b.proc.kill("SIGCONT");
      b.proc.kill("SIGKILL");
      await b.proc.exited;
    }
    namesrv.proc.kill("SIGKILL");
    await namesrv.proc.exited;
  }
}
