// `rmq inspect stats`: per topic and queue, what the commit log holds (records, bytes, store
// time span) next to what the consume queue says (min/max offsets). Offline, read-only.

import { join } from "node:path";
import { scanCommitLog } from "./commit_log_scan.ts";
import { queueBounds } from "./consume_queue_read.ts";
import type { FileIO } from "./file_io.ts";
import { storePaths } from "./store_layout.ts";

export interface QueueStats {
  topic: string;
  queueId: number;
  records: number;
  bytes: number;
  firstStoreTimestamp: number | null;
  lastStoreTimestamp: number | null;
  /** From the consume queue files; null when the queue has no directory. */
  minOffset: number | null;
  maxOffset: number | null;
}

export interface StoreStats {
  commitLogStartOffset: number;
  commitLogEndOffset: number;
  records: number;
  bytes: number;
  queues: QueueStats[];
}

export function storeStats(io: FileIO, root: string): StoreStats {
  const paths = storePaths(root);
  const byQueue = new Map<string, QueueStats>();
  const entry = (topic: string, queueId: number) => {
    const key = `${topic}\u0000${queueId}`;
    let stats = byQueue.get(key);
    if (!stats) {
      stats = {
        topic,
        queueId,
        records: 0,
        bytes: 0,
        firstStoreTimestamp: null,
        lastStoreTimestamp: null,
        minOffset: null,
        maxOffset: null,
      };
      byQueue.set(key, stats);
    }
    return stats;
  };
  let records = 0;
  let bytes = 0;
  let start: number | null = null;
  const scan = scanCommitLog(io, paths.commitLog, { checkCrc: false });
  let step = scan.next();
  for (; !step.done; step = scan.next()) {
    const item = step.value;
    if (item.kind !== "record") continue;
    const r = item.record;
    start ??= r.position;
    records++;
    bytes += r.totalSize;
    const s = entry(r.topic, r.queueId);
    s.records++;
    s.bytes += r.totalSize;
    s.firstStoreTimestamp ??= r.storeTimestamp;
    s.lastStoreTimestamp = r.storeTimestamp;
  }
  for (const topic of io.list(paths.consumeQueue)) {
    for (const queueName of io.list(join(paths.consumeQueue, topic))) {
      const bounds = queueBounds(io, join(paths.consumeQueue, topic, queueName));
      const s = entry(topic, Number(queueName));
      s.minOffset = bounds.minOffset;
      s.maxOffset = bounds.maxOffset;
    }
  }
  const queues = [...byQueue.values()].sort((a, b) =>
    a.topic === b.topic ? a.queueId - b.queueId : a.topic < b.topic ? -1 : 1,
  );
  return {
    commitLogStartOffset: start ?? 0,
    commitLogEndOffset: step.value.endOffset,
    records,
    bytes,
    queues,
  };
}
