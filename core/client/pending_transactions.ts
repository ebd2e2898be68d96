// Transactions still waiting for an answer, as a running cluster holds them (`rmq inspect tx`):
// per broker, the half messages from the checker's offset (group CID_RMQ_SYS_TRANS) to the end
// of the half queue, less those an op record resolves. A half re-put by a check-back shows once,
// as its newest copy (the checker's offset is past the older ones).

import type { Clock } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import { Admin } from "./admin.ts";
import { PullConsumer } from "./pull_consumer.ts";
import type { ReceivedMessage } from "./received_message.ts";
import type { MessageQueue } from "./route_cache.ts";

const HALF_TOPIC = "RMQ_SYS_TRANS_HALF_TOPIC";
const OP_TOPIC = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
const CHECKER_GROUP = "CID_RMQ_SYS_TRANS";

export interface PendingTransaction {
  brokerName: string;
  producerGroup: string;
  msgId: string;
  topic: string;
  checkTimes: number;
  bornTimestamp: number;
  halfQueueOffset: number;
}

async function readAll(pull: PullConsumer, queue: MessageQueue, from: number) {
  const out: ReceivedMessage[] = [];
  for (let offset = from; ;) {
    const got = await pull.pull(queue, offset, 32);
    if (got.status === "OFFSET_ILLEGAL") {
      offset = got.nextBeginOffset;
      continue;
    }
    if (got.status !== "FOUND") return out;
    out.push(...got.messages);
    offset = got.nextBeginOffset;
  }
}

export async function pendingTransactions(options: {
  namesrvAddrs: string[];
  clock: Clock;
  log: Logger;
}): Promise<PendingTransaction[]> {
  const admin = Admin.connect(options.namesrvAddrs, options.clock, options.log);
  const pull = new PullConsumer({ ...options, group: "rmq-inspect-tx" });
  const out: PendingTransaction[] = [];
  try {
    let halves;
    try {
      halves = await admin.groupProgress(CHECKER_GROUP, HALF_TOPIC);
    } catch {
      return out; // no half topic anywhere: no transaction was ever sent
    }
    for (const half of halves) {
      const queue = { topic: HALF_TOPIC, brokerName: half.brokerName, queueId: half.queueId };
      const ops = await readAll(
        pull,
        { topic: OP_TOPIC, brokerName: half.brokerName, queueId: half.queueId },
        0,
      ).catch(() => [] as ReceivedMessage[]);
      const resolved = new Set<number>();
      for (const op of ops) {
        for (const part of new TextDecoder().decode(op.body).split(",")) {
          if (/^\d+$/.test(part)) resolved.add(Number(part));
        }
      }
      for (const m of await readAll(pull, queue, half.consumerOffset ?? half.minOffset)) {
        if (resolved.has(m.queueOffset)) continue;
        out.push({
          brokerName: half.brokerName,
          producerGroup: m.properties.get("PGROUP") ?? "",
          msgId: m.msgId,
          topic: m.properties.get("REAL_TOPIC") ?? "",
          checkTimes: Number(m.properties.get("TRANSACTION_CHECK_TIMES") ?? 0),
          bornTimestamp: m.bornTimestamp,
          halfQueueOffset: m.queueOffset,
        });
      }
    }
  } finally {
    pull.close();
    admin.close();
  }
  // A half re-put by a check shares its msgId with the copy before it: keep the newest.
  const newest = new Map<string, PendingTransaction>();
  for (const p of out) {
    const seen = newest.get(p.msgId);
    if (!seen || seen.halfQueueOffset < p.halfQueueOffset) newest.set(p.msgId, p);
  }
  return [...newest.values()];
}
