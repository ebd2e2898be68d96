// `rmq produce`: sends messages from the command line, a file, generated bodies, or stdin (one
// message per line), and prints one result line per message. Exit 1 if any send failed. With
// --request each message is a request (RocketMQ's request-reply) and what is printed is its
// reply, which a consumer sends back (rmq consume --reply); no reply in time is a failure.

import type { CAC } from "cac";
import { readFileSync } from "node:fs";
import { ConfigError, createLogger, SystemClock } from "../../core/common/index.ts";
import {
  Producer,
  Requester,
  resendDeadLetters,
  type OutgoingMessage,
  type Reply,
  type SendResult,
} from "../../core/client/index.ts";
import { namesrvAddrsFrom, parseDurationMs, positiveInt } from "../client_args.ts";
import { ExitCode } from "../exit_codes.ts";
import { bodyForJson, printError, printJson, printLine, printWarning } from "../output.ts";

interface ProduceFlags {
  topic?: string;
  namesrvAddr?: string;
  group?: string;
  tag?: string;
  keys?: string;
  prop?: string | string[];
  body?: string;
  file?: string;
  count?: string | number;
  size?: string | number;
  mode?: string;
  batch?: string | number;
  delayLevel?: string | number;
  orderKey?: string;
  orderKeyFromField?: string;
  resendDlq?: string;
  deliverAt?: string;
  delay?: string;
  msgId?: string;
  request?: boolean;
  requestTimeout?: string;
  json?: boolean;
}

export function registerProduce(cli: CAC): void {
  cli
    .command("produce", "Send messages (from --body, --file, --size, or stdin lines)")
    .option("-t, --topic <topic>", "Topic (auto-created on first send when allowed)")
    .option("-n, --namesrv-addr <addrs>", "Name servers (default NAMESRV_ADDR or 127.0.0.1:9876)")
    .option("-g, --group <group>", "Producer group (default rmq-cli-producer)")
    .option("--tag <tag>", "Message tag")
    .option("--keys <k1,k2>", "Message keys, comma-separated (indexed for lookups)")
    .option("--prop <k=v>", "User property; repeat for more")
    .option("--body <text>", "Message body")
    .option("--file <path>", "Send the file's content as one message")
    .option("--count <n>", "Send the body this many times (default 1)")
    .option("--size <bytes>", "Generate bodies of this size")
    .option("--mode <mode>", "sync (default), async (many in flight) or oneway")
    .option("--batch <n>", "Send in batches of n messages")
    .option("--delay-level <n>", "Deliver after delay level n (1s 5s 10s 30s 1m ... 2h)")
    .option("--deliver-at <time>", "Deliver at this ISO time (up to 3 days ahead, 1 s precision)")
    .option("--delay <duration>", "Deliver this long after sending (e.g. 90s, 2h)")
    .option("--order-key <key>", "Ordered: every message with this key goes to one queue")
    .option("--order-key-from-field <name>", "Ordered: the key is this field of each JSON line")
    .option("--resend-dlq <group>", "Send the group's dead letters back to their topics")
    .option("--msg-id <id>", "With --resend-dlq: only this dead letter")
    .option("--request", "Each message is a request: wait for its reply and print that")
    .option("--request-timeout <duration>", "With --request: how long to wait (default 3s)")
    .option("--json", "One JSON object per result")
    .example("rmq produce -t Orders --tag TagA --keys order-1 --body 'hello'")
    .example("seq 1 100 | rmq produce -t Numbers")
    .example("rmq produce -t Orders --delay-level 3 --body 'in 10 seconds'")
    .example("cat events.jsonl | rmq produce -t Events --order-key-from-field userId")
    .example("rmq produce --resend-dlq billing")
    .example("rmq produce -t Reminders --deliver-at 2026-12-01T09:00:00Z --body 'standup'")
    .example("echo 'how much?' | rmq produce -t Questions --request --request-timeout 5s")
    .action((flags: ProduceFlags) => runProduce(flags));
}

function properties(flag: string | string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of flag === undefined ? [] : Array.isArray(flag) ? flag : [flag]) {
    const eq = String(item).indexOf("=");
    if (eq <= 0) throw new ConfigError(`--prop expects key=value, got "${item}"`);
    out[String(item).slice(0, eq)] = String(item).slice(eq + 1);
  }
  return out;
}

