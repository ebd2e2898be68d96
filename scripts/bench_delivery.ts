// Delivery benchmark (not a test): what ordering and timing cost, each next to a reference
// measured in the same run on the same broker.
//
//   npx bun scripts/bench_delivery.ts [--quick]
//
// 1. Ordered vs plain: N messages of 128 B produced and consumed end to end (first send to last
//    consume). Plain: round-robin sends, a clustering consumer. Ordered: 1000 sharding keys
//    (each key's sends one after another, keys in parallel), an orderly consumer (queue locks,
//    one message at a time per queue). Ratio ordered / plain; rounds alternate.
// 2. Timer accuracy: P messages for arbitrary times (TIMER_DELIVER_MS) spread over a window,
//    all pending at once; lateness = delivered copy's store time - due, and consumed - due (due
//    rounded down to the timer's 1 s precision, as the broker does: each second's messages fall
//    due together, so the consumed figure includes draining that burst). Reference: the
//    produce-to-consume latency of plain messages in the same run.
// 3. Transactions: half message + COMMIT (a local transaction that commits at once), 1 KiB,
//    64 in flight, against plain sync sends of the same bodies with 64 in flight.
// The broker is dist/rmq (`npm run build`) with its embedded name server on 127.0.0.1.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Producer, PushConsumer, TransactionProducer } from "../core/client/index.ts";
import { createLogger, SystemClock } from "../core/common/index.ts";
import { int, ms, percentilesOf } from "./bench_e2e_report.ts";
import { startRmq } from "./bench_e2e_systems.ts";
import { printTable } from "./bench_table.ts";

const quick = process.argv.includes("--quick");
const orderedCount = quick ? 10_000 : 50_000;
const keyCount = 1000;
const inFlightMax = 256;
const rounds = quick ? 1 : 2;
const timerCount = quick ? 20_000 : 100_000;
const timerLeadMs = quick ? 8_000 : 20_000; // sends finish before the first is due
const timerWindowMs = quick ? 5_000 : 10_000;
const referenceCount = quick ? 2_000 : 5_000;
const txCount = quick ? 3_000 : 20_000;
const txInFlight = 64;

const clock = new SystemClock();
const log = createLogger("bench", { level: "error" });
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function producer(namesrv: string): Producer {
  return new Producer({ group: "bench-delivery", namesrvAddrs: [namesrv], clock, log });
}

/** A consumer that calls `onMessage` for each; resolves `done` after `expected` messages. */
async function consumer(
  namesrv: string,
  topic: string,
  orderly: boolean,
  expected: number,
  onMessage: (body: string, storeTimestampMs: number) => void = () => {},
) {
  let seen = 0;
  const done = Promise.withResolvers<number>();
  const c = new PushConsumer({
    group: `g-${topic}`,
    topic,
    subscription: "*",
    namesrvAddrs: [namesrv],
    clock,
    log,
    consumeFrom: { kind: "first" },
    orderly,
    handler: (m) => {
      onMessage(decoder.decode(m.body), m.storeTimestamp);
      if (++seen === expected) done.resolve(performance.now());
    },
  });
  await c.start();
  return { c, done: done.promise };
}

/** Runs `sendOne(i)` for i < count with at most `inFlight` pending. */
async function sendAll(
  count: number,
  sendOne: (i: number) => Promise<unknown>,
  inFlight = inFlightMax,
): Promise<void> {
  const pending = new Set<Promise<unknown>>();
  for (let i = 0; i < count; i++) {
    const p = sendOne(i).finally(() => pending.delete(p));
    pending.add(p);
    if (pending.size >= inFlight) await Promise.race(pending);
  }
  await Promise.all(pending);
}

/** Messages per second: transactions (half + commit) and plain sync sends, 1 KiB, 64 in flight. */
async function transactionRate(namesrv: string) {
  const body = encoder.encode("t".repeat(1024));
  const tx = new TransactionProducer({ group: "bench-tx", namesrvAddrs: [namesrv], clock, log });
  await tx.start();
  await tx.send({ topic: "BenchTx", body }, async () => "COMMIT");
  let startMs = performance.now();
  await sendAll(
    txCount,
    () => tx.send({ topic: "BenchTx", body }, async () => "COMMIT"),
    txInFlight,
  );
  const txPerSecond = (txCount / (performance.now() - startMs)) * 1000;
  tx.close();
  const p = producer(namesrv);
  await p.send({ topic: "BenchTxPlain", body });
  startMs = performance.now();
  await sendAll(txCount, () => p.send({ topic: "BenchTxPlain", body }), txInFlight);
  const plainPerSecond = (txCount / (performance.now() - startMs)) * 1000;
  p.close();
  return { txPerSecond, plainPerSecond };
}

async function throughput(namesrv: string, topic: string, ordered: boolean): Promise<number> {
  const p = producer(namesrv);
  const body = encoder.encode("x".repeat(128));
  // Create the topic and its route before timing.
  await p.send({ topic, body, shardingKey: ordered ? "warmup" : undefined });
  const { c, done } = await consumer(namesrv, topic, ordered, orderedCount + 1);
  const startMs = performance.now();
  if (ordered) {
    // Per key, the next send waits for the previous one (that is what keeps a key in order).
    const chains = new Map<number, Promise<unknown>>();
    await sendAll(orderedCount, (i) => {
      const key = i % keyCount;
      const next = (chains.get(key) ?? Promise.resolve()).then(() =>
        p.send({ topic, body, shardingKey: `key-${key}` }),
      );
      chains.set(key, next);
      return next;
    });
  } else {
    await sendAll(orderedCount, () => p.send({ topic, body }));
  }
  const endMs = await done;
  await c.stop();
  p.close();
  return (orderedCount / (endMs - startMs)) * 1000;
}

