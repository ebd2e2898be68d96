// End-to-end benchmark (not a test): the rmq broker over loopback, driven from this Bun process,
// next to an echo broker (same client code, a server that stores nothing: the client + loopback
// ceiling) and, where installed, nats-server JetStream and redis-server Streams as references,
// with the targets of the end-to-end issue.
//
//   npx bun scripts/bench_e2e.ts [--quick] [--gc] [--w3-only [--runs N] [--rate R]]
//
// W1 produce throughput: one producer, up to 1024 sends in flight, 128 B and 1 KiB bodies.
// W2 send latency: one send at a time, 1 KiB bodies; rmq with ASYNC_FLUSH and SYNC_FLUSH.
// W3 end to end: one producer and one consumer, 1 KiB bodies: the peak consume rate (backlog
//    bounded), then produce-to-consume latency at half that rate (a send timestamp in the body).
//    Where nats-server is installed, a floor runs at rmq's half rate: core NATS publish and
//    subscribe, no store, no acknowledgement (what this process and the loopback leave).
// W2 cells and W3 rigs run with this process on CPU 0 and the server on CPU 1 (bench_affinity.ts).
// This process runs with the servers' runtime settings (bench_runtime.ts).
// rmq and the echo run W1/W2 twice: with our client (Producer, binary header) and as the Java
// client sends (SEND_MESSAGE_V2, JSON header). Every server binds 127.0.0.1 on a free port, keeps
// its files in a temp dir under os.tmpdir() (deleted at the end) and is stopped by this script.
// References need `apt-get install -y nats-server redis-server`; missing ones are skipped. Their
// clients: the npm package nats (a devDependency) and Bun's built-in RedisClient.
// The broker is dist/rmq (`npm run build`) unless $RMQ_BINARY names another executable, such as
// a script that execs `bun --cpu-prof cli/main.ts "$@"` to profile the broker under this load.
// Servers and clients: scripts/bench_e2e_systems.ts.
// --gc: the rmq broker logs its garbage collections (BUN_JSC_logGC=1) and W3 prints those of
//    its measured half rate: count, pauses, heap allocated per message (scripts/bench_gc_log.ts).
// --w3-only: only rmq's W3, N times (--runs, default 1), each on a broker of its own; no report.
//    For working on the W3 tail: with --gc, a run shows whether the broker's pauses carry it.
//    --rate R measures at R msgs/s instead of half the peak: the peak moves 2x between sittings
//    (and so does the tail with it), so an A/B of two brokers compares best at one fixed rate.

import "./bench_runtime.ts"; // first: it may restart this process with the server runtime
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { assert, KiB } from "../core/common/index.ts";
import { onSeparateCpus } from "./bench_affinity.ts";
import { GcLog, type GcSummary } from "./bench_gc_log.ts";
import {
  binary,
  bodyText,
  int,
  javaStyle,
  MB,
  ms,
  percentilesOf,
  report,
  Samples,
  results,
  w3Floor,
  type Cpu,
  type ReportParams,
  type ServerRow,
  type W1Result,
  type W3Result,
} from "./bench_e2e_report.ts";
import {
  clientLogCounts,
  cpuMsOf,
  javaStyleSender,
  memoryOf,
  natsClient,
  natsCoreE2e,
  natsE2e,
  natsSender,
  redisE2e,
  redisSender,
  rmqBinary,
  rmqClientSender,
  rmqE2e,
  startEcho,
  startNats,
  startRedis,
  startRmq,
  type E2eRig,
  type OnStamp,
  type RmqServer,
  type Sender,
  type ServerProcess,
} from "./bench_e2e_systems.ts";

// ---------------------------------------------------------------------------------------------
// Parameters

const quick = process.argv.includes("--quick");
const gcLogged = process.argv.includes("--gc");
const w3Only = process.argv.includes("--w3-only");
const runsAt = process.argv.indexOf("--runs");
const w3OnlyRunCount = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 1;
const rateAt = process.argv.indexOf("--rate");
const w3OnlyRate = rateAt > 0 ? Number(process.argv[rateAt + 1]) : undefined;
if (w3OnlyRate !== undefined && !(Number.isInteger(w3OnlyRate) && w3OnlyRate > 0))
  throw new Error(`--rate wants a whole number of messages a second: ${process.argv[rateAt + 1]}`);
