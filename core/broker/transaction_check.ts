// The transaction check-back (spec §7.4): every transactionCheckInterval the master walks the
// half queue from the checker's offset (group CID_RMQ_SYS_TRANS in consumerOffset.json, so it
// survives restarts). A half resolved by an op record is passed; one younger than
// transactionTimeOut ends the walk (later ones are younger still); one checked
// transactionCheckMax times goes to TRANS_CHECK_MAX_TIME_TOPIC; any other is re-put at the end of
// the half queue with TRANSACTION_CHECK_TIMES + 1 and a CHECK_TRANSACTION_STATE goes to a live
// producer of its group, which answers with END_TRANSACTION naming the copy. The checker's
// offset then moves past everything handled, so a round costs the pending halves it meets.

import type { Clock, TimerHandle } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import {
  createOffsetMessageId,
  findMessageProperty,
  MessageConst,
  type HostAddress,
} from "../common/message.ts";
import { encodeRecord, recordSize, utf8Bytes, type StoredRecord } from "../common/record_codec.ts";
import { createRequest } from "../protocol/command.ts";
import { RequestCode } from "../protocol/request_code.ts";
import type { MessageStore } from "../store/message_store.ts";
import { PutMessageStatus } from "../store/status.ts";
import type { ClientManager } from "./clients.ts";
import type { ConsumerOffsetManager } from "./offsets.ts";
import { checkedHalfProperties, PROPERTY_TRANSACTION_CHECK_TIMES } from "./restored_properties.ts";
import type { TopicManager } from "./topics.ts";
import { opRecordHalfOffsets, TransactionTopics } from "./transaction_ops.ts";

export interface TransactionCheckOptions {
  store: MessageStore;
  clock: Clock;
  log: Logger;
  offsets: ConsumerOffsetManager;
  clients: ClientManager;
  topics: TopicManager;
  storeHost: () => HostAddress;
  checkIntervalMs: number;
  timeoutMs: number;
  checkMax: number;
  /** Writes the op record that marks a half resolved (the broker batches them per turn). */
  resolveHalf: (queueId: number, halfQueueOffset: number) => Promise<{ status: string }>;
}

/** What one round did, for logs and tests. */
export interface CheckRound {
  checked: number;
  discarded: number;
  resolvedPassed: number;
}

const HALF_QUEUE = 0;
const unitsPerRead = 256;

export class TransactionCheckService {
  private timer: TimerHandle | null = null;
  private running: Promise<CheckRound> | null = null;

  constructor(private readonly options: TransactionCheckOptions) {}

