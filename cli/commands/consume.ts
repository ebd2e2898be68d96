// `rmq consume`: joins a consumer group (clustering), prints each message (or runs --exec for
// it, or answers it with --reply's output when it is a request), commits offsets as
// it goes and when it stops. Stops after --count messages, after --timeout without a new one,
// or on Ctrl-C. Exit codes: 0 got messages, 2 (USAGE reused as "nothing arrived") no message
// before the timeout, 1 error.

import type { CAC } from "cac";
import { ConfigError, createLogger, SystemClock } from "../../core/common/index.ts";
import { homedir } from "node:os";
import { join } from "node:path";
import {
  Admin,
  DedupStore,
  idempotentHandler,
  keyOfKeys,
  keyOfMsgId,
  keyOfProperty,
  Producer,
  PushConsumer,
  replyTo,
  type ConsumeFrom,
  type KeyOf,
  type MessageHandler,
  type ReceivedMessage,
} from "../../core/client/index.ts";
import { namesrvAddrsFrom, parseDurationMs, positiveInt } from "../client_args.ts";
import { ExitCode } from "../exit_codes.ts";
import { execEnvironment, runCommand, runCommandForOutput } from "../exec_command.ts";
import { bodyForJson, printJson, printLine, printWarning } from "../output.ts";

interface ConsumeFlags {
  topic?: string;
  group?: string;
  namesrvAddr?: string;
  tag?: string;
  sql?: string;
  from?: string;
  count?: string | number;
  timeout?: string;
  json?: boolean;
  format?: string;
  broadcast?: boolean;
  offsetFile?: string;
  untilEnd?: boolean;
  exec?: string;
  reply?: string;
  maxRetries?: string | number;
  orderly?: boolean;
  consumeTimeout?: string;
  dedup?: boolean;
  dedupKey?: string;
  dedupFile?: string;
  dedupTtl?: string;
}

export function registerConsume(cli: CAC): void {
  cli
    .command("consume", "Consume messages as a member of a consumer group")
    .option("-t, --topic <topic>", "Topic")
    .option("-g, --group <group>", "Consumer group (default rmq-cli-consumer)")
    .option("-n, --namesrv-addr <addrs>", "Name servers (default NAMESRV_ADDR or 127.0.0.1:9876)")
    .option("--tag <expression>", "Tag filter: '*' (default) or 'TagA || TagB'")
    .option("--sql <expression>", "SQL92 filter on properties, e.g. \"region = 'eu' AND prio > 2\"")
    .option("--from <where>", "Where a new group starts: first, last (default) or @ISO-time")
    .option("--count <n>", "Stop after n messages")
    .option("--timeout <duration>", "Stop when nothing arrives for this long (e.g. 5s)")
    .option("--broadcast", "Broadcast mode: read every queue; offsets in a local file")
    .option("--orderly", "Orderly: lock each queue, one message at a time, retry failures here")
    .option("--offset-file <path>", "Broadcast offsets file (default ~/.rmq_offsets/<group>.json)")
    .option("--until-end", "Stop once caught up with what the queues held at start")
    .option("--exec <command>", "Run a shell command per message; a non-zero exit retries it")
    .option("--reply <command>", "Answer each request (rmq produce --request) with its stdout")
    .option("--consume-timeout <duration>", "A message not done in this long is retried (15m)")
    .option("--max-retries <n>", "Retries before a message goes to %DLQ%<group> (default 16)")
    .option("--dedup", "Handle each message once even when delivered again (local record)")
    .option(
      "--dedup-key <key>",
      "What counts as the same message: msgid (default), keys, prop:NAME",
    )
    .option("--dedup-file <path>", "The record (default ~/.rmq_dedup/<group>.log)")
    .option("--dedup-ttl <duration>", "How long a handled message is remembered (default 24h)")
    .option("--json", "One JSON envelope per message")
    .option(
      "--format <template>",
      "Print with a template, e.g. '{queueOffset} {body} {properties.region}'",
    )
    .example("rmq consume -t Orders -g billing --from first --count 10")
    .example("rmq consume -t Orders -g billing --exec 'jq .amount >> amounts.txt'")
    .example("rmq consume -t Questions -g answerers --reply 'tr a-z A-Z'")
    .action((flags: ConsumeFlags) => runConsume(flags));
}

function consumeFrom(flag: string | undefined): ConsumeFrom {
  if (flag === undefined || flag === "last") return { kind: "last" };
  if (flag === "first") return { kind: "first" };
  if (flag.startsWith("@")) {
    const ms = Date.parse(flag.slice(1));
    if (Number.isNaN(ms))
      throw new ConfigError(`--from @TIME: cannot read "${flag.slice(1)}" as a time`);
    return { kind: "timestamp", ms };
  }
  throw new ConfigError(`--from must be first, last or @ISO-time, got "${flag}"`);
}