async function* bodies(flags: ProduceFlags): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  const count = positiveInt(flags.count, "count", 1);
  if (flags.file !== undefined) {
    const content = new Uint8Array(readFileSync(flags.file));
    for (let i = 0; i < count; i++) yield content;
  } else if (flags.body !== undefined) {
    for (let i = 0; i < count; i++) yield encoder.encode(String(flags.body));
  } else if (flags.size !== undefined) {
    const size = positiveInt(flags.size, "size", 1);
    for (let i = 0; i < count; i++) {
      const text = `${i}:`.padEnd(size, "abcdefghijklmnopqrstuvwxyz".charAt(i % 26));
      yield encoder.encode(text.slice(0, size));
    }
  } else {
    if (process.stdin.isTTY)
      throw new ConfigError("give --body, --file or --size, or pipe lines on stdin");
    let buffered = "";
    const decoder = new TextDecoder();
    for await (const chunk of process.stdin) {
      buffered += decoder.decode(chunk as Uint8Array, { stream: true });
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) yield encoder.encode(line);
    }
    if (buffered !== "") yield encoder.encode(buffered);
  }
}

/** --deliver-at / --delay as the producer's timer fields. */
function timerOf(flags: ProduceFlags): { deliverAtMs?: number; deliverAfterMs?: number } | null {
  if (flags.deliverAt !== undefined && flags.delay !== undefined)
    throw new ConfigError("give --deliver-at or --delay, not both");
  if (flags.deliverAt !== undefined) {
    const ms = Date.parse(String(flags.deliverAt));
    if (Number.isNaN(ms))
      throw new ConfigError(`--deliver-at: cannot read "${flags.deliverAt}" as a time`);
    return { deliverAtMs: ms };
  }
  if (flags.delay !== undefined)
    return { deliverAfterMs: parseDurationMs(String(flags.delay), "delay") };
  return null;
}

/** A top-level string or number field of a JSON object line; undefined if there is none. */
function fieldOf(body: Uint8Array, name: string): string | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(body));
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    const field = (value as Record<string, unknown>)[name];
    return typeof field === "string" || typeof field === "number" ? String(field) : undefined;
  } catch {
    return undefined;
  }
}

function preview(body: Uint8Array): string {
  const text = new TextDecoder().decode(body.subarray(0, 80));
  return body.length > 80 ? `${text}...` : text;
}

function report(result: SendResult, json: boolean): void {
  if (json) {
    printJson({
      status: result.status,
      msgId: result.msgId,
      offsetMsgId: result.offsetMsgId,
      brokerName: result.queue.brokerName,
      queueId: result.queue.queueId,
      queueOffset: result.queueOffset,
    });
  } else {
    printLine(
      `${result.status} msgId=${result.msgId} offsetMsgId=${result.offsetMsgId} ` +
        `broker=${result.queue.brokerName} queue=${result.queue.queueId} ` +
        `offset=${result.queueOffset}`,
    );
  }
}

async function runProduce(flags: ProduceFlags): Promise<void> {
  if (flags.resendDlq !== undefined) return runResend(flags, String(flags.resendDlq));
  if (flags.msgId !== undefined) throw new ConfigError("--msg-id goes with --resend-dlq");
  if (!flags.topic) throw new ConfigError("missing -t/--topic");
  const mode = flags.mode ?? "sync";
  if (!["sync", "async", "oneway"].includes(mode))
    throw new ConfigError(`--mode must be sync, async or oneway`);
  const batchSize = positiveInt(flags.batch, "batch", 1);
  const delayLevel =
    flags.delayLevel === undefined ? undefined : positiveInt(flags.delayLevel, "delay-level", 1);
  if (delayLevel !== undefined && batchSize > 1)
    throw new ConfigError("--delay-level cannot be used with --batch (RocketMQ refuses it)");
  const timed = timerOf(flags);
  if (timed && (delayLevel !== undefined || batchSize > 1))
    throw new ConfigError("--deliver-at / --delay go without --delay-level and --batch");
  const fromStdin =
    flags.file === undefined && flags.body === undefined && flags.size === undefined;
  if (fromStdin && flags.count !== undefined) {
    // Each stdin line is one message; silently ignoring --count sent fewer than asked for.
    throw new ConfigError("--count repeats --body, --file or --size; stdin sends one per line");
  }
  const ordered = flags.orderKey !== undefined || flags.orderKeyFromField !== undefined;
  if (flags.requestTimeout !== undefined && !flags.request)
    throw new ConfigError("--request-timeout goes with --request");
  if (flags.request) {
    if (flags.mode !== undefined || batchSize > 1 || delayLevel !== undefined || timed || ordered)
      throw new ConfigError("--request goes without --mode, --batch, delays and order keys");
    return runRequests(flags);
  }
  if (ordered && batchSize > 1) throw new ConfigError("--order-key cannot be used with --batch");
  if (ordered && mode !== "sync") {
    // In flight together, two sends of one key could be stored in either order.
    throw new ConfigError("ordered sends need --mode sync");
  }
  const clock = new SystemClock();
  const producer = new Producer({
    group: flags.group ?? "rmq-cli-producer",
    namesrvAddrs: namesrvAddrsFrom(flags.namesrvAddr),
    clock,
    log: createLogger("produce", { level: "warn" }),
  });
  const template = { ...messageTemplate(flags), delayLevel, ...timed };
  let failures = 0;
  const inFlight = new Set<Promise<void>>();
  const fail = (error: unknown) => {
    failures++;
    printError(`send failed: ${(error as Error).message}`);
  };
  const dispatch = async (messages: OutgoingMessage[]) => {
    if (mode === "oneway") {
      for (const m of messages) await producer.sendOneway(m).catch(fail);
      return;
    }
    const send = messages.length > 1 ? producer.sendBatch(messages) : producer.send(messages[0]!);
    const done = send.then((r) => report(r, flags.json === true), fail);
    if (mode === "sync") return done;
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
    if (inFlight.size >= 1024) await Promise.race(inFlight);
  };
  let pending: OutgoingMessage[] = [];
  let bodyCount = 0;
  for await (const body of bodies(flags)) {
    bodyCount++;
    let shardingKey: string | undefined =
      flags.orderKey === undefined ? undefined : String(flags.orderKey);
    if (flags.orderKeyFromField !== undefined) {
      shardingKey = fieldOf(body, String(flags.orderKeyFromField));
      if (shardingKey === undefined) {
        fail(new Error(`no field "${flags.orderKeyFromField}" in line: ${preview(body)}`));
        continue;
      }
    }
    pending.push({ ...template, body, shardingKey });
    if (pending.length >= batchSize) {
      await dispatch(pending);
      pending = [];
    }
  }
  if (pending.length > 0) await dispatch(pending);
  await Promise.all(inFlight);
  producer.close();
  // An empty input is not an error (a script may pipe an empty file), but it is worth a word.
  if (bodyCount === 0) printWarning("stdin had no lines: nothing sent");
  if (failures > 0) process.exit(ExitCode.FAILURE);
}

