// What a push consumer is told: its group and subscription, where a new group starts, its
// handler, and the knobs of clustering, broadcast, orderly and retry behaviour; and the topics
// (subscriptions) those options make it read.

import { RETRY_GROUP_TOPIC_PREFIX } from "../common/message.ts";
import type { Clock } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import type { ReceivedMessage } from "./received_message.ts";

export type ConsumeFrom = { kind: "first" } | { kind: "last" } | { kind: "timestamp"; ms: number };

export interface ConsumerOptions {
  group: string;
  topic: string;
  /** Tag expression: "*" or "TagA || TagB"; with expressionType SQL92, a SQL92 expression. */
  subscription: string;
  /** TAG (default) or SQL92: the broker filters on message properties (enablePropertyFilter). */
  expressionType?: "TAG" | "SQL92";
  namesrvAddrs: string[];
  clock: Clock;
  log: Logger;
  consumeFrom: ConsumeFrom;
  /**
   * Called for each message of a queue, in queue order (RocketMQ's default batch of one). A
   * throw leaves the message unconsumed: it is offered again after a pause.
   */
  handler: (message: ReceivedMessage) => Promise<void> | void;
  pullBatchSize?: number;
  /** CLUSTERING (default): the group shares queues, offsets on the broker. BROADCASTING: every
   * member reads every queue, offsets in `localOffsetPath`. */
  messageModel?: "CLUSTERING" | "BROADCASTING";
  localOffsetPath?: string;
  suspendTimeoutMs?: number;
  seed?: number;
  /**
   * Failed deliveries a message gets before the broker moves it to %DLQ%<group> (clustering;
   * RocketMQ's default 16). Each retry comes back through %RETRY%<group> after a growing delay.
   */
  maxReconsumeTimes?: number;
  /**
   * Orderly (spec §8.2): a queue is consumed only while this member holds its lock on the
   * broker, one message at a time, and a failed message is retried here (after
   * orderlySuspendMs) rather than sent back, so nothing overtakes it. With maxReconsumeTimes
   * set, a message failing more often than that goes to %DLQ%<group> and the queue moves on.
   */
  orderly?: boolean;
  /** Orderly: how often held locks are refreshed (RocketMQ: 20 s). */
  lockIntervalMs?: number;
  /** Orderly: a lock refreshed longer ago than this is not trusted (RocketMQ: 30 s). */
  lockFreshMs?: number;
  /** Orderly: pause before a failed message is offered again (RocketMQ: 1 s). */
  orderlySuspendMs?: number;
  /** A handler still running after this long fails its message (clustering; default 15 min). */
  consumeTimeoutMs?: number;
}

/** One topic the consumer reads: the one it was asked for, and in clustering its retry topic. */
export interface Subscription {
  topic: string;
  /** Tag names to accept; empty: all. */
  tags: string[];
  /** A SQL92 expression the broker applies instead of tags. */
  sql?: string;
  /** The expression as pulls and heartbeats carry it (worked out once: a pull is per message). */
  subString: string;
  /** A retry topic has no route until the first send-back creates it: look again less eagerly. */
  isRetry: boolean;
}

/** A subscription by tags as pulls and heartbeats carry it: "A || B", "*" for all. */
function tagsExpression(tags: string[]): string {
  return tags.length > 0 ? tags.join(" || ") : "*";
}

export function expressionTypeOf(subscription: Subscription): "TAG" | "SQL92" {
  return subscription.sql === undefined ? "TAG" : "SQL92";
}

/** What a consumer with these options reads: its topic, and in clustering its retry topic. */
export function subscriptionsOf(options: ConsumerOptions): Subscription[] {
  const expr = options.subscription.trim();
  const tags =
    expr === "" || expr === "*"
      ? []
      : expr
          .split("||")
          .map((t) => t.trim())
          .filter(Boolean);
  const sql = options.subscription;
  const subscriptions: Subscription[] =
    options.expressionType === "SQL92"
      ? [{ topic: options.topic, tags: [], sql, subString: sql, isRetry: false }]
      : [{ topic: options.topic, tags, subString: tagsExpression(tags), isRetry: false }];
  // A clustering group's failed messages come back on its retry topic (spec §6.2).
  if (options.messageModel !== "BROADCASTING") {
    const retryTopic = `${RETRY_GROUP_TOPIC_PREFIX}${options.group}`;
    subscriptions.push({ topic: retryTopic, tags: [], subString: "*", isRetry: true });
  }
  return subscriptions;
}

/** ConsumeFromWhere as heartbeats and running info name it. */
export function consumeFromWhereOf(from: ConsumeFrom): string {
  if (from.kind === "first") return "CONSUME_FROM_FIRST_OFFSET";
  return from.kind === "last" ? "CONSUME_FROM_LAST_OFFSET" : "CONSUME_FROM_TIMESTAMP";
}
