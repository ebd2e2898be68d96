// Store benchmark (not a test): MessageStore append throughput under ASYNC_FLUSH and
// SYNC_FLUSH, and restart (recovery) time after kill -9, each next to a raw node:fs reference
// measured in the same run on the same disk, with the targets of the store issue.
//
//   npx bun scripts/bench_store.ts [--quick]
//
// Everything runs in a temp directory under os.tmpdir(), deleted at the end. Crashes are real:
// a child process fills the store and SIGKILLs itself (no shutdown, the abort file stays), and
// a fresh child times `new MessageStore(...)` + start(). Raw references write into a file
// preallocated as the store preallocates segments (ftruncate, sparse).

import {
  closeSync,
  fdatasyncSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeSync,
} from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { int, median, printTable } from "./bench_table.ts";
import { createLogger, GiB, KiB, MessageConst, MiB, SystemClock } from "../core/common/index.ts";
import { storeDefaults, type StoreConfig } from "../core/config/store_config.ts";
import {
  MessageStore,
  PutMessageStatus,
  RealFileIO,
  recordSize,
  utf8Bytes,
  type MessageInput,
  type PutResult,
} from "../core/store/index.ts";

// ---------------------------------------------------------------------------------------------
// Parameters

const quick = process.argv.includes("--quick");
/** `--only async|sync|restart` runs one section (targets of the others are not judged). */
const onlyIndex = process.argv.indexOf("--only");
const onlySection = onlyIndex > 0 ? process.argv[onlyIndex + 1] : undefined;
const sections = ["async", "sync", "restart"];
if (onlySection !== undefined && !sections.includes(onlySection)) {
  console.error(`--only takes one of ${sections.join(", ")}; got ${onlySection}`);
  process.exit(2);
}
const runs = (section: string) => onlySection === undefined || onlySection === section;
const bodySizesBytes = [128, 1 * KiB];
/** ASYNC_FLUSH: messages per body size, and puts issued before awaiting them all. */
const asyncMessageCount: Record<number, number> = quick
  ? { 128: 100_000, [KiB]: 50_000 }
  : { 128: 1_000_000, [KiB]: 500_000 };
const asyncWarmupMessageCount = quick ? 20_000 : 100_000;
const putsInFlightCount = 1000;
/**
 * SYNC_FLUSH: concurrent appenders; each cell alternates store and raw rounds of syncRoundMs,
 * so a disk that drifts over seconds (it does here) moves both sides of each ratio alike.
 */
const appenderCounts = [1, 16, 256];
const syncRoundCount = quick ? 2 : 5;
const syncRoundMs = quick ? 200 : 500;
/** Restart: commit log bytes filled before the crash (kept inside the first 1 GiB segment). */
const segmentBytes = storeDefaults("/").mappedFileSizeCommitLog;
const restartFillBytes = quick ? 64 * MiB : segmentBytes - 16 * MiB;
const restartAppendBytes = quick ? 1 * MiB : 4 * MiB;
const restartBodyBytes = 1 * KiB;

const targets = {
  asyncRatio1KiB: 0.7,
  asyncMsgsPerSecond128: 500_000,
  syncRatio256: 0.5,
  restartMsMax: 2000,
  restartStoredBytes: 1 * GiB,
};

// ---------------------------------------------------------------------------------------------
// Messages and stores

const topic = "BenchTopic";
const queueCount = 4; // a topic's default write queues; a producer round-robins over them
const uniqKeyPrefix = "7F0000011A2B18B4AAC2"; // 20 hex digits, as a Java client's UNIQ_KEY
const bornHost = { ip: Uint8Array.of(127, 0, 0, 1), port: 40000 };
const storeHost = { ip: Uint8Array.of(127, 0, 0, 1), port: 10911 };

function bodyOf(bodyBytes: number): Uint8Array {
  const body = new Uint8Array(bodyBytes);
  for (let i = 0; i < bodyBytes; i++) body[i] = 97 + (i % 26);
  return body;
}

/** A message as a Java producer sends it: UNIQ_KEY (indexed), TAGS, WAIT. */
function message(body: Uint8Array, sequence: number): MessageInput {
  const uniqKey = uniqKeyPrefix + sequence.toString(16).toUpperCase().padStart(12, "0");
  return {
    topic,
    queueId: sequence % queueCount,
    flag: 0,
    sysFlag: 0,
    bornTimestamp: 1_700_000_000_000,
    bornHost,
    storeHost,
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    body,
    properties:
      `${MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX}\u0001${uniqKey}\u0002` +
      `${MessageConst.PROPERTY_TAGS}\u0001TagA\u0002` +
      `${MessageConst.PROPERTY_WAIT_STORE_MSG_OK}\u0001true\u0002`,
  };
}