  start(): void {
    this.timer = this.options.clock.every(this.options.checkIntervalMs, () => void this.round());
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  /** One pass over the half queue (one at a time: a round in progress is returned). */
  round(): Promise<CheckRound> {
    this.running ??= this.walk().finally(() => (this.running = null));
    return this.running;
  }

  private offsetOf(topic: string): number {
    const { store, offsets } = this.options;
    const committed = offsets.query(TransactionTopics.CHECKER_GROUP, topic, HALF_QUEUE);
    return Math.max(committed ?? 0, store.minOffsetInQueue(topic, HALF_QUEUE));
  }

  private async walk(): Promise<CheckRound> {
    const { store, clock, log, offsets } = this.options;
    const done: CheckRound = { checked: 0, discarded: 0, resolvedPassed: 0 };
    const halfEnd = store.maxOffsetInQueue(TransactionTopics.HALF, HALF_QUEUE);
    let halfOffset = this.offsetOf(TransactionTopics.HALF);
    if (halfOffset >= halfEnd) return done;
    const ops = this.readOps(this.offsetOf(TransactionTopics.OP));
    const roundStartMs = clock.nowMs();
    walk: while (halfOffset < halfEnd) {
      const units = store.queueUnits(TransactionTopics.HALF, HALF_QUEUE, halfOffset, unitsPerRead);
      if (units.length === 0) break;
      for (const unit of units) {
        if (ops.resolved.has(halfOffset)) {
          done.resolvedPassed++;
        } else if (unit.size !== 0x7fffffff) {
          const half = store.lookMessageByOffset(unit.physicalOffset);
          if (half) {
            if (half.storeTimestamp >= roundStartMs) break walk; // put during this round
            // Too young to ask about; a born time in the future (a producer's clock ahead)
            // counts as old enough, as in RocketMQ, or it would hold up every later half.
            const ageMs = roundStartMs - half.bornTimestamp;
            if (ageMs >= 0 && ageMs < this.options.timeoutMs) break walk;
            if (!(await this.handle(half, done))) break walk; // the store refused: next round
          }
        }
        halfOffset++;
      }
    }
    offsets.commit(TransactionTopics.CHECKER_GROUP, TransactionTopics.HALF, HALF_QUEUE, halfOffset);
    // Op records whose halves are all behind the checker are not needed again.
    let opOffset = ops.firstOffset;
    for (const op of ops.records) {
      if (op.halfOffsets.some((o) => o >= halfOffset)) break;
      opOffset = op.queueOffset + 1;
    }
    offsets.commit(TransactionTopics.CHECKER_GROUP, TransactionTopics.OP, HALF_QUEUE, opOffset);
    if (done.checked + done.discarded > 0) {
      log.info(
        `transaction check: ${done.checked} checked, ${done.discarded} moved to ` +
          `${TransactionTopics.CHECK_MAX_TIME}, ${done.resolvedPassed} resolved passed`,
      );
    }
    return done;
  }

  /** Op records from `from`: the half offsets they resolve, in queue order. */
  private readOps(from: number) {
    const { store } = this.options;
    const resolved = new Set<number>();
    const records: { queueOffset: number; halfOffsets: number[] }[] = [];
    for (let offset = from; ;) {
      const got = store.getMessage(TransactionTopics.OP, HALF_QUEUE, offset, 32, 1 << 20);
      if (got.messages.length === 0) break;
      for (const m of got.messages) {
        const record = store.lookMessageByOffset(m.physicalOffset);
        const halfOffsets = record ? opRecordHalfOffsets(record.body) : [];
        for (const h of halfOffsets) resolved.add(h);
        records.push({ queueOffset: m.queueOffset, halfOffsets });
      }
      offset = got.nextBeginOffset;
    }
    return { resolved, records, firstOffset: from };
  }

  /** Checks or discards one pending half; false when the store refused the re-put. */
  private async handle(half: StoredRecord, done: CheckRound): Promise<boolean> {
    const { store, log } = this.options;
    const times = Number(
      findMessageProperty(half.properties, PROPERTY_TRANSACTION_CHECK_TIMES) ?? 0,
    );
    const base = {
      flag: 0, // RocketMQ's renewHalfMessageInner copies neither flag nor reconsumeTimes
      sysFlag: half.sysFlag,
      bornTimestamp: half.bornTimestamp,
      bornHost: half.bornHost,
      storeHost: this.options.storeHost(),
      reconsumeTimes: 0,
      preparedTransactionOffset: 0,
      body: half.body,
    };
    if (times >= this.options.checkMax) {
      this.options.topics.createSystemTopic(TransactionTopics.CHECK_MAX_TIME, 1);
      const moved = await store.put({
        ...base,
        topic: TransactionTopics.CHECK_MAX_TIME,
        queueId: 0,
        properties: half.properties,
      });
      if (moved.status !== PutMessageStatus.PUT_OK) return false;
      await this.options.resolveHalf(HALF_QUEUE, half.queueOffset);
      log.warn(
        `transaction ${this.uniqKey(half)} checked ${times} times without an ` +
          `answer; moved to ${TransactionTopics.CHECK_MAX_TIME}`,
      );
      done.discarded++;
      return true;
    }
    const copy = await store.put({
      ...base,
      topic: TransactionTopics.HALF,
      queueId: HALF_QUEUE,
      properties: checkedHalfProperties(half.properties, times + 1),
    });
    if (copy.status !== PutMessageStatus.PUT_OK) return false;
    // The copy stands for the transaction from now on. Resolving the original too means a
    // checker whose offset went back after a crash does not ask about it a second time, which
    // could commit it twice.
    await this.options.resolveHalf(HALF_QUEUE, half.queueOffset);
    done.checked++;
    const appended = copy.appended[0]!;
    const group = findMessageProperty(half.properties, MessageConst.PROPERTY_PRODUCER_GROUP) ?? "";
    const channel = this.options.clients.anyProducerChannel(group);
    if (!channel) {
      log.debug(`transaction check: no live producer of group ${group}; asking again next round`);
      return true;
    }
    const copyRecord = store.lookMessageByOffset(appended.physicalOffset);
    if (!copyRecord) return true;
    const uniqKey = this.uniqKey(half);
    channel.invokeOneway(
      createRequest(RequestCode.CHECK_TRANSACTION_STATE, {
        extFields: {
          topic: TransactionTopics.HALF,
          tranStateTableOffset: String(appended.queueOffset),
          commitLogOffset: String(appended.physicalOffset),
          msgId: uniqKey,
          transactionId: uniqKey,
          offsetMsgId: createOffsetMessageId(copyRecord.storeHost, appended.physicalOffset),
        },
        body: this.checkBody(copyRecord),
      }),
    );
    return true;
  }

  private uniqKey(record: StoredRecord): string {
    return (
      findMessageProperty(record.properties, MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX) ??
      createOffsetMessageId(record.storeHost, record.physicalOffset)
    );
  }

  /** The half copy as a stored record, topic and queue rewritten to the real ones (spec §3.7). */
  private checkBody(copy: StoredRecord): Uint8Array {
    const realTopic = findMessageProperty(copy.properties, MessageConst.PROPERTY_REAL_TOPIC) ?? "";
    const realQueueId = Number(
      findMessageProperty(copy.properties, MessageConst.PROPERTY_REAL_QUEUE_ID) ?? 0,
    );
    const fields = {
      ...copy,
      queueId: Number.isInteger(realQueueId) ? realQueueId : 0,
      physicalOffset: copy.physicalOffset,
      topic: utf8Bytes(realTopic),
      properties: utf8Bytes(copy.properties),
    };
    const out = new Uint8Array(recordSize(fields));
    encodeRecord(out, 0, fields);
    return out;
  }
}
