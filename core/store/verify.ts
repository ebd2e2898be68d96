// `rmq inspect verify`: checks a store offline, never writing. Every commit log record (length
// fields and body CRC), every consume-queue unit (points at a record of that topic, queue,
// queue offset, size and tag hash), every index entry (points at a record that carries a key
// with that hash). Reports every problem found with its file and offset; the first matters most.

import { join } from "node:path";
import { javaStringHashCode } from "../common/checksum.ts";
import { MessageConst, parseMessageProperties } from "../common/message.ts";
import { CommitLogReader } from "./commit_log_reader.ts";
import { scanCommitLog } from "./commit_log_scan.ts";
import { SCHEDULE_TOPIC_XXXX } from "./dispatch.ts";
import type { StoredRecord } from "./commit_log_codec.ts";
import type { FileIO } from "./file_io.ts";
import { decodeEntry, entryPosition, indexKeyHash } from "./index_codec.ts";
import { listIndexFiles } from "./index_read.ts";
import { readQueueUnits, FILLER_UNIT_SIZE, validUnitAfter } from "./consume_queue_read.ts";
import { storePaths } from "./store_layout.ts";
import { listSegments } from "./segments.ts";
import { CQ_STORE_UNIT_SIZE } from "./consume_queue_codec.ts";

export interface VerifyProblem {
  file: string;
  offset: number;
  reason: string;
}

export interface VerifyReport {
  records: number;
  commitLogEndOffset: number;
  queues: number;
  units: number;
  indexEntries: number;
  problems: VerifyProblem[];
}

export interface VerifyProgress {
  (phase: string, done: number): void;
}

/** The tag hash a consume-queue unit should carry for `record` (0 without a tag). */
export function expectedTagsCode(record: StoredRecord): number | undefined {
  if (record.topic === SCHEDULE_TOPIC_XXXX) return undefined; // delivery time, not a hash
  const tags = parseMessageProperties(record.properties).get(MessageConst.PROPERTY_TAGS);
  return tags === undefined ? 0 : javaStringHashCode(tags);
}