/** Bytes one message takes in the commit log. */
function recordBytesOf(bodyBytes: number): number {
  const m = message(bodyOf(bodyBytes), 0);
  return recordSize({ ...m, topic: utf8Bytes(m.topic), properties: utf8Bytes(m.properties) });
}

/** Counts what the store logs at warn and above instead of printing every line. */
const logCounts = new Map<string, number>();
const log = createLogger("bench", {
  level: "warn",
  sink: {
    write: (line) => {
      const text = line.replace(/^\S+ /, "").replace(/\d+/g, "N");
      logCounts.set(text, (logCounts.get(text) ?? 0) + 1);
    },
  },
});

function openStore(dir: string, flushDiskType: "ASYNC_FLUSH" | "SYNC_FLUSH"): MessageStore {
  const config: StoreConfig = { ...storeDefaults(dir), storePathRootDir: dir, flushDiskType };
  return new MessageStore({ config, io: new RealFileIO(), clock: new SystemClock(), log });
}

function checkPut(result: PutResult): void {
  if (result.status !== PutMessageStatus.PUT_OK) {
    throw new Error(`put failed: ${result.status} ${result.remark ?? ""}`);
  }
}

/** Issues `count` puts without awaiting each, `putsInFlightCount` at a time. */
async function putMany(
  store: MessageStore,
  body: Uint8Array,
  firstSequence: number,
  count: number,
): Promise<void> {
  for (let sent = 0; sent < count;) {
    const batchCount = Math.min(putsInFlightCount, count - sent);
    const puts = new Array<Promise<PutResult>>(batchCount);
    for (let i = 0; i < batchCount; i++)
      puts[i] = store.put(message(body, firstSequence + sent + i));
    for (const result of await Promise.all(puts)) checkPut(result);
    sent += batchCount;
  }
}

// ---------------------------------------------------------------------------------------------
// Raw references

/** A file preallocated the way the store preallocates a segment (ftruncate, sparse). */
function preallocated(path: string, sizeBytes: number): number {
  const fd = openSync(path, "w+");
  ftruncateSync(fd, sizeBytes);
  return fd;
}

function filledBuffer(sizeBytes: number): Uint8Array {
  const buffer = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i++) buffer[i] = 1 + (i % 251);
  return buffer;
}

/** Sequential positional writes of `totalBytes` in `chunkBytes` writes; returns elapsed ms. */
function rawWriteMs(path: string, totalBytes: number, chunkBytes: number): number {
  const fd = preallocated(path, Math.max(segmentBytes, totalBytes));
  const chunk = filledBuffer(chunkBytes);
  const startMs = performance.now();
  for (let position = 0; position < totalBytes; position += chunkBytes) {
    const n = Math.min(chunkBytes, totalBytes - position);
    for (let done = 0; done < n;) done += writeSync(fd, chunk, done, n - done, position + done);
  }
  const elapsedMs = performance.now() - startMs;
  fdatasyncSync(fd); // outside the timing: leave no dirty pages to the next measurement
  closeSync(fd);
  rmSync(path);
  return elapsedMs;
}

/** write(batch records) + fdatasync in a loop for `durationMs`; returns records per second. */
function rawSyncRecordsPerSecond(
  path: string,
  recordBytes: number,
  batchCount: number,
  durationMs: number,
): number {
  const fd = preallocated(path, segmentBytes);
  const batchBytes = recordBytes * batchCount;
  const chunk = filledBuffer(batchBytes);
  let position = 0;
  let recordCount = 0;
  const startMs = performance.now();
  let elapsedMs = 0;
  while (elapsedMs < durationMs) {
    for (let done = 0; done < batchBytes;) {
      done += writeSync(fd, chunk, done, batchBytes - done, position + done);
    }
    fdatasyncSync(fd);
    position += batchBytes;
    recordCount += batchCount;
    elapsedMs = performance.now() - startMs;
  }
  closeSync(fd);
  rmSync(path);
  return (recordCount / elapsedMs) * 1000;
}

// ---------------------------------------------------------------------------------------------
// 1. ASYNC_FLUSH

