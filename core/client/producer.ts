// The producer (spec §3.1, §3.2): routes from the name servers, queues in round robin, retries
// on another broker after a failure (that broker is avoided for a while), bodies over 4 KiB
// compressed (zlib, sysFlag COMPRESSED | ZLIB as the Java client), UNIQ_KEY ids, sync / oneway /
// batch sends over SEND_MESSAGE_V2 with the binary header.

import { deflateSync } from "node:zlib";
import type { Clock } from "../common/clock.ts";
import { RemoteError } from "../common/errors.ts";
import type { Logger } from "../common/log.ts";
import { Prng } from "../common/prng.ts";
import { encodeBatchBody } from "../protocol/batch_body.ts";
import { createRequest, SerializeType, type RemotingCommand } from "../protocol/command.ts";
import type { SmallMap } from "../common/small_map.ts";
import { encodeSendMessageRequestV2 } from "../protocol/headers/send.ts";
import { RequestCode } from "../protocol/request_code.ts";
import { ResponseCode, responseCodeName } from "../protocol/response_code.ts";
import { RemotingClient } from "../remoting/client.ts";
import { javaStringHashCode } from "../common/checksum.ts";
import { instanceSeed, UniqueIdGenerator } from "./message_id.ts";
import { sendProperties } from "./send_properties.ts";
import { isReplyMessage } from "./request_reply.ts";
import { RouteCache, type MessageQueue, type RouteEntry } from "./route_cache.ts";
import type { ProcessorTable } from "../remoting/processor_table.ts";

export interface OutgoingMessage {
  topic: string;
  body: Uint8Array;
  tags?: string;
  keys?: string[];
  properties?: Record<string, string>;
  flag?: number;
  /** > 0: delivered after that delay level's delay (messageDelayLevel on the broker). */
  delayLevel?: number;
  /** Delivered at this time, ms since the epoch (RocketMQ 5's TIMER_DELIVER_MS; 1 s precision). */
  deliverAtMs?: number;
  /** Delivered this long after the broker stores it (TIMER_DELAY_MS; 1 s precision). */
  deliverAfterMs?: number;
  /**
   * A transaction's half message (TRAN_MSG, PGROUP, sysFlag PREPARED): invisible until the
   * producer commits it (TransactionProducer does the rest).
   */
  transactional?: boolean;
  /** Send to exactly this queue (ordered sends); the route still decides the broker. */
  queue?: MessageQueue;
  /**
   * Ordered sends: every message with one key goes to one queue (RocketMQ's
   * SelectMessageQueueByHash over the topic's writable queues), and is not retried elsewhere.
   */
  shardingKey?: string;
}

export type SendStatus =
  "SEND_OK" | "FLUSH_DISK_TIMEOUT" | "FLUSH_SLAVE_TIMEOUT" | "SLAVE_NOT_AVAILABLE";

export interface SendResult {
  status: SendStatus;
  /** The client's UNIQ_KEY (what RocketMQ's SendResult.msgId shows). */
  msgId: string;
  /** The broker's offset message id. */
  offsetMsgId: string;
  queue: MessageQueue;
  queueOffset: number;
}

export interface ProducerOptions {
  group: string;
  namesrvAddrs: string[];
  clock: Clock;
  log: Logger;
  sendTimeoutMs?: number;
  retryTimesWhenSendFailed?: number;
  compressBodyOverBytes?: number;
  maxMessageSizeBytes?: number;
  seed?: number;
  /** Requests brokers send this producer (the transaction producer answers check-backs). */
  processors?: ProcessorTable;
}

const statusByCode: Record<number, SendStatus> = {
  [ResponseCode.SUCCESS]: "SEND_OK",
  [ResponseCode.FLUSH_DISK_TIMEOUT]: "FLUSH_DISK_TIMEOUT",
  [ResponseCode.FLUSH_SLAVE_TIMEOUT]: "FLUSH_SLAVE_TIMEOUT",
  [ResponseCode.SLAVE_NOT_AVAILABLE]: "SLAVE_NOT_AVAILABLE",
};

/** How long a broker that failed a send is skipped (latency fault avoidance, simplified). */
const brokerAvoidanceMs = 30_000;
/** The first pause before retrying a send whose broker went away (doubling, at most 1 s). */
const failoverPauseMs = 100;
const COMPRESSED_ZLIB = 0x1 | 0x300;
const PREPARED_FLAG = 0x4;

/** The queue of a sharding key: Java's hashCode modulo the queue count, made non-negative. */
export function queueForKey(queues: MessageQueue[], key: string): MessageQueue | undefined {
  if (queues.length === 0) return undefined;
  const index = javaStringHashCode(key) % queues.length;
  return queues[index < 0 ? -index : index];
}