if (!Number.isInteger(w3OnlyRunCount) || w3OnlyRunCount < 1) {
  throw new Error(`--runs wants a whole number of runs, 1 or more: ${process.argv[runsAt + 1]}`);
}
const bodySizesBytes = [128, 1 * KiB];
const inFlightCountMax = 1024;
/** W1 and W2 run in rounds; each round visits every system, so drift hits all alike. */
const roundCount = quick ? 2 : 3;
const w1CellMs = quick ? 400 : 1_500;
const w1WarmupMs = quick ? 150 : 400;
const w1CountMax = 10_000_000;
const errorCountMax = 100;
const w2BodyBytes = 1 * KiB;
const w2WarmupCount = quick ? 200 : 500;
const w2SampleCountMax = quick ? 2_000 : 9_000;
const w2CellMsMax = quick ? 1_000 : 4_000;
const w3BodyBytes = 1 * KiB;
const w3PeakMs = quick ? 1_500 : 4_000;
const w3HalfMs = quick ? 2_000 : 5_000;
/**
 * At half rate before the measured half, not counted. Measured is the steady flow, as the issue
 * measured RocketMQ with a warm JVM: the peak runs the consume path with full pulls, and the
 * half rate's code (long polls woken by each send, small pulls) is compiled when first hot.
 * Without this spell the compiles (60-90 ms of a CPU each, in the broker and in this process)
 * fell into the first measured second: its p99 13-30 ms, the others 3-6.
 */
const w3WarmMs = quick ? 1_000 : 3_000;
/** W3 producers pause while this many messages are sent and not yet consumed. */
const w3LagCountMax = 8_192;
const w3FirstMessageMsMax = 20_000;
const w3DrainMsMax = 20_000;
/** "<phase>|<performance.now() at send>" padded, at the start of each W3 body. */
const stampBytes = 24;
const rmqStartCount = 3;
const idleSettleMs = 500;

const reportParams: ReportParams = {
  bodySizesBytes,
  inFlightCountMax,
  w1RoundCount: roundCount,
  w1CellMs,
  w2BodyBytes,
  w2SampleCountMax,
  w3BodyBytes,
  w3PeakMs,
  w3HalfMs,
  w3WarmMs,
  w3LagCountMax,
  rmqStartCount,
  targets: {
    w1RatioMin: 0.45,
    w2AsyncP50RatioMax: 1.5,
    w2SyncP50MsMax: 0.5,
    w3P99MsMax: 5,
    startMsMax: 150,
    idleRssBytesMax: 80 * MB,
    afterAnonBytesMax: 300 * MB,
  },
};

const { w1, w2, w3, servers: serverRows, rmqStartMs } = results;
const totalMs0 = performance.now();

function progress(text: string): void {
  const seconds = ((performance.now() - totalMs0) / 1000).toFixed(1).padStart(5);
  console.log(`  [${seconds} s] ${text}`);
}

/** Starts measuring CPU use of this process and of `pid`; the result gives the times since. */
function cpuMeter(pid: number): () => { wallMs: number; clientMs: number; serverMs: number } {
  const wallMs0 = performance.now();
  const client0 = process.cpuUsage();
  const serverMs0 = cpuMsOf(pid) ?? NaN;
  return () => {
    const client = process.cpuUsage(client0);
    return {
      wallMs: performance.now() - wallMs0,
      clientMs: (client.user + client.system) / 1000,
      serverMs: (cpuMsOf(pid) ?? NaN) - serverMs0,
    };
  };
}

function cpuPercent(pid: number): () => Cpu {
  const meter = cpuMeter(pid);
  return () => {
    const m = meter();
    return { clientPct: (m.clientMs / m.wallMs) * 100, serverPct: (m.serverMs / m.wallMs) * 100 };
  };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

// ---------------------------------------------------------------------------------------------
// Workloads

function bodyOf(bodyBytes: number): Uint8Array {
  const body = new Uint8Array(bodyBytes);
  for (let i = 0; i < bodyBytes; i++) body[i] = 97 + (i % 26);
  return body;
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const endMs = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() >= endMs) return false;
    await Bun.sleep(5);
  }
  return true;
}

/** A system's sender for W1/W2 and the pid of the server it talks to. */
interface Cell {
  system: string;
  pid: number;
  sender: Sender;
  /** false: W2 only (the SYNC_FLUSH broker). */
  w1: boolean;
}

