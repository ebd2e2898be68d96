// Results and report of scripts/bench_e2e.ts: what each workload recorded, the tables it prints
// (figures, same-run ratios rmq/echo, rmq/JetStream, rmq/Redis) and the verdicts against the
// targets of the end-to-end issue ("yes", "NO", or "-" when not measured).

import { KiB } from "../core/common/index.ts";
import type { Memory } from "./bench_e2e_systems.ts";
import { int, median, printTable } from "./bench_table.ts";

export { int, median };

export const MB = 1e6;
export const binary = "binary";
export const javaStyle = "JSON (Java)";
/** W3's floor row: core NATS, no store, run at rmq's half rate (natsCoreE2e). */
export const w3Floor = "floor: NATS core";

export interface Cpu {
  /** CPU time over wall time, in percent of one core: this process (the clients), the server. */
  clientPct: number;
  serverPct: number;
}

export interface W1Result {
  /** msgs/s of each round (the report takes the median). */
  rates: number[];
  count: number;
  errors: number;
  error?: string;
  /** Summed over the rounds, for CPU percentages. */
  clientCpuMs: number;
  serverCpuMs: number;
  wallMs: number;
}

export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export interface W2Result extends Partial<Percentiles> {
  error?: string;
}

export interface W3Result {
  peakConsumedPerSecond?: number;
  peakProducedPerSecond?: number;
  peakLatency?: Percentiles;
  halfRatePerSecond?: number;
  halfConsumedPerSecond?: number;
  halfLatency?: Percentiles;
  /** p99 of the half-rate messages sent in each second, in order. */
  halfSecondP99Ms?: number[];
  halfCpu?: Cpu;
  /** How late the driver's 1 ms pacing timer fired at half rate (event-loop stalls), ms. */
  halfTickLateP99Ms?: number;
  halfBornToStore?: Percentiles;
  halfStoreToConsume?: Percentiles;
  drained?: boolean;
  error?: string;
}

export interface ServerRow {
  label: string;
  startMs?: number;
  idle?: Memory;
  after?: Memory;
  warnLines?: number;
  ended?: string;
  note?: string;
}

export const results = {
  w1: new Map<string, W1Result>(), // "<system>|<bodyBytes>"
  w2: new Map<string, W2Result>(), // "<system>"
  w3: new Map<string, W3Result>(), // "<system>"
  servers: [] as ServerRow[],
  rmqStartMs: [] as number[],
  /** Every W2 cell ran with client and server on CPUs of their own (bench_affinity.ts). */
  w2Pinned: false,
  /** Every W3 rig ran with this process on CPU 0 and its server on CPU 1 (until one did not). */
  w3Pinned: true,
};
const { w1, w2, w3, servers: serverRows, rmqStartMs } = results;

/** What the report says about how it measured, and the targets it judges. */
export interface ReportParams {
  bodySizesBytes: number[];
  inFlightCountMax: number;
  w1RoundCount: number;
  w1CellMs: number;
  w2BodyBytes: number;
  w2SampleCountMax: number;
  w3BodyBytes: number;
  w3PeakMs: number;
  w3HalfMs: number;
  w3WarmMs: number;
  w3LagCountMax: number;
  rmqStartCount: number;
  targets: {
    w1RatioMin: number;
    w2AsyncP50RatioMax: number;
    w2SyncP50MsMax: number;
    w3P99MsMax: number;
    startMsMax: number;
    idleRssBytesMax: number;
    afterAnonBytesMax: number;
  };
}

/**
 * Samples kept in a typed array that doubles when full: a message's latency goes in with no
 * allocation, and growing leaves a few large buffers behind rather than a JS array's many
 * copies, each promoted before it is dropped (this process is the client it measures).
 */
export class Samples {
  private values: Float64Array;
  length = 0;

  constructor(initialCapacity = 1 << 16) {
    this.values = new Float64Array(Math.max(16, initialCapacity));
  }

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  /** The samples so far (a view, valid until the next push). */
  view(): Float64Array {
    return this.values.subarray(0, this.length);
  }
}

export function percentilesOf(samples: ArrayLike<number>): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  if (sorted.length === 0) return { count: 0, p50: NaN, p99: NaN, p999: NaN, max: NaN };
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: at(1) };
}

