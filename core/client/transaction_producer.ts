// The transactional producer (spec §7.2): sends a half message, runs the local transaction,
// and tells the broker COMMIT, ROLLBACK or UNKNOWN (END_TRANSACTION, oneway). It heartbeats its
// producer group to every master so the broker can ask it about transactions left UNKNOWN or
// unanswered (CHECK_TRANSACTION_STATE), which it answers with checkLocalTransaction on the
// connection the question came in on. Another process of the same group can answer too.

import type { Clock } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import { decodeOffsetMessageId, MessageSysFlag } from "../common/message.ts";
import { createRequest, type RemotingCommand } from "../protocol/command.ts";
import { optionalString, requiredInt } from "../protocol/header_fields.ts";
import { RequestCode } from "../protocol/request_code.ts";
import type { Channel } from "../remoting/channel.ts";
import { ProcessorTable } from "../remoting/processor_table.ts";
import { ProducerHeartbeat } from "./producer_heartbeat.ts";
import { buildClientId, instanceSeed } from "./message_id.ts";
import { Producer, type OutgoingMessage, type SendResult } from "./producer.ts";
import { decodeMessages, type ReceivedMessage } from "./received_message.ts";
import { Prng } from "../common/prng.ts";

export type TransactionState = "COMMIT" | "ROLLBACK" | "UNKNOWN";

const stateFlag: Record<TransactionState, number> = {
  COMMIT: MessageSysFlag.TRANSACTION_COMMIT_TYPE,
  ROLLBACK: MessageSysFlag.TRANSACTION_ROLLBACK_TYPE,
  UNKNOWN: MessageSysFlag.TRANSACTION_NOT_TYPE,
};

export interface TransactionProducerOptions {
  group: string;
  namesrvAddrs: string[];
  clock: Clock;
  log: Logger;
  /** Answers the broker's question about a transaction; a throw counts as UNKNOWN. */
  checkLocalTransaction?: (message: ReceivedMessage) => Promise<TransactionState>;
  /** Called once a check-back's answer has been handed to the connection. */
  onCheckAnswered?: (message: ReceivedMessage, state: TransactionState) => void;
}

export interface TransactionResult {
  send: SendResult;
  state: TransactionState;
}

export class TransactionProducer {
  private readonly producer: Producer;
  private readonly heartbeat: ProducerHeartbeat;

  constructor(private readonly options: TransactionProducerOptions) {
    const processors = new ProcessorTable().register(
      RequestCode.CHECK_TRANSACTION_STATE,
      (request, channel) => {
        void this.answerCheck(request, channel);
        return null;
      },
    );
    this.producer = new Producer({ ...options, processors });
    this.heartbeat = new ProducerHeartbeat(
      this.producer.remoting,
      buildClientId(new Prng(instanceSeed(options.clock))),
      options,
    );
  }

  /** Registers the group with every master now and every 30 s (so check-backs find it). */
  start(): Promise<void> {
    return this.heartbeat.start();
  }

  close(): void {
    this.heartbeat.stop();
    this.producer.close();
  }

  /**
   * Sends `message` as a half message, runs `executeLocal` (given the send result), and ends
   * the transaction with its answer; a throw from executeLocal counts as UNKNOWN.
   */
  async send(
    message: OutgoingMessage,
    executeLocal: (sent: SendResult) => Promise<TransactionState>,
  ): Promise<TransactionResult> {
    const sent = await this.producer.send({
      ...message,
      transactional: true,
      delayLevel: undefined,
    });
    let state: TransactionState;
    try {
      // As the Java client: the local transaction runs only after a clean SEND_OK; a half
      // stored with a flush or slave problem is rolled back.
      state = sent.status === "SEND_OK" ? await executeLocal(sent) : "ROLLBACK";
    } catch (error) {
      this.options.log.warn(`local transaction failed (${(error as Error).message}); UNKNOWN`);
      state = "UNKNOWN";
    }
    const addr = await this.producer.masterAddr(sent.queue);
    const decoded = decodeOffsetMessageId(sent.offsetMsgId);
    if (addr && decoded) {
      // Oneway, as the Java client: a lost answer is what the check-back is for.
      await this.producer.remoting.invokeOneway(
        addr,
        this.endRequest(
          sent.queue.topic,
          sent.queueOffset,
          decoded.physicalOffset,
          sent.msgId,
          state,
          false,
        ),
      );
    }
    return { send: sent, state };
  }

  private endRequest(
    topic: string,
    tranStateTableOffset: number,
    commitLogOffset: number,
    msgId: string,
    state: TransactionState,
    fromCheck: boolean,
  ): RemotingCommand {
    return createRequest(RequestCode.END_TRANSACTION, {
      extFields: {
        producerGroup: this.options.group,
        tranStateTableOffset: String(tranStateTableOffset),
        commitLogOffset: String(commitLogOffset),
        commitOrRollback: String(stateFlag[state]),
        fromTransactionCheck: String(fromCheck),
        msgId,
        transactionId: msgId,
        topic,
      },
    });
  }

  /** CHECK_TRANSACTION_STATE: ask the application, answer on the same connection. */
  private async answerCheck(request: RemotingCommand, channel: Channel): Promise<void> {
    const check = this.options.checkLocalTransaction;
    try {
      const [message] = decodeMessages(request.body ?? new Uint8Array(0));
      if (!message || !check) return;
      let state: TransactionState;
      try {
        state = await check(message);
      } catch (error) {
        this.options.log.warn(`transaction check failed (${(error as Error).message}); UNKNOWN`);
        state = "UNKNOWN";
      }
      const msgId = optionalString(request, "msgId") ?? message.msgId;
      channel.invokeOneway(
        this.endRequest(
          message.topic,
          requiredInt(request, "tranStateTableOffset"),
          requiredInt(request, "commitLogOffset"),
          msgId,
          state,
          true,
        ),
      );
      this.options.onCheckAnswered?.(message, state);
    } catch (error) {
      this.options.log.warn(`bad check request from ${channel.remoteAddress}: ${error}`);
    }
  }
}