/** The index keys RocketMQ builds for a record: topic#UNIQ_KEY and topic#<each KEYS token>. */
export function indexKeysOf(record: StoredRecord): string[] {
  const properties = parseMessageProperties(record.properties);
  const keys: string[] = [];
  const uniq = properties.get(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
  if (uniq) keys.push(`${record.topic}#${uniq}`);
  for (const key of (properties.get(MessageConst.PROPERTY_KEYS) ?? "").split(" ")) {
    if (key) keys.push(`${record.topic}#${key}`);
  }
  return keys;
}

export function verifyStore(io: FileIO, root: string, progress?: VerifyProgress): VerifyReport {
  const paths = storePaths(root);
  const report: VerifyReport = {
    records: 0,
    commitLogEndOffset: 0,
    queues: 0,
    units: 0,
    indexEntries: 0,
    problems: [],
  };
  const scan = scanCommitLog(io, paths.commitLog, { checkCrc: true });
  for (;;) {
    const step = scan.next();
    if (step.done) {
      report.commitLogEndOffset = step.value.endOffset;
      break;
    }
    const item = step.value;
    if (item.kind === "record" && ++report.records % 10_000 === 0) {
      progress?.("commit log", report.records);
    }
    if (item.kind === "corrupt") {
      report.problems.push({ file: item.segment.path, offset: item.position, reason: item.reason });
    }
    if (item.kind === "gap") {
      const reason = `segment gap: data ends at ${item.position}, next starts at ${item.nextStart}`;
      report.problems.push({ file: paths.commitLog, offset: item.position, reason });
    }
  }
  const reader = new CommitLogReader(io, paths.commitLog);
  verifyQueues(io, paths.consumeQueue, reader, report, progress);
  verifyIndex(io, paths.index, reader, report);
  return report;
}

function verifyQueues(
  io: FileIO,
  dir: string,
  reader: CommitLogReader,
  report: VerifyReport,
  progress?: VerifyProgress,
): void {
  for (const topic of io.list(dir)) {
    for (const queueName of io.list(join(dir, topic))) {
      const queueId = Number(queueName);
      const queueDir = join(dir, topic, queueName);
      report.queues++;
      let next: number | undefined;
      for (const unit of readQueueUnits(io, queueDir)) {
        next = unit.queueOffset + 1;
        report.units++;
        if (report.units % 100_000 === 0) progress?.("consume queues", report.units);
        if (unit.size === FILLER_UNIT_SIZE || unit.physicalOffset < reader.minOffset()) continue;
        const problem = checkUnit(reader, report, topic, queueId, unit);
        if (problem) {
          report.problems.push({ file: queueDir, offset: unit.queueOffset, reason: problem });
        }
      }
      // The units stop at `next`: that is their end unless units that decode follow.
      const stoppedAt = next ?? firstOffsetOf(io, queueDir);
      const resumes = stoppedAt === undefined ? undefined : validUnitAfter(io, queueDir, stoppedAt);
      if (stoppedAt !== undefined && resumes !== undefined) {
        const reason = `unit does not decode, and units from ${resumes} on do (damaged)`;
        report.problems.push({ file: queueDir, offset: stoppedAt, reason });
      }
    }
  }
}

/** The queue offset its first file starts at; undefined for a queue with no files. */
function firstOffsetOf(io: FileIO, queueDir: string): number | undefined {
  const [first] = listSegments(io, queueDir).segments;
  return first && first.startOffset / CQ_STORE_UNIT_SIZE;
}

function checkUnit(
  reader: CommitLogReader,
  report: VerifyReport,
  topic: string,
  queueId: number,
  unit: { physicalOffset: number; size: number; tagsCode: number; queueOffset: number },
): string | undefined {
  if (unit.physicalOffset + unit.size > report.commitLogEndOffset) {
    const end = report.commitLogEndOffset;
    return `unit points at ${unit.physicalOffset} past the commit log end ${end}`;
  }
  const found = reader.recordAt(unit.physicalOffset);
  if (!found || found.kind !== "record") {
    return `unit points at ${unit.physicalOffset}, which is not a record`;
  }
  const r = found.record;
  if (r.totalSize !== unit.size) return `unit size ${unit.size} != record size ${r.totalSize}`;
  if (r.topic !== topic || r.queueId !== queueId) {
    return `unit points at a record of ${r.topic}/${r.queueId}`;
  }
  if (r.queueOffset !== unit.queueOffset) {
    return `record at ${r.position} has queue offset ${r.queueOffset}, unit is ${unit.queueOffset}`;
  }
  const tags = expectedTagsCode(r);
  if (tags !== undefined && tags !== unit.tagsCode) {
    return `unit tagsCode ${unit.tagsCode} != hash of the record's tag ${tags}`;
  }
  return undefined;
}

function verifyIndex(io: FileIO, dir: string, reader: CommitLogReader, report: VerifyReport): void {
  const { files, problems } = listIndexFiles(io, dir);
  for (const problem of problems) report.problems.push({ file: dir, offset: 0, reason: problem });
  for (const file of files) {
    const bytes = io.map(file.path);
    for (let i = 1; i < file.header.indexCount && i < file.geometry.indexNum; i++) {
      report.indexEntries++;
      const entry = decodeEntry(bytes, entryPosition(file.geometry, i));
      if (entry.physicalOffset < reader.minOffset()) continue;
      const found = reader.recordAt(entry.physicalOffset);
      if (!found || found.kind !== "record") {
        const reason = `entry ${i} points at ${entry.physicalOffset}, which is not a record`;
        report.problems.push({ file: file.path, offset: i, reason });
        continue;
      }
      const hashes = indexKeysOf(found.record).map(indexKeyHash);
      if (!hashes.includes(entry.keyHash)) {
        const reason = `entry ${i} key hash ${entry.keyHash} matches no key of its record`;
        report.problems.push({ file: file.path, offset: i, reason });
      }
    }
  }
}