export const ms = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? "-" : n < 10 ? n.toFixed(3) : n.toFixed(1);
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || !Number.isFinite(a / b) || b === 0
    ? "-"
    : (a / b).toFixed(2);
export const pct = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? "-" : `${n.toFixed(0)}%`;
const mb = (bytes: number | undefined) => (bytes === undefined ? "-" : (bytes / MB).toFixed(1));
export const bodyText = (bytes: number) => (bytes >= KiB ? `${bytes / KiB} KiB` : `${bytes} B`);

function reportServers(p: ReportParams): void {
  console.log(
    "\nServers: start = spawn to ready line; memory from /proc/<pid>/status (MB = 10^6 bytes)",
  );
  printTable(
    ["server", "start ms", "RSS idle", "anon idle", "RSS after", "anon after", "warn", "ended"],
    serverRows.map((r) => [
      r.label + (r.note ? ` (${r.note})` : ""),
      r.startMs === undefined ? "-" : r.startMs.toFixed(0),
      mb(r.idle?.rssBytes),
      mb(r.idle?.anonBytes),
      mb(r.after?.rssBytes),
      mb(r.after?.anonBytes),
      r.warnLines === undefined ? "-" : String(r.warnLines),
      r.ended ?? "-",
    ]),
  );
  const starts = rmqStartMs.map((t) => t.toFixed(0)).join(", ");
  console.log(`  rmq broker, ${p.rmqStartCount} starts on fresh stores (ms): ${starts}`);
}

/** The median of a cell's rounds, msgs/s. */
const w1Rate = (system: string, bodyBytes: number) => {
  const r = w1.get(`${system}|${bodyBytes}`);
  return r && r.count > 0 ? median(r.rates) : undefined;
};

function reportW1(p: ReportParams): void {
  console.log(
    `\nW1 produce throughput: 1 producer (1 connection), up to ${p.inFlightCountMax} sends in` +
      ` flight; ${p.w1RoundCount} rounds of ${p.w1CellMs} ms per cell, every system in each` +
      " round; msgs/s is the median round; MB/s of bodies",
  );
  const systems = [
    ...[binary, javaStyle].flatMap((h) => [`rmq ${h}`, `echo ${h}`]),
    "JetStream",
    "Redis",
  ];
  const rows: string[][] = [];
  for (const bodyBytes of p.bodySizesBytes) {
    for (const system of systems) {
      const r = w1.get(`${system}|${bodyBytes}`);
      const rate = w1Rate(system, bodyBytes);
      const header = system.startsWith("rmq") ? system.slice(4) : undefined;
      const vs = (other: string) => (header ? ratio(rate, w1Rate(other, bodyBytes)) : "");
      rows.push([
        system,
        bodyText(bodyBytes),
        r ? int(r.count) : "-",
        rate === undefined ? "-" : int(rate),
        r ? `${int(Math.min(...r.rates))}-${int(Math.max(...r.rates))}` : "-",
        rate === undefined ? "-" : ((rate * bodyBytes) / MB).toFixed(1),
        r ? String(r.errors) : "-",
        pct(r && (r.clientCpuMs / r.wallMs) * 100),
        pct(r && (r.serverCpuMs / r.wallMs) * 100),
        vs(`echo ${header}`),
        vs("JetStream"),
        vs("Redis"),
      ]);
    }
  }
  printTable(
    "system|body|msgs|msgs/s|rounds|MB/s|errors|CPU client|server|rmq/echo|rmq/JS|rmq/Redis".split(
      "|",
    ),
    rows,
  );
  console.log("  CPU: percent of one core over the cell (2 cores in all)");
}

