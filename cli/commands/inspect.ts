// `rmq inspect`: reads store files offline and never modifies them. Decodes as much as it can
// from a damaged store and says where it stopped.
//
//   rmq inspect commitlog <storeDir|segment> [--from OFFSET] [--count N] [--topic T] [--json]
//   rmq inspect queue <storeDir> <topic> <queueId> [--from N] [--count N] [--json]
//   rmq inspect index <storeDir> <key> [--topic T] [--max N] [--json]
//   rmq inspect checkpoint <storeDir> [--json]
//   rmq inspect verify <storeDir> [--json]
//   rmq inspect stats <storeDir> [--json]
//   rmq inspect ha <storeDir> [--json]     (controller mode: epoch file, replica id)

import type { CAC } from "cac";
import { decodeEpochFile, EPOCH_FILE_NAME, type EpochEntry } from "../../core/broker/index.ts";
import { basename, dirname, join } from "node:path";
import {
  checkpointFileBytes,
  CommitLogReader,
  consumeQueueDir,
  decodeCheckpoint,
  fileNameToOffset,
  indexKeysOf,
  listIndexFiles,
  queryIndex,
  queueBounds,
  readQueueUnits,
  RealFileIO,
  scanCommitLog,
  storePaths,
  storeStats,
  verifyStore,
  type FileIO,
} from "../../core/store/index.ts";
import { ExitCode } from "../exit_codes.ts";
import {
  endProgress,
  printError,
  printJson,
  printLine,
  printTable,
  printWarning,
  progress,
} from "../output.ts";
import { isoTime, recordJson, recordSummary } from "./inspect_format.ts";
import { onlineTargets, runOnline } from "./inspect_online.ts";

interface InspectFlags {
  from?: string | number;
  count?: string | number;
  topic?: string;
  max?: string | number;
  json?: boolean;
  body?: boolean;
  namesrvAddr?: string;
  key?: string;
}

class UsageError extends Error {}