/** Up to `inFlightCountMax` sends at a time, each worker sending again when answered. */
async function saturate(sender: Sender, body: Uint8Array, durationMs: number) {
  let issued = 0;
  let done = 0;
  let errors = 0;
  let firstError: unknown;
  const endMs = performance.now() + durationMs;
  const worker = async () => {
    while (issued < w1CountMax && errors < errorCountMax && performance.now() < endMs) {
      issued++;
      try {
        await sender.send(body);
        done++;
      } catch (error) {
        errors++;
        firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlightCountMax }, worker));
  return { done, errors, firstError };
}

/** W1: a warm-up per cell and size, then rounds (every cell once per round and size). */
async function runW1(cells: Cell[]): Promise<void> {
  const w1Cells = cells.filter((c) => c.w1);
  for (const bodyBytes of bodySizesBytes) {
    for (const cell of w1Cells) await saturate(cell.sender, bodyOf(bodyBytes), w1WarmupMs);
  }
  for (let round = 0; round < roundCount; round++) {
    for (const bodyBytes of bodySizesBytes) {
      const body = bodyOf(bodyBytes);
      const line: string[] = [];
      for (const cell of round % 2 === 0 ? w1Cells : [...w1Cells].reverse()) {
        const meter = cpuMeter(cell.pid);
        const { done, errors, firstError } = await saturate(cell.sender, body, w1CellMs);
        const m = meter();
        const key = `${cell.system}|${bodyBytes}`;
        const r = w1.get(key) ?? { rates: [], count: 0, errors: 0, clientCpuMs: 0 };
        const result: W1Result = { serverCpuMs: 0, wallMs: 0, ...r };
        result.rates.push((done / m.wallMs) * 1000);
        result.count += done;
        result.errors += errors;
        if (firstError !== undefined) result.error ??= messageOf(firstError);
        result.clientCpuMs += m.clientMs;
        result.serverCpuMs += m.serverMs;
        result.wallMs += m.wallMs;
        w1.set(key, result);
        line.push(`${cell.system} ${int((done / m.wallMs) * 1000)}`);
      }
      progress(`W1 round ${round + 1}, ${bodyText(bodyBytes)}, msgs/s: ${line.join(", ")}`);
    }
  }
}

/** W2: a warm-up per cell, then rounds of one-at-a-time sends; percentiles over all rounds. */
async function runW2(cells: Cell[]): Promise<void> {
  const body = bodyOf(w2BodyBytes);
  const samples = new Map<string, number[]>();
  let unpinned = 0;
  for (const cell of cells) {
    const warm = await onSeparateCpus(cell.pid, async () => {
      for (let i = 0; i < w2WarmupCount; i++) await cell.sender.send(body);
    });
    if (!warm.pinned) unpinned++;
    samples.set(cell.system, []);
  }
  for (let round = 0; round < roundCount; round++) {
    for (const cell of round % 2 === 0 ? cells : [...cells].reverse()) {
      const out = samples.get(cell.system)!;
      const countMax = out.length + Math.ceil(w2SampleCountMax / roundCount);
      const run = await onSeparateCpus(cell.pid, async () => {
        const endMs = performance.now() + w2CellMsMax / roundCount;
        while (out.length < countMax && performance.now() < endMs) {
          const sendMs0 = performance.now();
          await cell.sender.send(body);
          out.push(performance.now() - sendMs0);
        }
      });
      if (!run.pinned) unpinned++;
    }
  }
  results.w2Pinned = unpinned === 0;
  for (const [system, values] of samples) {
    const result = percentilesOf(values);
    w2.set(system, result);
    progress(`W2 ${system}: p50 ${ms(result.p50)} ms, p99 ${ms(result.p99)} ms (${values.length})`);
  }
}