/** The documented JSON envelope of a consumed message. */
export function envelope(m: ReceivedMessage): Record<string, unknown> {
  const { bodyEncoding, body } = bodyForJson(m.body);
  return {
    msgId: m.msgId,
    offsetMsgId: m.offsetMsgId,
    topic: m.topic,
    queueId: m.queueId,
    queueOffset: m.queueOffset,
    commitLogOffset: m.commitLogOffset,
    tags: m.tags ?? null,
    keys: m.keys,
    properties: Object.fromEntries(m.properties),
    bornTimestamp: m.bornTimestamp,
    storeTimestamp: m.storeTimestamp,
    reconsumeTimes: m.reconsumeTimes,
    bodyEncoding,
    body,
  };
}

/**
 * A --format template's fields: `{name}` is the envelope's member (an object as JSON, a list
 * joined by commas), `{properties.NAME}` one property ("" when absent); unknown ones stay as
 * written.
 */
function field(e: Record<string, unknown>) {
  return (whole: string, name: string, member: string | undefined): string => {
    if (!(name in e)) return whole;
    const value = e[name];
    if (member !== undefined) {
      if (name !== "properties") return whole;
      return (value as Record<string, string>)[member] ?? "";
    }
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? JSON.stringify(value)
      : String(value);
  };
}

function render(m: ReceivedMessage, flags: ConsumeFlags): void {
  const e = envelope(m);
  if (flags.json) return printJson(e);
  if (flags.format !== undefined) {
    printLine(String(flags.format).replace(/\{(\w+)(?:\.([^{}\s]+))?\}/g, field(e)));
    return;
  }
  const tags = m.tags ? ` tags=${m.tags}` : "";
  const keys = m.keys.length ? ` keys=${m.keys.join(",")}` : "";
  printLine(`${m.topic}/${m.queueId}#${m.queueOffset}${tags}${keys} ${e.body}`);
}

/** The --dedup record and what counts as the same message. */
function openDedup(flags: ConsumeFlags, group: string, clock: SystemClock) {
  const spec = flags.dedupKey === undefined ? "msgid" : String(flags.dedupKey);
  let keyOf: KeyOf;
  if (spec === "msgid") keyOf = keyOfMsgId;
  else if (spec === "keys") keyOf = keyOfKeys;
  else if (spec.startsWith("prop:") && spec.length > 5) keyOf = keyOfProperty(spec.slice(5));
  else throw new ConfigError(`--dedup-key must be msgid, keys or prop:NAME, got "${spec}"`);
  const path = flags.dedupFile ?? join(homedir(), ".rmq_dedup", `${group}.log`);
  const ttlMs =
    flags.dedupTtl === undefined ? undefined : parseDurationMs(String(flags.dedupTtl), "dedup-ttl");
  return { store: DedupStore.open(String(path), { clock, ttlMs }), keyOf };
}

/** A positive millisecond count from the environment, or undefined when unset. */
function envMs(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === "") return undefined;
  const ms = Number(text);
  if (!Number.isSafeInteger(ms) || ms < 1)
    throw new ConfigError(`${name} must be a positive ms count`);
  return ms;
}

function nonNegativeInt(value: string | number, flag: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ConfigError(`--${flag} expects a whole number, 0 or more`);
  return n;
}

/** --exec: a non-zero exit (or running past --consume-timeout) fails the message. */
async function runExec(
  command: string,
  m: ReceivedMessage,
  timeoutMs: number | undefined,
  clock: SystemClock,
): Promise<void> {
  const code = await runCommand(command, m.body, execEnvironment(m), timeoutMs, clock);
  if (code === "timeout") throw new Error(`--exec ran past --consume-timeout for ${m.msgId}`);
  if (code !== 0) throw new Error(`--exec exited with ${code} for ${m.msgId}`);
}

/**
 * --reply: the command's stdout is the reply to a request message (request_reply.ts), sent back
 * to the requester; a non-zero exit fails the message as --exec does. A message that is not a
 * request has nobody to answer: the command still runs, and a warning says no reply went.
 */
async function runReply(
  command: string,
  m: ReceivedMessage,
  timeoutMs: number | undefined,
  clock: SystemClock,
  replier: Producer,
): Promise<void> {
  const run = await runCommandForOutput(command, m.body, execEnvironment(m), timeoutMs, clock);
  if (run.code === "timeout") throw new Error(`--reply ran past --consume-timeout for ${m.msgId}`);
  if (run.code !== 0) throw new Error(`--reply exited with ${run.code} for ${m.msgId}`);
  let reply;
  try {
    reply = replyTo(m, run.stdout);
  } catch (error) {
    printWarning(`${(error as Error).message}; no reply sent`);
    return;
  }
  await replier.send(reply);
}

/** Queue offsets of a topic, waiting a little for a topic created a moment ago to be routed. */
async function topicOffsetsSoon(admin: Admin, topic: string, clock: SystemClock) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await admin.topicOffsets(topic);
    } catch (error) {
      if (attempt >= 10) throw error;
      await new Promise<void>((resolve) => clock.after(300, resolve));
    }
  }
}