function intFlag(value: string | number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${name} expects a whole number`);
  return n;
}

function requireArg(value: string | undefined, what: string): string {
  if (value === undefined || value === "") throw new UsageError(`missing ${what}`);
  return value;
}

function requireStore(io: FileIO, root: string): string {
  if (!io.isDirectory(root)) throw new Error(`${root} is not a directory`);
  if (!io.isDirectory(join(root, "commitlog"))) {
    throw new Error(`${root} has no commitlog/ directory: not a RocketMQ store`);
  }
  return root;
}

export function registerInspect(cli: CAC): void {
  cli
    .command(
      "inspect <what> [...args]",
      "Read store files offline (never modifying them), or ask a running cluster",
    )
    .option("--from <n>", "First physical offset (commitlog) or queue offset (queue)")
    .option("--count <n>", "How many records or units to show")
    .option(
      "-t, --topic <topic>",
      "commitlog: only this topic; index: the key's topic; online: the topic",
    )
    .option("--max <n>", "At most this many index hits (default 64)")
    .option("--body", "With --json: include the whole body as base64")
    .option("--json", "One JSON object per line")
    .option("-n, --namesrv-addr <addrs>", "Online views: name servers (default NAMESRV_ADDR)")
    .option("--key <key>", "msg: look messages up by key (with -t)")
    .option("-g, --group <group>", "tx: only this producer group's pending transactions")

    .example("rmq inspect commitlog ~/store --count 10")
    .example("rmq inspect verify ~/store")
    .action((what: string, args: string[], flags: InspectFlags) => runInspect(what, args, flags));
}

async function runInspect(what: string, args: string[], flags: InspectFlags): Promise<void> {
  const io = new RealFileIO();
  try {
    if (onlineTargets.has(what)) return await runOnline(what, args, flags);
    switch (what) {
      case "commitlog":
        return inspectCommitLog(io, requireArg(args[0], "<storeDir|file>"), flags);
      case "queue":
        return inspectQueue(io, args, flags);
      case "index":
        return inspectIndex(io, args, flags);
      case "checkpoint":
        return inspectCheckpoint(io, requireArg(args[0], "<storeDir>"), flags);
      case "verify":
        return inspectVerify(io, requireArg(args[0], "<storeDir>"), flags);
      case "stats":
        return inspectStats(io, requireArg(args[0], "<storeDir>"), flags);
      case "ha":
        return inspectHa(io, requireArg(args[0], "<storeDir>"), flags);
      default:
        throw new UsageError(
          `unknown inspect target "${what}": commitlog, queue, index, checkpoint, verify, ` +
            "stats, ha (offline), cluster, route, topic, group, msg, tx (online)",
        );
    }
  } catch (error) {
    printError((error as Error).message);
    process.exit(error instanceof UsageError ? ExitCode.USAGE : ExitCode.FAILURE);
  }
}

function inspectCommitLog(io: FileIO, target: string, flags: InspectFlags): void {
  let dir = join(target, "commitlog");
  let onlySegment: string | null = null;
  if (!io.isDirectory(target)) {
    if (!io.exists(target) || fileNameToOffset(basename(target)) === undefined) {
      throw new Error(`${target} is neither a store directory nor a commit log segment`);
    }
    dir = dirname(target);
    onlySegment = target;
  } else if (!io.isDirectory(dir)) {
    dir = target; // a commitlog directory itself
  }
  const from = flags.from !== undefined ? intFlag(flags.from, "from", 0) : undefined;
  const fromOffset =
    onlySegment && from === undefined ? fileNameToOffset(basename(onlySegment)) : from;
  const count = intFlag(flags.count, "count", Number.MAX_SAFE_INTEGER);
  let shown = 0;
  const scan = scanCommitLog(io, dir, { checkCrc: true, fromOffset });
  let step = scan.next();
  for (; !step.done && shown < count; step = scan.next()) {
    const item = step.value;
    if (item.kind === "gap") {
      printWarning(
        `segments do not meet: data ends at ${item.position}, next starts at ${item.nextStart}`,
      );
      continue;
    }
    if (onlySegment && item.segment.path !== onlySegment) break;
    if (item.kind === "corrupt") {
      printWarning(`stopped at ${item.position} in ${item.segment.name}: ${item.reason}`);
      process.exitCode = ExitCode.FAILURE;
      break;
    }
    if (item.kind === "blank") {
      if (!flags.json && !flags.topic)
        printLine(`@${item.position} blank marker (${item.size} bytes to the end of the file)`);
      continue;
    }
    if (flags.topic && item.record.topic !== flags.topic) continue;
    if (flags.json) printJson(recordJson(item.record, flags.body === true));
    else printLine(recordSummary(item.record));
    shown++;
  }
}

function inspectQueue(io: FileIO, args: string[], flags: InspectFlags): void {
  const root = requireStore(io, requireArg(args[0], "<storeDir>"));
  const topic = requireArg(args[1], "<topic>");
  const queueId = intFlag(requireArg(args[2], "<queueId>"), "queueId", 0);
  const dir = consumeQueueDir(storePaths(root), topic, queueId);
  if (!io.isDirectory(dir)) throw new Error(`no consume queue ${topic}/${queueId} in ${root}`);
  const bounds = queueBounds(io, dir);
  const from = intFlag(flags.from, "from", bounds.minOffset);
  const count = intFlag(flags.count, "count", Number.MAX_SAFE_INTEGER);
  const rows: (string | number)[][] = [];
  let shown = 0;
  for (const unit of readQueueUnits(io, dir, from)) {
    if (shown++ >= count) break;
    if (flags.json) printJson({ topic, queueId, ...unit });
    else rows.push([unit.queueOffset, unit.physicalOffset, unit.size, unit.tagsCode]);
  }
  if (!flags.json) {
    printLine(`${topic}/${queueId}: minOffset=${bounds.minOffset} maxOffset=${bounds.maxOffset}`);
    printTable(["queueOffset", "physicalOffset", "size", "tagsCode"], rows);
  }
}

function inspectIndex(io: FileIO, args: string[], flags: InspectFlags): void {
  const root = requireStore(io, requireArg(args[0], "<storeDir>"));
  const key = requireArg(args[1], "<key>");
  const paths = storePaths(root);
  const { files, problems } = listIndexFiles(io, paths.index);
  for (const problem of problems) printWarning(problem);
  const topics = flags.topic ? [flags.topic] : io.list(paths.consumeQueue);
  const max = intFlag(flags.max, "max", 64);
  const reader = new CommitLogReader(io, paths.commitLog);
  let hits = 0;
  for (const topic of topics) {
    const indexKey = `${topic}#${key}`;
    for (const offset of queryIndex(io, files, indexKey, 0, Number.MAX_SAFE_INTEGER, max)) {
      const found = reader.recordAt(offset);
      // The index matches by hash; keep only records that really carry the key.
      if (!found || found.kind !== "record" || !indexKeysOf(found.record).includes(indexKey))
        continue;
      hits++;
      if (flags.json) printJson(recordJson(found.record, flags.body === true));
      else printLine(recordSummary(found.record));
    }
  }
  if (hits === 0) {
    printError(`no message with key "${key}"${flags.topic ? ` in ${flags.topic}` : ""}`);
    process.exitCode = ExitCode.FAILURE;
  }
}