function reportW2(p: ReportParams): void {
  console.log(
    `\nW2 send latency: one ${bodyText(p.w2BodyBytes)} send at a time, up to ` +
      `${int(p.w2SampleCountMax)} sends per system over ${p.w1RoundCount} interleaved rounds, ms`,
  );
  console.log(
    results.w2Pinned
      ? "  each cell with this process on CPU 0 and its server on CPU 1 (taskset): every system" +
          " pays the same cross-CPU wake-ups"
      : "  placement left to the scheduler (taskset missing or refused): ratios vary from run" +
          " to run with it",
  );
  const systems = [binary, javaStyle].flatMap((h) => [`rmq ${h}`, `rmq SYNC ${h}`, `echo ${h}`]);
  const rows = [...systems, "JetStream", "Redis"].map((system) => {
    const r = w2.get(system);
    const header = system.startsWith("rmq") ? system.replace(/^rmq (SYNC )?/, "") : undefined;
    const vs = (other: string) => (header ? ratio(r?.p50, w2.get(other)?.p50) : "");
    return [
      system.replace(/^rmq SYNC/, "rmq SYNC_FLUSH"),
      r?.count === undefined ? (r?.error ? "failed" : "-") : int(r.count),
      ms(r?.p50),
      ms(r?.p99),
      ms(r?.p999),
      ms(r?.max),
      vs(`echo ${header}`),
      vs("JetStream"),
      vs("Redis"),
    ];
  });
  printTable(["system", "sends", "p50", "p99", "p99.9", "max", "p50/echo", "/JS", "/Redis"], rows);
}

/** "lowest-highest" of some figures in ms. */
function range(values: number[] | undefined): string {
  if (!values || values.length === 0) return "-";
  return `${ms(Math.min(...values))}-${ms(Math.max(...values))}`;
}

function reportW3(p: ReportParams): void {
  console.log(
    `\nW3 end to end, ${bodyText(p.w3BodyBytes)} bodies, 1 producer + 1 consumer: peak for ` +
      `${p.w3PeakMs} ms (producer pauses at ${int(p.w3LagCountMax)} unconsumed), then half of` +
      ` the peak consume rate: ${p.w3WarmMs} ms not counted (warm-up), then ${p.w3HalfMs} ms` +
      " measured; latency = consumed - sent, ms",
  );
  console.log(
    results.w3Pinned
      ? "  this process (producer and consumer) on CPU 0, the server on CPU 1 (taskset), as in W2"
      : "  placement left to the scheduler (taskset missing or refused)",
  );
  const rows = ["rmq", "JetStream", "Redis", w3Floor].map((system) => {
    const r = w3.get(system) ?? {};
    const rate = (n: number | undefined) => (n === undefined ? "-" : int(n));
    return [
      system + (r.error ? ` (failed: ${r.error.slice(0, 60)})` : ""),
      rate(r.peakProducedPerSecond),
      rate(r.peakConsumedPerSecond),
      r.peakConsumedPerSecond === undefined
        ? "-"
        : ((r.peakConsumedPerSecond * p.w3BodyBytes) / MB).toFixed(1),
      ms(r.peakLatency?.p50),
      ms(r.peakLatency?.p99),
      rate(r.halfRatePerSecond),
      rate(r.halfConsumedPerSecond),
      ms(r.halfLatency?.p50),
      ms(r.halfLatency?.p99),
      ms(r.halfLatency?.p999),
      range(r.halfSecondP99Ms),
      pct(r.halfCpu?.clientPct),
      pct(r.halfCpu?.serverPct),
      ms(r.halfTickLateP99Ms),
      r.drained === undefined ? "-" : r.drained ? "yes" : "NO",
    ];
  });
  printTable(
    (
      "system|peak sent/s|consumed/s|MB/s|p50|p99|half rate/s|consumed/s|p50|p99|p99.9|" +
      "p99 by second|" +
      "CPU client|server|tick late|drained"
    ).split("|"),
    rows,
  );
  console.log(
    "  first p50/p99: at peak (mostly the bounded backlog); CPU and tick late (p99 of how late" +
      " this process's 1 ms pacing timer fired) at half rate; p99 by second: lowest-highest p99" +
      " of the messages sent in each second at half rate",
  );
  const rmq = w3.get("rmq");
  const [toStore, toConsume] = [rmq?.halfBornToStore, rmq?.halfStoreToConsume];
  if (toStore && toConsume) {
    console.log(
      `  rmq at half rate, split at the broker's storeTimestamp (ms resolution): send to store` +
        ` p50 ${toStore.p50} p99 ${toStore.p99} ms, store to consumer p50 ${toConsume.p50}` +
        ` p99 ${toConsume.p99} ms`,
    );
  }
  for (const other of ["JetStream", "Redis"]) {
    const o = w3.get(other);
    const peak = ratio(rmq?.peakConsumedPerSecond, o?.peakConsumedPerSecond);
    const p99 = ratio(rmq?.halfLatency?.p99, o?.halfLatency?.p99);
    console.log(`  rmq/${other}: peak consume ${peak}x, p99 at half rate ${p99}x`);
  }
  const floor = w3.get(w3Floor);
  if (floor?.halfLatency) {
    console.log(
      `  ${w3Floor}: publish/subscribe with no store and no acknowledgement, at rmq's half` +
        ` rate: what this process and the loopback leave; rmq p99 / floor p99` +
        ` ${ratio(rmq?.halfLatency?.p99, floor.halfLatency.p99)}x`,
    );
  }
}