async function timerAccuracy(namesrv: string) {
  const p = producer(namesrv);
  const topic = "BenchTimer";
  await p.send({ topic, body: encoder.encode("warmup") });
  const lateness: number[] = [];
  const storeLateness: number[] = [];
  const { c, done } = await consumer(namesrv, topic, false, timerCount + 1, (text, storedMs) => {
    if (text === "warmup") return;
    const dueMs = Math.floor(Number(text) / 1000) * 1000;
    lateness.push(Date.now() - dueMs);
    storeLateness.push(storedMs - dueMs);
  });
  const t0 = Date.now();
  const sendStartMs = performance.now();
  await sendAll(timerCount, (i) => {
    const deliverAtMs = t0 + timerLeadMs + Math.floor((i * 7919) % timerWindowMs);
    return p.send({ topic, body: encoder.encode(String(deliverAtMs)), deliverAtMs });
  });
  const sendMs = performance.now() - sendStartMs;
  const sentAllBeforeFirstDue = Date.now() < t0 + timerLeadMs;
  await done;
  await c.stop();
  p.close();
  return {
    lateness: percentilesOf(lateness),
    storeLateness: percentilesOf(storeLateness),
    sendMs,
    sentAllBeforeFirstDue,
  };
}

async function plainLatency(namesrv: string) {
  const p = producer(namesrv);
  const topic = "BenchPlainLatency";
  await p.send({ topic, body: encoder.encode(String(Date.now())) });
  const samples: number[] = [];
  const { c, done } = await consumer(namesrv, topic, false, referenceCount + 1, (text) => {
    samples.push(Date.now() - Number(text));
  });
  for (let i = 0; i < referenceCount; i++) {
    await p.send({ topic, body: encoder.encode(String(Date.now())) });
    if (i % 10 === 9) await Bun.sleep(1); // paced, not a backlog
  }
  await done;
  await c.stop();
  p.close();
  return percentilesOf(samples.slice(1));
}

const row = (name: string, p: ReturnType<typeof percentilesOf>) => [
  name,
  int(p.count),
  ms(p.p50),
  ms(p.p99),
  ms(p.max),
];

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "rmq-bench-delivery-"));
  const broker = await startRmq(join(root, "broker"), "ASYNC_FLUSH");
  try {
    console.log(`rmq bench_delivery${quick ? " --quick" : ""}: broker ${broker.brokerAddr}`);
    console.log(
      `\n1. Ordered vs plain, ${int(orderedCount)} x 128 B, ${keyCount} keys, end to end`,
    );
    const plain: number[] = [];
    const ordered: number[] = [];
    for (let r = 0; r < rounds; r++) {
      plain.push(await throughput(broker.namesrvAddr, `BenchPlain${r}`, false));
      ordered.push(await throughput(broker.namesrvAddr, `BenchOrdered${r}`, true));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    printTable(
      ["mode", "msgs/s (median)", "rounds"],
      [
        ["plain", int(median(plain)), plain.map(int).join(" ")],
        ["ordered", int(median(ordered)), ordered.map(int).join(" ")],
      ],
    );
    console.log(`  ordered / plain: ${(median(ordered) / median(plain)).toFixed(2)}x`);

    console.log(`\n2. Timer accuracy: ${int(timerCount)} pending, due over ${timerWindowMs} ms`);
    const timer = await timerAccuracy(broker.namesrvAddr);
    const reference = await plainLatency(broker.namesrvAddr);
    printTable(
      ["measure", "count", "p50 ms", "p99 ms", "max ms"],
      [
        row("timer: delivered copy stored - due", timer.storeLateness),
        row("timer: consumed - due", timer.lateness),
        [
          "plain produce-to-consume (ref)",
          int(reference.count),
          ms(reference.p50),
          ms(reference.p99),
          ms(reference.max),
        ],
      ],
    );
    console.log(
      `  sends took ${int(timer.sendMs)} ms; all pending before the first was due: ` +
        `${timer.sentAllBeforeFirstDue ? "yes" : "NO (raise the lead time)"}`,
    );
    console.log(
      `  timer stored-late p99 / plain produce-to-consume p99: ` +
        `${(timer.storeLateness.p99 / Math.max(1, reference.p99)).toFixed(2)}x ` +
        `(store times have ms resolution)`,
    );

    console.log(`\n3. Transactions: ${int(txCount)} x 1 KiB, ${txInFlight} in flight`);
    const rates = await transactionRate(broker.namesrvAddr);
    printTable(
      ["mode", "msgs/s"],
      [
        ["transaction (half + commit)", int(rates.txPerSecond)],
        ["plain sync send (ref)", int(rates.plainPerSecond)],
      ],
    );
    console.log(
      `  transactions / plain: ${(rates.txPerSecond / rates.plainPerSecond).toFixed(2)}x`,
    );
  } finally {
    await broker.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