/** Sends at `ratePerSecond` for `durationMs` (1 ms ticks), at most `inFlightCountMax` at once. */
async function paced(send: () => Promise<void>, ratePerSecond: number, durationMs: number) {
  let issued = 0;
  let inFlight = 0;
  let errors = 0;
  const tickLateMs: number[] = [];
  // Made once, not per send: this process is the client it measures.
  const onSent = () => void inFlight--;
  const onFailed = () => void (inFlight--, errors++);
  const startMs = performance.now();
  let tickMs = startMs;
  for (let tick = 0; tick < durationMs * 4; tick++) {
    const nowMs = performance.now();
    if (tick > 0) tickLateMs.push(nowMs - tickMs - 1);
    tickMs = nowMs;
    const elapsedMs = nowMs - startMs;
    if (elapsedMs >= durationMs) break;
    const due = Math.floor((ratePerSecond * elapsedMs) / 1000);
    while (issued < due && inFlight < inFlightCountMax) {
      issued++;
      inFlight++;
      send().then(onSent, onFailed);
    }
    await Bun.sleep(1);
  }
  const ms = performance.now() - startMs;
  await waitUntil(() => inFlight === 0, w3DrainMsMax);
  return { issued, errors, ms, tickLateP99Ms: percentilesOf(tickLateMs).p99 };
}

const zeroCode = 48; // "0"

/**
 * Writes a W3 stamp into the start of `body` as ASCII: the phase digit, "|", the send time in
 * whole microseconds of performance.now(), spaces to stampBytes. Digits straight into the
 * bytes: a send makes no strings for it (this process is the client it measures).
 */
function writeStamp(body: Uint8Array, phase: number, nowMs: number): void {
  assert(phase >= 0 && phase <= 9, "a phase is one digit");
  let micros = Math.round(nowMs * 1000);
  let digits = 1;
  for (let power = 10; power <= micros; power *= 10) digits++;
  assert(2 + digits <= stampBytes, "the stamp fits its bytes");
  body[0] = zeroCode + phase;
  body[1] = 124; // "|"
  for (let at = 1 + digits; at >= 2; at--) {
    body[at] = zeroCode + (micros % 10);
    micros = Math.floor(micros / 10);
  }
  body.fill(32, 2 + digits, stampBytes); // " "
}

/** W3's phases, the first number of each stamp; the warm-up's latencies are not kept. */
const firstPhase = 0;
const peakPhase = 1;
const halfPhase = 2;
const warmPhase = 3;

/**
 * W3 on one rig: first message, peak (backlog bounded), drain, half of peak (or `halfRate`,
 * msgs/s, when given), drain.
 */
