// The requesting side of RocketMQ's request-reply (4.6+; DefaultMQProducer#request): sends a
// message marked as a request and waits for the one reply a consumer sends back
// (request_reply.ts's replyTo). The broker pushes that reply to this client's connection
// (PUSH_REPLY_MESSAGE_TO_CLIENT), found by the client id the request names, which is why the
// requester heartbeats its producer group to every master first. A reply is matched to its
// request by correlation id; one that comes after its request timed out is dropped.

import { randomUUID } from "node:crypto";
import { inflateSync } from "node:zlib";
import type { Clock, TimerHandle } from "../common/clock.ts";
import { TimeoutError } from "../common/errors.ts";
import type { Logger } from "../common/log.ts";
import { MessageConst, MessageSysFlag, parseMessageProperties } from "../common/message.ts";
import { Prng } from "../common/prng.ts";
import { createResponse, type RemotingCommand } from "../protocol/command.ts";
import { RequestCode } from "../protocol/request_code.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import { ProcessorTable } from "../remoting/processor_table.ts";
import { buildClientId, instanceSeed } from "./message_id.ts";
import { Producer, type OutgoingMessage } from "./producer.ts";
import { ProducerHeartbeat } from "./producer_heartbeat.ts";
import { TTL } from "./request_reply.ts";

export interface RequesterOptions {
  group: string;
  namesrvAddrs: string[];
  clock: Clock;
  log: Logger;
  seed?: number;
}

/** A reply as the broker pushed it. */
export interface Reply {
  topic: string;
  body: Uint8Array;
  properties: Map<string, string>;
  bornTimestamp: number;
  storeTimestamp: number;
  bornHost: string;
}

interface Waiting {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  timer: TimerHandle;
}

export class Requester {
  readonly clientId: string;
  private readonly producer: Producer;
  private readonly heartbeat: ProducerHeartbeat;
  private readonly waiting = new Map<string, Waiting>();

  constructor(private readonly options: RequesterOptions) {
    const processors = new ProcessorTable().register(
      RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT,
      (request) => this.onReply(request),
    );
    this.producer = new Producer({ ...options, processors });
    this.clientId = buildClientId(new Prng(options.seed ?? instanceSeed(options.clock)));
    this.heartbeat = new ProducerHeartbeat(this.producer.remoting, this.clientId, options);
  }

  /** Registers with every master, so that replies can be pushed here; again every 30 s. */
  start(): Promise<void> {
    return this.heartbeat.start();
  }

  close(): void {
    this.heartbeat.stop();
    for (const [id, waiting] of this.waiting) {
      waiting.timer.cancel();
      waiting.reject(new Error(`requester closed before the reply to ${id}`));
    }
    this.waiting.clear();
    this.producer.close();
  }

  /**
   * Sends `message` as a request; resolves with its reply, rejects after `timeoutMs` (counted
   * from now, the send included) or when the send fails.
   */
  request(message: OutgoingMessage, timeoutMs: number): Promise<Reply> {
    // A UUID, as the Java client: ids must not repeat across restarts of one client id.
    const correlationId = randomUUID();
    const replied = new Promise<Reply>((resolve, reject) => {
      const timer = this.options.clock.after(timeoutMs, () => {
        this.waiting.delete(correlationId);
        reject(new TimeoutError(`no reply to request ${correlationId} within ${timeoutMs} ms`));
      });
      // Waiting before the send: the reply may come before the send's own answer.
      this.waiting.set(correlationId, { resolve, reject, timer });
    });
    // Handled here too: a timeout during a slow send must not be an unhandled rejection.
    replied.catch(() => undefined);
    const properties = {
      ...message.properties,
      [MessageConst.PROPERTY_CORRELATION_ID]: correlationId,
      [MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT]: this.clientId,
      [TTL]: String(timeoutMs),
    };
    const sent = this.producer.send({ ...message, properties }).then(
      () => replied,
      (error: unknown) => {
        this.waiting.get(correlationId)?.timer.cancel();
        this.waiting.delete(correlationId);
        throw error;
      },
    );
    // Whichever settles first: the reply (even before the send's answer), its timeout, or a
    // failed send.
    return Promise.race([replied, sent]);
  }

  private onReply(request: RemotingCommand): RemotingCommand {
    const fields = request.extFields;
    const properties = parseMessageProperties(fields?.get("properties") ?? "");
    const correlationId = properties.get(MessageConst.PROPERTY_CORRELATION_ID) ?? "";
    const waiting = this.waiting.get(correlationId);
    if (!waiting) {
      this.options.log.debug(`a reply to ${correlationId}, which nothing here waits for`);
      return createResponse(request, ResponseCode.SUCCESS);
    }
    this.waiting.delete(correlationId);
    waiting.timer.cancel();
    let body = request.body ?? new Uint8Array(0);
    const sysFlag = Number(fields?.get("sysFlag") ?? 0);
    try {
      if ((sysFlag & MessageSysFlag.COMPRESSED_FLAG) !== 0)
        body = new Uint8Array(inflateSync(body));
    } catch (error) {
      // As the Java client: a body that does not inflate is passed on as it came.
      this.options.log.warn(`the reply to ${correlationId} does not inflate: ${error}`);
    }
    waiting.resolve({
      topic: fields?.get("topic") ?? "",
      body,
      properties,
      bornTimestamp: Number(fields?.get("bornTimestamp") ?? 0),
      storeTimestamp: Number(fields?.get("storeTimestamp") ?? 0),
      bornHost: fields?.get("bornHost") ?? "",
    });
    return createResponse(request, ResponseCode.SUCCESS);
  }
}