interface Verdict {
  target: string;
  measured: string;
  ok: boolean | undefined;
}

function verdicts(p: ReportParams): Verdict[] {
  const { targets } = p;
  const out: Verdict[] = [];
  for (const bodyBytes of p.bodySizesBytes) {
    const r = w1Rate(`rmq ${javaStyle}`, bodyBytes);
    const e = w1Rate(`echo ${javaStyle}`, bodyBytes);
    out.push({
      target: `W1 ${bodyText(bodyBytes)}, Java-style header: >= ${targets.w1RatioMin}x echo`,
      measured: `${ratio(r, e)}x (${int(r ?? NaN)} / ${int(e ?? NaN)} msgs/s)`,
      ok: r === undefined || e === undefined ? undefined : r / e >= targets.w1RatioMin,
    });
  }
  for (const header of [javaStyle, binary]) {
    const r = w2.get(`rmq ${header}`)?.p50;
    const e = w2.get(`echo ${header}`)?.p50;
    out.push({
      target: `W2 ASYNC_FLUSH p50, ${header}: <= ${targets.w2AsyncP50RatioMax}x echo`,
      measured: `${ratio(r, e)}x (${ms(r)} / ${ms(e)} ms)`,
      ok: r === undefined || e === undefined ? undefined : r / e <= targets.w2AsyncP50RatioMax,
    });
  }
  for (const header of [javaStyle, binary]) {
    const p50 = w2.get(`rmq SYNC ${header}`)?.p50;
    out.push({
      target: `W2 SYNC_FLUSH p50, ${header}: <= ${targets.w2SyncP50MsMax} ms`,
      measured: `${ms(p50)} ms`,
      ok: p50 === undefined ? undefined : p50 <= targets.w2SyncP50MsMax,
    });
  }
  const e2e = w3.get("rmq");
  const p99 = e2e?.halfLatency?.p99;
  out.push({
    target: `W3 p99 at half of peak rate: < ${targets.w3P99MsMax} ms`,
    measured:
      `${ms(p99)} ms at ${int(e2e?.halfRatePerSecond ?? NaN)} msgs/s` +
      ` (by second ${range(e2e?.halfSecondP99Ms)})`,
    ok: p99 === undefined ? undefined : p99 < targets.w3P99MsMax,
  });
  const startMs = rmqStartMs.length > 0 ? median(rmqStartMs) : undefined;
  out.push({
    target: `broker start to ready (median of ${p.rmqStartCount}): < ${targets.startMsMax} ms`,
    measured: `${startMs?.toFixed(0) ?? "-"} ms`,
    ok: startMs === undefined ? undefined : startMs < targets.startMsMax,
  });
  const broker = serverRows.find((r) => r.label === "rmq ASYNC_FLUSH");
  const idle = broker?.idle?.rssBytes;
  out.push({
    target: `broker RSS idle: < ${mb(targets.idleRssBytesMax)} MB`,
    measured: `${mb(idle)} MB`,
    ok: idle === undefined ? undefined : idle < targets.idleRssBytesMax,
  });
  const anon = broker?.after?.anonBytes;
  out.push({
    target: `broker RssAnon after W1-W3: < ${mb(targets.afterAnonBytesMax)} MB`,
    measured: `${mb(anon)} MB`,
    ok: anon === undefined ? undefined : anon < targets.afterAnonBytesMax,
  });
  return out;
}

function reportVerdicts(p: ReportParams): void {
  console.log("\nTargets (from the end-to-end issue)");
  printTable(
    ["target", "measured", "met"],
    verdicts(p).map((v) => [v.target, v.measured, v.ok === undefined ? "-" : v.ok ? "yes" : "NO"]),
  );
}

/** Prints every table and the verdicts. */
export function report(p: ReportParams): void {
  reportServers(p);
  reportW1(p);
  reportW2(p);
  reportW3(p);
  reportVerdicts(p);
}