function inspectCheckpoint(io: FileIO, rootArg: string, flags: InspectFlags): void {
  const root = requireStore(io, rootArg);
  const path = storePaths(root).checkpoint;
  if (!io.exists(path)) throw new Error(`${path} does not exist`);
  const bytes = io.map(path);
  if (bytes.length !== checkpointFileBytes) {
    printWarning(`checkpoint is ${bytes.length} bytes (RocketMQ writes ${checkpointFileBytes})`);
  }
  const checkpoint = decodeCheckpoint(bytes);
  if (flags.json) return printJson(checkpoint);
  const time = (ms: number) => (ms === 0 ? "0 (never flushed)" : `${ms} (${isoTime(ms)})`);
  printLine(`physicMsgTimestamp   ${time(checkpoint.physicMsgTimestamp)}`);
  printLine(`logicsMsgTimestamp   ${time(checkpoint.logicsMsgTimestamp)}`);
  printLine(`indexMsgTimestamp    ${time(checkpoint.indexMsgTimestamp)}`);
  printLine(`masterFlushedOffset  ${checkpoint.masterFlushedOffset}`);
  printLine(`confirmPhyOffset     ${checkpoint.confirmPhyOffset}`);
  printLine(
    `abort file           ${io.exists(storePaths(root).abort) ? "present (unclean stop)" : "no"}`,
  );
}

/** The epoch file (which master epoch wrote which bytes) and the replica id of a store. */
function inspectHa(io: FileIO, rootArg: string, flags: InspectFlags): void {
  const root = requireStore(io, rootArg);
  const path = join(root, EPOCH_FILE_NAME);
  const identityPath = join(root, "brokerIdentity");
  const identity = io.exists(identityPath)
    ? new TextDecoder().decode(io.map(identityPath)).trim()
    : null;
  if (!io.exists(path) && !io.exists(`${path}.bak`)) {
    throw new Error(`${path} does not exist: the store was not written in controller mode`);
  }
  let entries: EpochEntry[];
  let source = path;
  try {
    entries = decodeEpochFile(new TextDecoder().decode(io.map(path)));
  } catch (error) {
    printWarning(`${path}: ${(error as Error).message}; reading ${path}.bak`);
    source = `${path}.bak`;
    entries = decodeEpochFile(new TextDecoder().decode(io.map(source)));
  }
  const rows = entries.map((e, i) => ({
    epoch: e.epoch,
    startOffset: e.startOffset,
    endOffset: entries[i + 1]?.startOffset ?? null,
  }));
  if (flags.json) return printJson({ file: source, brokerIdentity: identity, entries: rows });
  printLine(`epoch file       ${source}`);
  printLine(`broker identity  ${identity ?? "(none)"}`);
  printTable(
    ["epoch", "start offset", "end offset"],
    rows.map((r) => [r.epoch, r.startOffset, r.endOffset ?? "(the log's end)"]),
  );
}

function inspectVerify(io: FileIO, rootArg: string, flags: InspectFlags): void {
  const root = requireStore(io, rootArg);
  const report = verifyStore(io, root, (phase, done) => progress(`verify: ${phase}: ${done}`));
  endProgress();
  if (flags.json) {
    printJson({ ok: report.problems.length === 0, ...report });
  } else {
    printLine(
      [
        `records=${report.records}`,
        `commitLogEnd=${report.commitLogEndOffset}`,
        `queues=${report.queues}`,
        `units=${report.units}`,
        `indexEntries=${report.indexEntries}`,
        `problems=${report.problems.length}`,
      ].join(" "),
    );
    for (const p of report.problems) printLine(`BAD ${p.file} at ${p.offset}: ${p.reason}`);
    printLine(
      report.problems.length === 0
        ? "OK"
        : `CORRUPT: first bad offset ${report.problems[0]!.offset}`,
    );
  }
  if (report.problems.length > 0) process.exitCode = ExitCode.FAILURE;
}

function inspectStats(io: FileIO, rootArg: string, flags: InspectFlags): void {
  const stats = storeStats(io, requireStore(io, rootArg));
  if (flags.json) {
    for (const q of stats.queues) printJson(q);
    return;
  }
  printLine(
    `commit log ${stats.commitLogStartOffset}..${stats.commitLogEndOffset}: ` +
      `${stats.records} records, ${stats.bytes} bytes`,
  );
  printTable(
    ["topic", "queue", "records", "bytes", "minOffset", "maxOffset", "first stored", "last stored"],
    stats.queues.map((q) => [
      q.topic,
      q.queueId,
      q.records,
      q.bytes,
      q.minOffset ?? "-",
      q.maxOffset ?? "-",
      q.firstStoreTimestamp === null ? "-" : isoTime(q.firstStoreTimestamp),
      q.lastStoreTimestamp === null ? "-" : isoTime(q.lastStoreTimestamp),
    ]),
  );
}