async function runW3(
  system: string,
  pid: number,
  rig: E2eRig,
  halfRate?: number,
  gcLog?: GcLog,
): Promise<void> {
  const result: W3Result = {};
  w3.set(system, result);
  const template = bodyOf(w3BodyBytes);
  let phase = firstPhase;
  let sent = 0;
  let consumed = 0;
  // By phase; the warm-up has no slot, so its latencies are dropped.
  const latencies = [new Samples(), new Samples(), new Samples()];
  const consumedByPhase = [0, 0, 0, 0];
  const bornToStoreMs = new Samples();
  const storeToConsumeMs = new Samples();
  /** Half-rate latencies by the second they were sent in (is the tail one bad second?). */
  const halfWindows: Samples[] = [];
  let halfStartMs = Infinity;
  let openGate: (() => void) | null = null;
  let gate: Promise<void> | null = null;
  const releaseGate = () => {
    openGate?.();
    openGate = null;
    gate = null;
  };
  // Runs for every message in the process that measures: no strings or objects made here.
  const onStamp: OnStamp = (stamp, bornToStore, storeToConsume) => {
    consumed++;
    const stampPhase = stamp.charCodeAt(0) - zeroCode;
    let sentMicros = 0;
    for (let i = 2; i < stamp.length; i++) {
      const digit = stamp.charCodeAt(i) - zeroCode;
      if (digit < 0 || digit > 9) break;
      sentMicros = sentMicros * 10 + digit;
    }
    const sentMs = sentMicros / 1000;
    if (bornToStore !== undefined && stampPhase === halfPhase) {
      bornToStoreMs.push(bornToStore);
      storeToConsumeMs.push(storeToConsume!);
    }
    const latencyMs = performance.now() - sentMs;
    latencies[stampPhase]?.push(latencyMs);
    if (stampPhase === halfPhase) {
      const second = Math.max(0, Math.floor((sentMs - halfStartMs) / 1000));
      (halfWindows[second] ??= new Samples(result.halfRatePerSecond! * 1.25)).push(latencyMs);
    }
    consumedByPhase[stampPhase] = (consumedByPhase[stampPhase] ?? 0) + 1;
    if (gate && sent - consumed <= w3LagCountMax / 2) releaseGate();
  };
  const send = () => {
    const body = template.slice();
    writeStamp(body, phase, performance.now());
    sent++;
    return rig.sender.send(body);
  };
  await send();
  await rig.startConsumer(onStamp);
  if (!(await waitUntil(() => consumed >= sent, w3FirstMessageMsMax)))
    throw new Error(`the consumer got nothing in ${w3FirstMessageMsMax} ms`);

  phase = peakPhase;
  const peakMs0 = performance.now();
  const peakEndMs = peakMs0 + w3PeakMs;
  let errors = 0;
  const worker = async () => {
    while (performance.now() < peakEndMs && errors < errorCountMax) {
      if (sent - consumed >= w3LagCountMax) {
        gate ??= new Promise<void>((resolve) => (openGate = resolve));
        await gate;
        continue;
      }
      await send().catch(() => errors++);
    }
  };
  const windowEnd = new Promise<void>((resolve) =>
    setTimeout(() => {
      const elapsedS = (performance.now() - peakMs0) / 1000;
      result.peakConsumedPerSecond = consumedByPhase[peakPhase]! / elapsedS;
      result.peakProducedPerSecond = (sent - 1) / elapsedS;
      releaseGate();
      resolve();
    }, w3PeakMs),
  );
  await Promise.all([windowEnd, ...Array.from({ length: inFlightCountMax }, worker)]);
  result.drained = await waitUntil(() => consumed >= sent, w3DrainMsMax);
  result.peakLatency = percentilesOf(latencies[peakPhase]!.view());
  if (errors > 0) throw new Error(`${errors} sends failed at peak`);

  result.halfRatePerSecond = halfRate ?? result.peakConsumedPerSecond! / 2;
  phase = warmPhase;
  const warm = await paced(send, result.halfRatePerSecond, w3WarmMs);
  result.drained &&= await waitUntil(() => consumed >= sent, w3DrainMsMax);
  if (warm.errors > 0) throw new Error(`${warm.errors} sends failed in the warm-up`);

  phase = halfPhase;
  const cpu = cpuPercent(pid);
  halfStartMs = performance.now();
  const half = await paced(send, result.halfRatePerSecond, w3HalfMs);
  const halfGc = gcLog?.summary(halfStartMs, performance.now());
  result.halfCpu = cpu();
  result.halfTickLateP99Ms = half.tickLateP99Ms;
  result.drained &&= await waitUntil(() => consumed >= sent, w3DrainMsMax);
  result.halfConsumedPerSecond = (consumedByPhase[halfPhase]! / half.ms) * 1000;
  result.halfLatency = percentilesOf(latencies[halfPhase]!.view());
  // A last second cut short by the end of the phase holds too few sends to say anything.
  const fullSecond = (w: Samples | undefined) => (w?.length ?? 0) >= result.halfRatePerSecond! / 2;
  result.halfSecondP99Ms = halfWindows.filter(fullSecond).map((w) => percentilesOf(w.view()).p99);
  if (bornToStoreMs.length > 0) {
    result.halfBornToStore = percentilesOf(bornToStoreMs.view());
    result.halfStoreToConsume = percentilesOf(storeToConsumeMs.view());
  }
  if (half.errors > 0) throw new Error(`${half.errors} sends failed at half rate`);
  progress(
    `W3 ${system}: peak ${int(result.peakConsumedPerSecond!)} msgs/s; at ` +
      `${int(result.halfRatePerSecond)} msgs/s p50 ${ms(result.halfLatency.p50)} ms, ` +
      `p99 ${ms(result.halfLatency.p99)} ms (p99 per second sent: ` +
      `${result.halfSecondP99Ms.map((v) => ms(v)).join(", ")}); CPU client ` +
      `${result.halfCpu.clientPct.toFixed(0)} %, server ${result.halfCpu.serverPct.toFixed(0)} %` +
      (halfGc ? `\n    ${gcLine(halfGc, consumedByPhase[halfPhase]!)}` : ""),
  );
}