async function runConsume(flags: ConsumeFlags): Promise<void> {
  if (!flags.topic) throw new ConfigError("missing -t/--topic");
  if (flags.sql !== undefined && flags.tag !== undefined)
    throw new ConfigError("give --tag or --sql, not both");
  if (flags.exec !== undefined && flags.reply !== undefined)
    throw new ConfigError("give --exec or --reply, not both");
  const limit = flags.count === undefined ? Infinity : positiveInt(flags.count, "count", 1);
  const idleMs =
    flags.timeout === undefined ? undefined : parseDurationMs(String(flags.timeout), "timeout");
  const clock = new SystemClock();
  const group = flags.group ?? "rmq-cli-consumer";
  const namesrvAddrs = namesrvAddrsFrom(flags.namesrvAddr);
  let received = 0;
  let lastActivityMs = clock.nowMs();
  const dedup = flags.dedup ? openDedup(flags, group, clock) : null;
  const consumeTimeoutMs =
    flags.consumeTimeout === undefined
      ? undefined
      : parseDurationMs(String(flags.consumeTimeout), "consume-timeout");
  const dedupWrap = (handler: MessageHandler): MessageHandler =>
    dedup ? idempotentHandler(dedup.store, handler, dedup.keyOf) : handler;
  const done = Promise.withResolvers<number>();
  const replier =
    flags.reply === undefined
      ? null
      : new Producer({
          group: "rmq-cli-replier",
          namesrvAddrs,
          clock,
          log: createLogger("consume", { level: "warn" }),
        });
  const consumer = new PushConsumer({
    group,
    topic: String(flags.topic),
    messageModel: flags.broadcast ? "BROADCASTING" : "CLUSTERING",
    orderly: flags.orderly === true,
    // Tuning knobs with the meaning of the Java client's system properties
    // rocketmq.client.rebalance.lockInterval / lockMaxLiveTime (tests shorten them).
    lockIntervalMs: envMs("RMQ_LOCK_INTERVAL_MS"),
    lockFreshMs: envMs("RMQ_LOCK_FRESH_MS"),
    consumeTimeoutMs: consumeTimeoutMs,
    localOffsetPath: flags.broadcast
      ? (flags.offsetFile ?? join(homedir(), ".rmq_offsets", `${group}.json`))
      : undefined,
    subscription:
      flags.sql !== undefined
        ? String(flags.sql)
        : flags.tag === undefined
          ? "*"
          : String(flags.tag),
    expressionType: flags.sql !== undefined ? "SQL92" : "TAG",
    namesrvAddrs,
    clock,
    // Warnings only, unless RMQ_LOG_LEVEL asks for more (debugging a consumer from a script).
    log: createLogger("consume", { level: process.env.RMQ_LOG_LEVEL ? undefined : "warn" }),
    consumeFrom: consumeFrom(flags.from),
    // Short long-polls so --timeout is honoured promptly.
    suspendTimeoutMs: idleMs !== undefined ? Math.min(15_000, Math.max(500, idleMs)) : 15_000,
    maxReconsumeTimes:
      flags.maxRetries === undefined ? undefined : nonNegativeInt(flags.maxRetries, "max-retries"),
    handler: dedupWrap(async (m) => {
      if (flags.exec !== undefined) await runExec(String(flags.exec), m, consumeTimeoutMs, clock);
      if (replier) await runReply(String(flags.reply), m, consumeTimeoutMs, clock, replier);
      const handled = flags.exec !== undefined || replier !== null;
      if (!handled || flags.json || flags.format !== undefined) render(m, flags);
      received++;
      lastActivityMs = clock.nowMs();
      if (received >= limit) {
        consumer.pause(); // nothing past this message is taken or committed
        done.resolve(ExitCode.OK);
      }
    }),
  });
  process.on("SIGINT", () => done.resolve(received > 0 ? ExitCode.OK : ExitCode.USAGE));
  process.on("SIGTERM", () => done.resolve(received > 0 ? ExitCode.OK : ExitCode.USAGE));
  if (idleMs !== undefined) {
    clock.every(Math.min(idleMs, 200), () => {
      if (clock.nowMs() - lastActivityMs >= idleMs)
        done.resolve(received > 0 ? ExitCode.OK : ExitCode.USAGE);
    });
  }
  let ends: Map<string, number> | null = null;
  if (flags.untilEnd) {
    const admin = Admin.connect(namesrvAddrs, clock, createLogger("consume", { level: "warn" }));
    try {
      const queues = await topicOffsetsSoon(admin, String(flags.topic), clock);
      ends = new Map(
        queues.map((q) => [`${q.brokerName}/${flags.topic}/${q.queueId}`, q.maxOffset]),
      );
    } finally {
      admin.close();
    }
  }
  try {
    await consumer.start();
  } catch (error) {
    throw new ConfigError(`cannot start consuming: ${(error as Error).message}`);
  }
  if (ends) {
    const targets = ends;
    // Caught up: every queue this member owns is at or past where it ended when we started.
    clock.every(100, () => {
      const positions = consumer.positions();
      if (positions.size === 0) return;
      for (const [key, offset] of positions) if (offset < (targets.get(key) ?? 0)) return;
      done.resolve(received > 0 ? ExitCode.OK : ExitCode.USAGE);
    });
  }
  const code = await done.promise;
  await consumer.stop();
  replier?.close();
  dedup?.store.close();
  process.exit(code);
}