/** What every message of a run has: topic, tag, keys and user properties. */
function messageTemplate(flags: ProduceFlags) {
  return {
    topic: String(flags.topic),
    tags: flags.tag === undefined ? undefined : String(flags.tag),
    keys: flags.keys === undefined ? undefined : String(flags.keys).split(",").filter(Boolean),
    properties: properties(flags.prop),
  };
}

/** --request: one request per body, in turn; each reply printed as it comes. */
async function runRequests(flags: ProduceFlags): Promise<void> {
  const timeoutMs =
    flags.requestTimeout === undefined
      ? 3_000
      : parseDurationMs(String(flags.requestTimeout), "request-timeout");
  const requester = new Requester({
    group: flags.group ?? "rmq-cli-requester",
    namesrvAddrs: namesrvAddrsFrom(flags.namesrvAddr),
    clock: new SystemClock(),
    log: createLogger("produce", { level: "warn" }),
  });
  let failures = 0;
  let count = 0;
  try {
    await requester.start();
    for await (const body of bodies(flags)) {
      count++;
      const message = { ...messageTemplate(flags), body };
      try {
        const reply = await requester.request(message, timeoutMs);
        if (flags.json) printJson(replyJson(reply));
        else printLine(new TextDecoder().decode(reply.body));
      } catch (error) {
        failures++;
        printError(`request failed: ${(error as Error).message}`);
      }
    }
  } finally {
    requester.close();
  }
  if (count === 0) printWarning("stdin had no lines: nothing sent");
  if (failures > 0) process.exit(ExitCode.FAILURE);
}

function replyJson(reply: Reply): Record<string, unknown> {
  return {
    topic: reply.topic,
    properties: Object.fromEntries(reply.properties),
    bornTimestamp: reply.bornTimestamp,
    storeTimestamp: reply.storeTimestamp,
    ...bodyForJson(reply.body),
  };
}

/** --resend-dlq: dead letters back to their topics, one result line each. */
async function runResend(flags: ProduceFlags, group: string): Promise<void> {
  const clock = new SystemClock();
  const log = createLogger("produce", { level: "warn" });
  const namesrvAddrs = namesrvAddrsFrom(flags.namesrvAddr);
  const producer = new Producer({
    group: flags.group ?? "rmq-cli-producer",
    namesrvAddrs,
    clock,
    log,
  });
  let skipped = 0;
  try {
    const resent = await resendDeadLetters({
      group,
      namesrvAddrs,
      clock,
      log,
      producer,
      msgId: flags.msgId === undefined ? undefined : String(flags.msgId),
      onResent: ({ result }) => report(result, flags.json === true),
      onSkipped: (letter, reason) => {
        skipped++;
        printError(`not resent ${letter.msgId}: ${reason}`);
      },
    });
    if (resent === 0 && flags.msgId !== undefined && skipped === 0) {
      throw new ConfigError(`no dead letter ${flags.msgId} in %DLQ%${group}`);
    }
  } finally {
    producer.close();
  }
  if (skipped > 0) process.exit(ExitCode.FAILURE);
}
