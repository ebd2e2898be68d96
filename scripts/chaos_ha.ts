// Chaos run for controller-mode HA (not in CI): three replicas behind a name server running
// the controller, a producer sending one message every 10 ms (SYNC, allAckInSyncStateSet) and
// a consumer reading all along. Each seeded cycle picks a replica and a fault, kill -9 (then a
// restart on the same store and port) or SIGSTOP (then SIGCONT), waits for the group to heal,
// and checks that every acknowledged message is stored (read back by a fresh group) and was
// consumed by the live consumer.
//
//   RMQ_CHAOS=1 [RMQ_CHAOS_CYCLES=10] [RMQ_SEED=n] [RMQ_CHAOS_VERBOSE=1] \
//     npx bun scripts/chaos_ha.ts
//
// Needs dist/rmq (npm run build). Prints the seed first; replay a run with the same RMQ_SEED.
// RMQ_CHAOS_VERBOSE=1 prints what every process logged while each cycle healed.

import { Prng } from "../core/common/prng.ts";
import { ControllerCluster } from "../test/harness/controller_cluster.ts";
import { jsonLines, RmqProcess, rmqBinary, runRmq } from "../test/harness/rmq_process.ts";
import { waitFor } from "../test/harness/wait_for.ts";

if (process.env.RMQ_CHAOS !== "1") {
  console.log("chaos_ha: set RMQ_CHAOS=1 to run (it takes minutes and kills processes)");
  process.exit(0);
}
const cycles = Number(process.env.RMQ_CHAOS_CYCLES ?? 10);
const seed = Number(process.env.RMQ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const prng = new Prng(seed);
console.log(`chaos_ha: seed ${seed}, ${cycles} cycles`);

const conf = [
  "allAckInSyncStateSet=true",
  "controllerHeartBeatTimeoutMills=2000",
  "brokerHeartbeatInterval=300",
  "syncBrokerMetadataPeriod=500",
  "",
].join("\n");

await using cluster = new ControllerCluster();
await cluster.startNamesrv("scanNotActiveBrokerInterval=500\n");
const ports = new Map<string, number>();
for (const name of ["a", "b", "c"]) {
  const broker = await cluster.startBroker(name, conf);
  ports.set(name, Number(/address=127\.0\.0\.1:(\d+)/.exec(broker.stdout)![1]));
}
await cluster.inSync("1,2,3");

const producer = Bun.spawn(
  [rmqBinary, "produce", "-n", cluster.namesrvAddr, "-t", "Chaos", "--mode", "sync", "--json"],
  { stdin: "pipe", stdout: "pipe", stderr: "ignore" },
);
let produced = "";
void (async () => {
  for await (const chunk of producer.stdout) produced += new TextDecoder().decode(chunk);
})();
let next = 0;
const pacer = setInterval(() => {
  producer.stdin.write(`chaos-${next++}\n`);
  producer.stdin.flush();
}, 10);
await using consumer = new RmqProcess([
  "consume",
  "-n",
  cluster.namesrvAddr,
  "-t",
  "Chaos",
  "-g",
  "chaos-live",
  "--from",
  "first",
  "--json",
  "--timeout",
  "1h",
]);

const acked = () =>
  new Set(
    jsonLines(produced)
      .filter((r) => r.status === "SEND_OK")
      .map((r) => r.msgId as string),
  );
const consumedLive = () => new Set(jsonLines(consumer.stdout).map((m) => m.msgId as string));

let failures = 0;
for (let cycle = 1; cycle <= cycles; cycle++) {
  const name = ["a", "b", "c"][prng.below(3)]!;
  const fault = prng.below(2) === 0 ? "kill -9" : "SIGSTOP";
  const downMs = 1_000 + prng.below(4_000);
  const broker = cluster.brokers.get(name)!;
  const startedMs = performance.now();
  const startedWallMs = Date.now();
  const namesrvLogFrom = cluster.namesrv!.stderr.length;
  if (fault === "kill -9") {
    await cluster.kill(name);
    await Bun.sleep(downMs); // the fault's length, drawn from the seed
    await cluster.startBroker(name, conf, ports.get(name));
  } else {
    broker.proc.kill("SIGSTOP");
    await Bun.sleep(downMs);
    broker.proc.kill("SIGCONT");
  }
  const healed = await waitFor(
    async () => {
      const view = await runRmq(["inspect", "cluster", "-n", cluster.namesrvAddr, "--json"]);
      const master = jsonLines(view.stdout).find((r) => r.brokerId === 0);
      return master?.syncStateSet?.length === 3 ? master : undefined;
    },
    // Not too often: each look is a process of its own, and 2 cores are shared.
    { timeoutMs: 60_000, intervalMs: 250, what: "all three replicas in sync again" },
  ).catch(() => null);
  if (process.env.RMQ_CHAOS_VERBOSE === "1") {
    // What the group logged while it healed, for a slow or failed cycle.
    const since = new Date(Date.now() - (performance.now() - startedMs)).toISOString();
    for (const [who, proc] of [...cluster.brokers, ["namesrv", cluster.namesrv!] as const]) {
      const lines = proc.stderr.split("\n").filter((l) => l.slice(0, 24) >= since);
      console.log(`  -- ${who}\n${lines.map((l) => `     ${l.slice(11, 180)}`).join("\n")}`);
    }
  }
  // When the group was whole again, by the controller's own log (the polling above is a
  // process per look and lags); a fault that never shrank the set healed when it ended.
  const rejoined = cluster
    .namesrv!.stderr.slice(namesrvLogFrom)
    .split("\n")
    .filter((l) => l.includes("in-sync set is now [1,2,3]"))
    .pop();
  const healMs = rejoined ? Date.parse(rejoined.slice(0, 24)) - startedWallMs : downMs;
  const want = acked();
  const read = await runRmq(
    ["consume", "-n", cluster.namesrvAddr, "-t", "Chaos", "-g", `chaos-check-${cycle}`].concat([
      "--from",
      "first",
      "--until-end",
      "--json",
    ]),
  );
  const stored = new Set(jsonLines(read.stdout).map((m) => m.msgId as string));
  const missingStored = [...want].filter((id) => !stored.has(id));
  const liveOk = await waitFor(() => [...want].every((id) => consumedLive().has(id)), {
    timeoutMs: 30_000,
    what: "the live consumer to catch up",
  }).catch(() => false);
  const ok = healed !== null && missingStored.length === 0 && liveOk;
  if (!ok) failures++;
  console.log(
    `cycle ${cycle}: ${fault} ${name} for ${downMs} ms; healed ${healed ? "yes" : "NO"} ` +
      `(epoch ${healed?.masterEpoch ?? "?"}) ${healMs} ms after the fault began; ` +
      `acked ${want.size}, stored-missing ${missingStored.length}, ` +
      `consumed ${liveOk ? "all" : "NOT all"} -> ${ok ? "ok" : "FAIL"}`,
  );
}
clearInterval(pacer);
producer.stdin.end();
await producer.exited;
console.log(`chaos_ha: ${cycles - failures} cycles ok, ${failures} failed (seed ${seed})`);
process.exitCode = failures === 0 ? 0 : 1;