export class Producer {
  readonly remoting: RemotingClient;
  private readonly routes: RouteCache;
  private readonly ids: UniqueIdGenerator;
  private readonly avoidUntil = new Map<string, number>();
  private readonly publishQueuesByRoute = new WeakMap<RouteEntry, MessageQueue[]>();
  private nextQueue: number;

  constructor(private readonly options: ProducerOptions) {
    this.remoting = new RemotingClient({
      clock: options.clock,
      log: options.log,
      processors: options.processors,
    });
    this.routes = new RouteCache(this.remoting, options.namesrvAddrs, options.clock);
    const prng = new Prng(options.seed ?? instanceSeed(options.clock));
    this.ids = new UniqueIdGenerator(options.clock, prng);
    this.nextQueue = prng.below(1024);
  }

  close(): void {
    this.remoting.close();
  }

  /** The master address of a queue's broker, from the route cache. */
  async masterAddr(queue: MessageQueue): Promise<string | undefined> {
    const found = await this.routes.get(queue.topic, false).catch(() => undefined);
    return found && RouteCache.masterAddr(found.route, queue.brokerName);
  }

  /** Sends one message and waits for the broker's answer. Throws RemoteError on refusal. */
  send(message: OutgoingMessage): Promise<SendResult> {
    return this.sendWithRetry([message], false) as Promise<SendResult>;
  }

  /** Sends without waiting for an answer (fire and forget). */
  async sendOneway(message: OutgoingMessage): Promise<void> {
    await this.sendWithRetry([message], true);
  }

  /** Sends messages of one topic as one batch (SEND_BATCH_MESSAGE): consecutive queue offsets. */
  sendBatch(messages: OutgoingMessage[]): Promise<SendResult> {
    return this.sendWithRetry(messages, false) as Promise<SendResult>;
  }