interface AsyncRow {
  bodyBytes: number;
  messageCount: number;
  recordBytes: number;
  storeMs: number;
  storeBytes: number;
  rawMs: number;
  chunkBytes: number;
}

async function asyncStoreRun(dir: string, bodyBytes: number, messageCount: number) {
  const store = openStore(dir, "ASYNC_FLUSH");
  store.start();
  const startMs = performance.now();
  await putMany(store, bodyOf(bodyBytes), 0, messageCount);
  const storeMs = performance.now() - startMs;
  const storeBytes = store.commitLog.writePosition;
  store.shutdown(); // outside the timing
  rmSync(dir, { recursive: true, force: true });
  return { storeMs, storeBytes };
}

async function benchAsync(root: string): Promise<AsyncRow[]> {
  await asyncStoreRun(join(root, "async-warmup"), 128, asyncWarmupMessageCount);
  const rows: AsyncRow[] = [];
  for (const bodyBytes of bodySizesBytes) {
    const messageCount = asyncMessageCount[bodyBytes]!;
    const recordBytes = recordBytesOf(bodyBytes);
    const dir = join(root, `async-${bodyBytes}`);
    const { storeMs, storeBytes } = await asyncStoreRun(dir, bodyBytes, messageCount);
    // The store drains every put of one event-loop turn into one positional write.
    const chunkBytes = recordBytes * putsInFlightCount;
    const rawMs = rawWriteMs(join(root, `raw-async-${bodyBytes}`), storeBytes, chunkBytes);
    rows.push({ bodyBytes, messageCount, recordBytes, storeMs, storeBytes, rawMs, chunkBytes });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// 2. SYNC_FLUSH

interface SyncRound {
  storeMsgsPerSecond: number;
  rawMsgsPerSecond: number;
}

interface SyncRow {
  bodyBytes: number;
  appenderCount: number;
  rounds: SyncRound[];
  /** Store puts per commit log fdatasync over all its rounds (the group commit's batch). */
  storePutsPerFlush: number;
}

/** One store round: `appenderCount` appenders loop `await put` for syncRoundMs. */
async function syncStoreRound(
  store: MessageStore,
  body: Uint8Array,
  appenderCount: number,
  firstSequence: number,
): Promise<{ msgsPerSecond: number; putCount: number }> {
  let sequence = firstSequence;
  let doneCount = 0;
  let stop = false;
  const appender = async () => {
    while (!stop) {
      checkPut(await store.put(message(body, sequence++)));
      doneCount++;
    }
  };
  const startMs = performance.now();
  const timer = setTimeout(() => (stop = true), syncRoundMs);
  await Promise.all(Array.from({ length: appenderCount }, appender));
  const elapsedMs = performance.now() - startMs;
  clearTimeout(timer);
  return { msgsPerSecond: (doneCount / elapsedMs) * 1000, putCount: doneCount };
}

async function benchSyncCell(root: string, bodyBytes: number, appenderCount: number) {
  const dir = join(root, `sync-${bodyBytes}-${appenderCount}`);
  const store = openStore(dir, "SYNC_FLUSH");
  store.start();
  const body = bodyOf(bodyBytes);
  checkPut(await store.put(message(body, 0))); // creates the files outside the timing
  const rounds: SyncRound[] = [];
  let sequence = 1;
  let putCount = 0;
  const flushCountBefore = store.commitLog.flushCount;
  for (let round = 0; round < syncRoundCount; round++) {
    const storeRound = await syncStoreRound(store, body, appenderCount, sequence);
    sequence += storeRound.putCount;
    putCount += storeRound.putCount;
    const rawMsgsPerSecond = rawSyncRecordsPerSecond(
      join(root, `raw-sync-${bodyBytes}-${appenderCount}`),
      recordBytesOf(bodyBytes),
      appenderCount,
      syncRoundMs,
    );
    rounds.push({ storeMsgsPerSecond: storeRound.msgsPerSecond, rawMsgsPerSecond });
  }
  const storePutsPerFlush = putCount / Math.max(1, store.commitLog.flushCount - flushCountBefore);
  store.shutdown();
  rmSync(dir, { recursive: true, force: true });
  return { bodyBytes, appenderCount, rounds, storePutsPerFlush };
}

async function benchSync(root: string): Promise<SyncRow[]> {
  const rows: SyncRow[] = [];
  for (const bodyBytes of bodySizesBytes) {
    for (const appenderCount of appenderCounts) {
      rows.push(await benchSyncCell(root, bodyBytes, appenderCount));
    }
  }
  return rows;
}

/** Each round's store/raw, sorted; the cell's ratio is their median. */
function syncRatios(row: SyncRow): number[] {
  return row.rounds.map((r) => r.storeMsgsPerSecond / r.rawMsgsPerSecond).sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------
// 3. Restart after kill -9 (child processes)

interface ChildReport {
  startMs: number;
  abnormal: boolean;
  recoveredEnd: number;
  endBytes: number;
  appendedCount: number;
  appendMs: number;
  /** What the child's store logged at warn and above, line (digits as N) -> count. */
  logLines: Record<string, number>;
}

/**
 * Child: opens the store (timing construction + start()), appends `appendBytes` of messages,
 * flushes if asked, reports, then SIGKILLs itself (a crash: no shutdown, the abort file stays).
 * With appendBytes 0 and no crash it shuts down cleanly instead.
 */
async function childMain(args: string[]): Promise<void> {
  const [dir, appendBytesText, mode] = args as [string, string, "flush-kill" | "kill" | "clean"];
  const appendBytes = Number(appendBytesText);
  const startMs0 = performance.now();
  const store = openStore(dir, "ASYNC_FLUSH");
  const started = store.start();
  const startMs = performance.now() - startMs0;
  const body = bodyOf(restartBodyBytes);
  const firstSequence = store.maxOffsetInQueue(topic, 0) * queueCount;
  const target = store.commitLog.writePosition + appendBytes;
  const appendMs0 = performance.now();
  let appendedCount = 0;
  while (store.commitLog.writePosition < target) {
    await putMany(store, body, firstSequence + appendedCount, putsInFlightCount);
    appendedCount += putsInFlightCount;
  }
  const appendMs = performance.now() - appendMs0;
  if (mode === "flush-kill") store.flush();
  if (mode === "clean") store.shutdown();
  const report: ChildReport = {
    startMs,
    abnormal: started.abnormal,
    recoveredEnd: started.recoveredEnd,
    endBytes: store.commitLog.writePosition,
    appendedCount,
    appendMs,
    logLines: Object.fromEntries(logCounts),
  };
  writeSync(1, JSON.stringify(report) + "\n");
  if (mode !== "clean") process.kill(process.pid, "SIGKILL");
}

async function runChild(dir: string, appendBytes: number, mode: string): Promise<ChildReport> {
  const proc = Bun.spawn(
    [process.execPath, import.meta.path, "--child", dir, String(appendBytes), mode],
    { stdout: "pipe", stderr: "inherit" },
  );
  const text = await new Response(proc.stdout).text();
  await proc.exited;
  const expected = mode === "clean" ? "exit 0" : "SIGKILL";
  const got = proc.signalCode ?? `exit ${proc.exitCode}`;
  if (got !== expected) throw new Error(`restart child (${mode}) ended with ${got}: ${text}`);
  const report = JSON.parse(text.trim().split("\n").pop()!) as ChildReport;
  for (const [line, count] of Object.entries(report.logLines)) {
    logCounts.set(line, (logCounts.get(line) ?? 0) + count);
  }
  return report;
}

interface RestartRow {
  scenario: string;
  storedBytes: number;
  startMs: number;
  abnormal: boolean;
  endOk: boolean;
  judged: boolean;
}

interface RestartResult {
  fill: ChildReport;
  rows: RestartRow[];
}

async function benchRestart(root: string): Promise<RestartResult> {
  const dir = join(root, "restart");
  mkdirSync(dir);
  const rows: RestartRow[] = [];
  const row = (scenario: string, report: ChildReport, endBytes: number, judged: boolean) =>
    rows.push({
      scenario,
      storedBytes: report.recoveredEnd,
      startMs: report.startMs,
      abnormal: report.abnormal,
      endOk: report.recoveredEnd === endBytes,
      judged,
    });
  // Fill, flush() (checkpoint written), kill -9; then time a fresh open + start().
  const fill = await runChild(dir, restartFillBytes, "flush-kill");
  const afterFlushed = await runChild(dir, 0, "clean");
  row("flush(), then kill -9", afterFlushed, fill.endBytes, true);
  if (!quick) {
    // Clean restart (timed), a few more MiB without flush, kill -9 mid-stream: the checkpoint
    // is older than the newest index entries, so recovery rebuilds the index as well.
    const appended = await runChild(dir, restartAppendBytes, "kill");
    row("clean shutdown, then start", appended, afterFlushed.endBytes, false);
    const afterUnflushed = await runChild(dir, 0, "clean");
    row("kill -9 while writing, no flush", afterUnflushed, appended.endBytes, true);
    // Cross into the second segment, kill -9: the newest segment is almost all unwritten.
    const rollBytes = segmentBytes - afterUnflushed.endBytes + restartAppendBytes;
    const rolled = await runChild(dir, rollBytes, "kill");
    const afterRoll = await runChild(dir, 0, "clean");
    row("kill -9 just after a segment roll", afterRoll, rolled.endBytes, true);
  }
  rmSync(dir, { recursive: true, force: true });
  return { fill, rows };
}

// ---------------------------------------------------------------------------------------------
// Report

const mbPerSecond = (bytes: number, ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(1);
const sizeText = (bytes: number) =>
  bytes >= GiB
    ? `${(bytes / GiB).toFixed(2)} GiB`
    : bytes >= MiB
      ? `${(bytes / MiB).toFixed(1)} MiB`
      : `${(bytes / KiB).toFixed(0)} KiB`;
const bodyText = (bytes: number) => (bytes >= KiB ? `${bytes / KiB} KiB` : `${bytes} B`);
const met = (ok: boolean) => (ok ? "yes" : "NO");

interface Verdict {
  target: string;
  measured: string;
  ok: boolean | null;
}

function reportAsync(rows: AsyncRow[], verdicts: Verdict[]): void {
  console.log(
    `\n1. ASYNC_FLUSH append, dispatch included (${putsInFlightCount} puts issued, then ` +
      "awaited together, repeated)\n   raw = writeSync of the same bytes into a preallocated " +
      `file, ${putsInFlightCount} records per write (one store drain)`,
  );
  const out: string[][] = [];
  for (const r of rows) {
    const storeMsgsPerSecond = (r.messageCount / r.storeMs) * 1000;
    const ratio = r.rawMs / r.storeMs;
    out.push([
      bodyText(r.bodyBytes),
      `${r.recordBytes} B`,
      int(r.messageCount),
      int(storeMsgsPerSecond),
      mbPerSecond(r.storeBytes, r.storeMs),
      sizeText(r.chunkBytes),
      mbPerSecond(r.storeBytes, r.rawMs),
      ratio.toFixed(3),
    ]);
    if (r.bodyBytes === 128) {
      const ok = storeMsgsPerSecond >= targets.asyncMsgsPerSecond128;
      verdicts.push({
        target: `ASYNC_FLUSH 128 B >= ${int(targets.asyncMsgsPerSecond128)} msgs/s`,
        measured: `${int(storeMsgsPerSecond)} msgs/s`,
        ok,
      });
    }
    if (r.bodyBytes === KiB) {
      verdicts.push({
        target: `ASYNC_FLUSH 1 KiB >= ${targets.asyncRatio1KiB}x raw write bandwidth`,
        measured: `${ratio.toFixed(3)}x`,
        ok: ratio >= targets.asyncRatio1KiB,
      });
    }
  }
  printTable(
    ["body", "record", "msgs", "store msgs/s", "store MB/s", "raw chunk", "raw MB/s", "store/raw"],
    out,
  );
}

function reportSync(rows: SyncRow[], verdicts: Verdict[]): void {
  console.log(
    "\n2. SYNC_FLUSH, N appenders each looping `await put` (answered after fdatasync)\n" +
      "   raw = one write of N records + fdatasync, looped, into a preallocated file\n" +
      `   ${syncRoundCount} rounds of ${syncRoundMs} ms per cell, store and raw in turn; ` +
      "msgs/s are medians, store/raw the median of the rounds' ratios",
  );
  const out = rows.map((r) => {
    const ratios = syncRatios(r);
    return [
      bodyText(r.bodyBytes),
      String(r.appenderCount),
      int(median(r.rounds.map((x) => x.storeMsgsPerSecond))),
      r.storePutsPerFlush.toFixed(1),
      int(median(r.rounds.map((x) => x.rawMsgsPerSecond))),
      median(ratios).toFixed(3),
      `${ratios[0]!.toFixed(2)}-${ratios[ratios.length - 1]!.toFixed(2)}`,
      r.appenderCount === 256 ? `>= ${targets.syncRatio256}` : "",
    ];
  });
  printTable(
    [
      "body",
      "appenders",
      "store msgs/s",
      "puts/fsync",
      "raw msgs/s",
      "store/raw",
      "rounds",
      "target",
    ],
    out,
  );
  for (const r of rows.filter((row) => row.appenderCount === 256)) {
    const ratio = median(syncRatios(r));
    verdicts.push({
      target: `SYNC_FLUSH ${bodyText(r.bodyBytes)}, 256 appenders >= ${targets.syncRatio256}x raw`,
      measured: `${ratio.toFixed(3)}x`,
      ok: ratio >= targets.syncRatio256,
    });
  }
}

function reportRestart(result: RestartResult, verdicts: Verdict[]): void {
  const { fill, rows } = result;
  console.log(
    "\n3. Restart: new MessageStore(...) + start() in a fresh process, " +
      `${bodyText(restartBodyBytes)} bodies, ${sizeText(segmentBytes)} segments\n` +
      `   filled ${sizeText(fill.endBytes)}` +
      ` (${int(fill.appendedCount)} msgs, ${int((fill.appendedCount / fill.appendMs) * 1000)}` +
      " msgs/s in the filling process); page cache warm (the kill -9 loses no written page)",
  );
  const out = rows.map((r) => [
    r.scenario,
    sizeText(r.storedBytes),
    sizeText(segmentBytes - (r.storedBytes % segmentBytes)),
    r.abnormal ? "yes" : "no",
    r.startMs.toFixed(0),
    r.endOk ? "yes" : "NO",
  ]);
  printTable(
    ["scenario", "commit log", "unwritten in last segment", "abort file", "start ms", "end intact"],
    out,
  );
  for (const r of rows.filter((row) => row.judged)) {
    const fullSize = r.storedBytes >= targets.restartStoredBytes - 32 * MiB;
    verdicts.push({
      target: `restart, ${r.scenario}, 1 GiB stored: < ${targets.restartMsMax} ms`,
      measured: `${r.startMs.toFixed(0)} ms` + (fullSize ? "" : ` (${sizeText(r.storedBytes)})`),
      ok: fullSize ? r.startMs < targets.restartMsMax && r.endOk : null,
    });
  }
}

function reportVerdicts(verdicts: Verdict[]): void {
  console.log("\nTargets (from the store issue)");
  printTable(
    ["target", "measured", "met"],
    verdicts.map((v) => [
      v.target,
      v.measured,
      v.ok === null ? "not judged (--quick: <1 GiB)" : met(v.ok),
    ]),
  );
}

/** Mean delay of setTimeout(fn, 0), which SystemClock.after(0) uses. */
async function timerZeroMs(): Promise<number> {
  const count = 200;
  const startMs = performance.now();
  for (let i = 0; i < count; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  return (performance.now() - startMs) / count;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "rmq-bench-"));
  const totalMs0 = performance.now();
  const cpu = cpus()[0]?.model ?? "unknown cpu";
  console.log(
    `rmq store benchmark${quick ? " (--quick)" : ""}: bun ${Bun.version}, ${process.platform}` +
      ` ${process.arch}, ${cpus().length} x ${cpu}\n  dir ${root}; topic ${topic}, ` +
      `${queueCount} queues; properties UNIQ_KEY (indexed), TAGS, WAIT; MB = 10^6 bytes\n` +
      `  setTimeout(0) takes ${(await timerZeroMs()).toFixed(2)} ms here (the store drains puts` +
      " and group-flushes on clock.soon(), a setImmediate, not on 0 ms timers)",
  );
  const verdicts: Verdict[] = [];
  try {
    let sectionMs0 = performance.now();
    const took = () => {
      console.log(`  (section took ${((performance.now() - sectionMs0) / 1000).toFixed(1)} s)`);
      sectionMs0 = performance.now();
    };
    if (runs("async")) {
      reportAsync(await benchAsync(root), verdicts);
      took();
    }
    if (runs("sync")) {
      reportSync(await benchSync(root), verdicts);
      took();
    }
    if (runs("restart")) {
      reportRestart(await benchRestart(root), verdicts);
      took();
    }
    reportVerdicts(verdicts);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  if (logCounts.size > 0) {
    console.log("\nStore log lines at warn and above, all processes (digits as N):");
    for (const [text, count] of logCounts) console.log(`  ${int(count)} x ${text.slice(0, 90)}`);
  }
  console.log(`\ntotal ${((performance.now() - totalMs0) / 1000).toFixed(1)} s`);
}

if (process.argv[2] === "--child") await childMain(process.argv.slice(3));
else await main();