/** The server's collections at half rate, for the W3 progress line. */
function gcLine(gc: GcSummary, messageCount: number): string {
  return (
    `server GC at half rate: ${gc.edenCount} eden, ${gc.fullCount} full; ${gc.pauseCount} ` +
    `pauses, ${ms(gc.pauseMsSum)} ms in all (p50 ${ms(gc.pauseMsP50)}, p90 ` +
    `${ms(gc.pauseMsP90)}, max ${ms(gc.pauseMsMax)}); heap allocated ` +
    `${int(gc.allocatedBytes / Math.max(1, messageCount))} B per message`
  );
}

// ---------------------------------------------------------------------------------------------
// Systems

const running: { row: ServerRow; server: ServerProcess }[] = [];

/** Starts a server and records its start time; undefined (noted) when it cannot run here. */
async function startServer<S extends ServerProcess>(
  label: string,
  start: () => Promise<S | undefined>,
): Promise<S | undefined> {
  const row: ServerRow = { label };
  serverRows.push(row);
  try {
    const server = await start();
    if (!server) row.note = "not available";
    else {
      row.startMs = server.startMs;
      running.push({ row, server });
    }
    return server;
  } catch (error) {
    row.note = `did not start: ${messageOf(error)}`;
    return undefined;
  } finally {
    if (row.note) progress(`${label}: ${row.note}`);
  }
}

/** Records memory after the run and stops the server. */
async function stopServer(server: ServerProcess | undefined): Promise<void> {
  const index = running.findIndex((r) => r.server === server);
  if (index < 0) return;
  const [{ row }] = running.splice(index, 1) as [(typeof running)[number]];
  row.after = memoryOf(server!.pid);
  row.warnLines = server!.warnLineCount();
  row.ended = await server!.stop();
}

async function openCell(
  system: string,
  server: ServerProcess | undefined,
  make: () => Sender | Promise<Sender>,
  w1 = true,
): Promise<Cell | undefined> {
  if (!server) return undefined;
  try {
    return { system, pid: server.pid, sender: await make(), w1 };
  } catch (error) {
    w2.set(system, { error: messageOf(error) });
    progress(`${system}: failed: ${messageOf(error)}`);
    return undefined;
  }
}

async function withRig(
  system: string,
  server: ServerProcess | undefined,
  make: () => E2eRig | Promise<E2eRig>,
  halfRate?: number,
  gcLog?: GcLog,
): Promise<void> {
  if (!server) return;
  let rig: E2eRig | undefined;
  try {
    rig = await make();
    const ready = rig;
    // Placed as W2's cells are (bench_affinity.ts): a client and its server on two machines.
    const run = await onSeparateCpus(server.pid, () =>
      runW3(system, server.pid, ready, halfRate, gcLog),
    );
    if (!run.pinned) results.w3Pinned = false;
  } catch (error) {
    w3.set(system, { ...w3.get(system), error: messageOf(error) });
    progress(`W3 ${system}: failed: ${messageOf(error)}`);
  } finally {
    await rig?.close().catch(() => undefined);
  }
}

async function benchStarts(root: string): Promise<void> {
  for (let i = 0; i < rmqStartCount; i++) {
    const server = await startRmq(join(root, `start-${i}`), "ASYNC_FLUSH");
    rmqStartMs.push(server.startMs);
    await server.stop();
  }
  progress(`rmq start to ready: ${rmqStartMs.map((t) => t.toFixed(0)).join(", ")} ms`);
}

/** rmq's W3 on a running broker; `gcLog` reads the broker's collections (--gc). */
function rmqW3(
  rmq: RmqServer | undefined,
  gcLog: GcLog | undefined,
  halfRate?: number,
): Promise<void> {
  const rig = () => rmqE2e(rmq!.namesrvAddr, "BenchE2e", stampBytes);
  return withRig("rmq", rmq, rig, halfRate, gcLog);
}