  private async sendWithRetry(
    messages: OutgoingMessage[],
    oneway: boolean,
  ): Promise<SendResult | undefined> {
    const first = messages[0]!;
    const attempts = 1 + (this.options.retryTimesWhenSendFailed ?? 2);
    let lastError: unknown;
    let lastBroker: string | undefined;
    let noMaster = false;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0 && (noMaster || !(lastError instanceof RemoteError))) {
        // A broker that vanished (a failover): its group's new master needs a moment to be
        // elected and registered; give it that before the next route lookup.
        await new Promise<void>((resolve) =>
          this.options.clock.after(Math.min(failoverPauseMs * 2 ** (attempt - 1), 1_000), resolve),
        );
      }
      noMaster = false;
      // A first attempt on a cached route goes out with no await before it.
      const found =
        (attempt === 0 ? this.routes.cached(first.topic, true) : undefined) ??
        (await this.routes.get(first.topic, true, attempt > 0));
      if (!found)
        throw new RemoteError(ResponseCode.TOPIC_NOT_EXIST, `no route for topic ${first.topic}`);
      const queues = this.publishQueuesOf(first.topic, found);
      const queue =
        first.queue ??
        (first.shardingKey !== undefined
          ? queueForKey(queues, first.shardingKey)
          : this.pickQueue(queues, lastBroker));
      const addr = queue && RouteCache.masterAddr(found.route, queue.brokerName);
      if (!queue || !addr) {
        // No master in the route right now (between a master's death and its successor's
        // registration): try again with a fresh route, after the pause above.
        lastError = new RemoteError(
          ResponseCode.TOPIC_NOT_EXIST,
          queue
            ? `no master for ${queue.brokerName}`
            : `no writable queue for topic ${first.topic}`,
        );
        noMaster = true;
        continue;
      }
      try {
        const { request, msgId } = this.sendRequest(queue, messages, oneway);
        const timeoutMs = this.options.sendTimeoutMs ?? 3_000;
        if (oneway) {
          await this.remoting.invokeOneway(addr, request, timeoutMs);
          return undefined;
        }
        // Awaited here rather than in a helper: each async step costs a send five objects.
        return sendResult(await this.remoting.invoke(addr, request, timeoutMs), queue, msgId);
      } catch (error) {
        lastError = error;
        lastBroker = queue.brokerName;
        this.avoidUntil.set(queue.brokerName, this.options.clock.nowMs() + brokerAvoidanceMs);
        // A refusal about the message itself will not change on another broker; an ordered
        // send must not move to another queue.
        if (error instanceof RemoteError && !retriable(error.code)) throw error;
        if (first.shardingKey !== undefined && error instanceof RemoteError) throw error;
        this.options.log.debug(`send to ${addr} failed (${(error as Error).message}); retrying`);
      }
    }
    throw lastError;
  }

  /** The writable queues of a route entry, worked out once per entry (it is per topic). */
  private publishQueuesOf(topic: string, found: RouteEntry): MessageQueue[] {
    let queues = this.publishQueuesByRoute.get(found);
    if (queues === undefined) {
      queues = RouteCache.publishQueues(topic, found.route, found.fromDefault);
      this.publishQueuesByRoute.set(found, queues);
    }
    return queues;
  }

  private pickQueue(
    queues: MessageQueue[],
    notBroker: string | undefined,
  ): MessageQueue | undefined {
    if (queues.length === 0) return undefined;
    const now = this.options.clock.nowMs();
    for (let i = 0; i < queues.length; i++) {
      const queue = queues[this.nextQueue++ % queues.length]!;
      if (queue.brokerName === notBroker) continue;
      if ((this.avoidUntil.get(queue.brokerName) ?? 0) > now) continue;
      return queue;
    }
    return queues[this.nextQueue++ % queues.length];
  }

  /** The request that sends `messages` to `queue`, and the msgId its result reports. */
  private sendRequest(
    queue: MessageQueue,
    messages: OutgoingMessage[],
    oneway: boolean,
  ): { request: RemotingCommand; msgId: string } {
    let header: SmallMap;
    let body: Uint8Array;
    let msgId: string;
    const batch = messages.length > 1;
    if (batch) {
      const prepared = messages.map((m) => this.prepare(m, false));
      header = this.sendHeader(queue, 0, 0, `WAIT\u0001true`, true);
      body = encodeBatchBody(
        prepared.map((p, i) => ({
          flag: messages[i]!.flag ?? 0,
          body: p.body,
          properties: p.properties,
        })),
      );
      msgId = prepared.map((p) => p.uniqKey).join(",");
    } else {
      // No arrays for a single message: the common send.
      const message = messages[0]!;
      const prepared = this.prepare(message, true);
      header = this.sendHeader(
        queue,
        prepared.sysFlag,
        message.flag ?? 0,
        prepared.properties,
        false,
      );
      body = prepared.body;
      msgId = prepared.uniqKey;
    }
    const code = batch
      ? RequestCode.SEND_BATCH_MESSAGE
      : isReplyMessage(messages[0]!)
        ? RequestCode.SEND_REPLY_MESSAGE_V2
        : RequestCode.SEND_MESSAGE_V2;
    const request = createRequest(code, {
      extFields: header,
      body,
      serializeType: SerializeType.ROCKETMQ,
      oneway,
    });
    return { request, msgId };
  }

  private sendHeader(
    queue: MessageQueue,
    sysFlag: number,
    flag: number,
    properties: string,
    batch: boolean,
  ): SmallMap {
    return encodeSendMessageRequestV2({
      producerGroup: this.options.group,
      topic: queue.topic,
      defaultTopic: "TBW102",
      defaultTopicQueueNums: 4,
      queueId: queue.queueId,
      sysFlag,
      bornTimestamp: this.options.clock.nowMs(),
      flag,
      properties,
      reconsumeTimes: 0,
      unitMode: false,
      maxReconsumeTimes: undefined,
      batch,
      brokerName: queue.brokerName,
    });
  }

  private prepare(message: OutgoingMessage, allowCompression: boolean) {
    // As the Java client's Validators: the limit applies to the body before compression.
    const limit = this.options.maxMessageSizeBytes ?? 4 * 1024 * 1024;
    if (message.body.length > limit) {
      throw new RemoteError(
        ResponseCode.MESSAGE_ILLEGAL,
        `message body of ${message.body.length} bytes exceeds the ${limit}-byte limit`,
      );
    }
    const uniqKey = this.ids.next();
    let body = message.body;
    let sysFlag = message.transactional ? PREPARED_FLAG : 0;
    const threshold = this.options.compressBodyOverBytes ?? 4096;
    if (allowCompression && body.length >= threshold) {
      body = deflateSync(body, { level: 5 });
      sysFlag |= COMPRESSED_ZLIB;
    }
    return {
      uniqKey,
      body,
      sysFlag,
      properties: sendProperties(message, uniqKey, this.options.group),
    };
  }
}

/** What a send's answer says, or the RemoteError of a refusal. */
function sendResult(answer: RemotingCommand, queue: MessageQueue, msgId: string): SendResult {
  const status = statusByCode[answer.code];
  if (!status)
    throw new RemoteError(answer.code, answer.remark ?? responseCodeName(answer.code) ?? null);
  const fields = answer.extFields;
  return {
    status,
    msgId,
    offsetMsgId: fields?.get("msgId") ?? "",
    queue: {
      topic: queue.topic,
      brokerName: queue.brokerName,
      queueId: Number(fields?.get("queueId") ?? queue.queueId),
    },
    queueOffset: Number(fields?.get("queueOffset") ?? -1),
  };
}

function retriable(code: number): boolean {
  return [
    ResponseCode.SYSTEM_ERROR,
    ResponseCode.SYSTEM_BUSY,
    ResponseCode.SERVICE_NOT_AVAILABLE,
    ResponseCode.TOPIC_NOT_EXIST,
    ResponseCode.NO_PERMISSION,
  ].includes(code as never);
}