/** Every server up at once (idle ones cost nothing), W1 and W2 interleaved, then W3 in turn. */
async function benchAll(root: string): Promise<void> {
  await benchStarts(root);
  const echo = await startServer("echo", startEcho);
  const rmqGc = gcLogged ? new GcLog() : undefined;
  const rmq = await startServer("rmq ASYNC_FLUSH", () =>
    startRmq(join(root, "rmq-async"), "ASYNC_FLUSH", rmqGc),
  );
  const sync = await startServer("rmq SYNC_FLUSH", () =>
    startRmq(join(root, "rmq-sync"), "SYNC_FLUSH"),
  );
  const natsInstalled = (await natsClient()) !== undefined;
  const nats = await startServer("nats-server JetStream", async () =>
    natsInstalled ? startNats(join(root, "nats")) : undefined,
  );
  if (!natsInstalled) serverRows.at(-1)!.note = "not available (npm package nats missing)";
  const redis = await startServer("redis-server Streams", () => startRedis(join(root, "redis")));
  await Bun.sleep(idleSettleMs);
  for (const { row, server } of running) row.idle = memoryOf(server.pid);

  const opened = [
    await openCell(`rmq ${binary}`, rmq, () => rmqClientSender(rmq!.namesrvAddr, "Bench")),
    await openCell(`echo ${binary}`, echo, () => rmqClientSender(echo!.address, "Bench")),
    await openCell(`rmq ${javaStyle}`, rmq, () => javaStyleSender(rmq!.namesrvAddr, "Java")),
    await openCell(`echo ${javaStyle}`, echo, () => javaStyleSender(echo!.address, "Java")),
    await openCell("JetStream", nats, () => natsSender(nats!.url, "BENCH")),
    await openCell("Redis", redis, () => redisSender(redis!.url, "bench")),
    await openCell(
      `rmq SYNC ${binary}`,
      sync,
      () => rmqClientSender(sync!.namesrvAddr, "S"),
      false,
    ),
    await openCell(
      `rmq SYNC ${javaStyle}`,
      sync,
      () => javaStyleSender(sync!.namesrvAddr, "SJ"),
      false,
    ),
  ];
  const cells = opened.filter((c): c is Cell => c !== undefined);
  try {
    await runW1(cells);
    await runW2(cells);
  } finally {
    for (const cell of cells) await cell.sender.close().catch(() => undefined);
  }
  await stopServer(echo);
  await stopServer(sync);
  await rmqW3(rmq, rmqGc);
  await stopServer(rmq);
  await withRig("JetStream", nats, () => natsE2e(nats!.url, "E2E", stampBytes));
  // The floor at rmq's half rate: what this process and the loopback leave of a W3 tail.
  const rmqHalfRate = w3.get("rmq")?.halfRatePerSecond;
  if (rmqHalfRate !== undefined) {
    await withRig(w3Floor, nats, () => natsCoreE2e(nats!.url, "floor.in", stampBytes), rmqHalfRate);
  }
  await stopServer(nats);
  await withRig("Redis", redis, () => redisE2e(redis!.url, "e2e", stampBytes));
  await stopServer(redis);
}

/** --w3-only: rmq's W3 alone, `w3OnlyRunCount` times, each on a fresh broker. */
async function benchW3Only(root: string): Promise<void> {
  for (let run = 0; run < w3OnlyRunCount; run++) {
    const gcLog = gcLogged ? new GcLog() : undefined;
    const rmq = await startServer("rmq ASYNC_FLUSH", () =>
      startRmq(join(root, `rmq-w3-${run}`), "ASYNC_FLUSH", gcLog),
    );
    await rmqW3(rmq, gcLog, w3OnlyRate);
    await stopServer(rmq);
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "rmq-bench-e2e-"));
  const cpu = cpus()[0]?.model ?? "unknown cpu";
  const flags = process.argv.slice(2).join(" ");
  console.log(
    `rmq end-to-end benchmark${flags ? ` (${flags})` : ""}: bun ${Bun.version}, ` +
      `${process.platform} ${process.arch}, ${cpus().length} x ${cpu}\n` +
      `  broker ${rmqBinary}; dir ${root}; everything on 127.0.0.1\n` +
      "  durability: rmq ASYNC_FLUSH (and SYNC_FLUSH in W2), JetStream file store (fsync every" +
      " 2 min, its default), Redis appendonly yes (appendfsync everysec)",
  );
  try {
    if (w3Only) await benchW3Only(root);
    else {
      await benchAll(root);
      report(reportParams);
    }
  } finally {
    for (const { server } of [...running]) await stopServer(server);
    rmSync(root, { recursive: true, force: true });
  }
  if (clientLogCounts.size > 0) {
    console.log("\nClient log lines at warn and above (digits as N):");
    for (const [text, count] of clientLogCounts) {
      console.log(`  ${int(count)} x ${text.slice(0, 90)}`);
    }
  }
  console.log(`\ntotal ${((performance.now() - totalMs0) / 1000).toFixed(1)} s`);
  process.exit(0);
}

await main();
