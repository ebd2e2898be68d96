// The systems scripts/bench_e2e.ts measures, each a server process on 127.0.0.1 and a client in
// this process: the rmq broker (dist/rmq, or $RMQ_BINARY), the echo broker (this file run with
// --echo-child: a RemotingServer that answers sends with SUCCESS and the send response header,
// stores nothing, and gives a route pointing at itself), nats-server with JetStream file storage
// and redis-server with appendonly yes. Servers bind free ports under the bench's temp dir and are
// stopped by the bench (SIGTERM, then SIGKILL after 5 s). For each system: a Sender (one send,
// resolved when acknowledged) and an end-to-end rig (a sender plus one consumer).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { RedisClient } from "bun";
import type { NatsConnection } from "nats";
import { Producer, PushConsumer, RouteCache, UniqueIdGenerator } from "../core/client/index.ts";
import {
  createLogger,
  createOffsetMessageId,
  Prng,
  RemoteError,
  SystemClock,
} from "../core/common/index.ts";
import {
  createRequest,
  createResponse,
  decodeBatchBody,
  decodeSendMessageRequest,
  encodeSendMessageRequestV2,
  encodeTopicRouteData,
  isOneway,
  Perm,
  RequestCode,
  ResponseCode,
  SerializeType,
  type RemotingCommand,
} from "../core/protocol/index.ts";
import { ProcessorTable, RemotingClient, RemotingServer } from "../core/remoting/index.ts";
import { serverChildEnv } from "./bench_runtime.ts";
import type { GcLog } from "./bench_gc_log.ts";

export const rmqBinary = process.env.RMQ_BINARY ?? resolve(import.meta.dir, "..", "dist", "rmq");
const readyTimeoutMs = 15_000;
const stopGraceMs = 5_000;
const sendTimeoutMs = 10_000;
const producerGroup = "bench_e2e_producer";
const clock = new SystemClock();

/** Client-side warnings, counted (digits as N) rather than printed line by line. */
export const clientLogCounts = new Map<string, number>();
const clientLog = createLogger("bench", {
  level: "warn",
  sink: {
    write: (line) => {
      const text = line.replace(/^\S+ /, "").replace(/\d+/g, "N");
      clientLogCounts.set(text, (clientLogCounts.get(text) ?? 0) + 1);
    },
  },
});

// ---------------------------------------------------------------------------------------------
// Server processes

export interface ServerProcess {
  label: string;
  pid: number;
  /** Spawn to the ready line, as this process saw it. */
  startMs: number;
  match: RegExpExecArray;
  /** Lines the server logged at WARN or ERROR. */
  warnLineCount(): number;
  outputTail(): string;
  stop(): Promise<string>;
}

export interface Memory {
  rssBytes: number;
  anonBytes: number;
}

/** VmRSS and RssAnon of a process, from /proc/<pid>/status. */
export function memoryOf(pid: number): Memory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
    return { rssBytes: kib("VmRSS") * 1024, anonBytes: kib("RssAnon") * 1024 };
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used, from /proc/<pid>/stat (USER_HZ = 100). */
export function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** A port nothing listens on now (bound and released at once). */
function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

async function spawnServer(
  label: string,
  cmd: string[],
  ready: RegExp,
  stopSignal: NodeJS.Signals = "SIGTERM",
  gcLog?: GcLog,
): Promise<ServerProcess> {
  const startMs0 = performance.now();
  const proc = Bun.spawn(cmd, {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    // The user's environment, not the bench's runtime settings: each server applies its own.
    env: { ...serverChildEnv(), NO_COLOR: "1", ...(gcLog ? { BUN_JSC_logGC: "1" } : {}) },
  });
  let seen = "";
  let tail = "";
  let warnLines = 0;
  let match: RegExpExecArray | null = null;
  let startMs = 0;
  let onReady = () => {};
  const readyNow = new Promise<void>((r) => (onReady = r));
  const onText = (text: string) => {
    if (match === null && seen.length < 1 << 16) {
      seen += text;
      match = ready.exec(seen);
      if (match !== null) {
        startMs = performance.now() - startMs0;
        onReady();
      }
    }
    warnLines += text.match(/\b(WARN|ERROR|# WARNING)\b/g)?.length ?? 0;
    tail = (tail + text).slice(-4000);
  };
  const collect = async (stream: ReadableStream<Uint8Array>, log?: GcLog) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      log?.feed(text, performance.now());
      onText(text);
    }
  };
  void collect(proc.stdout);
  void collect(proc.stderr, gcLog);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const failed = new Promise<never>((_, reject) => {
    const late = () => reject(new Error(`no ready line in ${readyTimeoutMs} ms`));
    timer = setTimeout(late, readyTimeoutMs);
    void proc.exited.then((code) => reject(new Error(`exited with ${code} before ready`)));
  });
  try {
    await Promise.race([readyNow, failed]);
  } catch (error) {
    proc.kill("SIGKILL");
    await proc.exited;
    throw new Error(`${label}: ${(error as Error).message}; output: ${tail.slice(-600)}`);
  } finally {
    clearTimeout(timer);
  }
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(stopSignal);
    const grace = setTimeout(() => proc.kill("SIGKILL"), stopGraceMs);
    await proc.exited;
    clearTimeout(grace);
    return String(proc.signalCode ?? `exit ${proc.exitCode}`);
  };
  return {
    label,
    pid: proc.pid,
    startMs,
    match: match!,
    warnLineCount: () => warnLines,
    outputTail: () => tail,
    stop,
  };
}

export interface RmqServer extends ServerProcess {
  brokerAddr: string;
  namesrvAddr: string;
}

/**
 * `rmq broker` with its embedded name server, a store under `dir`; SYNC_FLUSH through -c. With
 * `gcLog`, the broker logs its collections (BUN_JSC_logGC=1) and they are read into it.
 */
export async function startRmq(
  dir: string,
  flushDiskType: "ASYNC_FLUSH" | "SYNC_FLUSH",
  gcLog?: GcLog,
): Promise<RmqServer> {
  if (!existsSync(rmqBinary)) throw new Error(`${rmqBinary} is missing: run "npm run build"`);
  mkdirSync(dir, { recursive: true });
  const args = ["broker", "--listen", "127.0.0.1:0", "--namesrv-listen", "127.0.0.1:0"];
  args.push("--store", join(dir, "store"));
  if (flushDiskType === "SYNC_FLUSH") {
    const conf = join(dir, "broker.conf");
    writeFileSync(conf, "flushDiskType=SYNC_FLUSH\n");
    args.push("-c", conf);
  }
  const ready = /rmq broker ready address=(\S+) namesrv=(\S+)/;
  const label = `rmq ${flushDiskType}`;
  const server = await spawnServer(label, [rmqBinary, ...args], ready, "SIGTERM", gcLog);
  return { ...server, brokerAddr: server.match[1]!, namesrvAddr: server.match[2]! };
}

export interface EchoServer extends ServerProcess {
  address: string;
}

export async function startEcho(): Promise<EchoServer> {
  const cmd = [process.execPath, import.meta.path, "--echo-child"];
  const server = await spawnServer("echo", cmd, /echo ready address=(\S+)/);
  return { ...server, address: server.match[1]! };
}

export interface UrlServer extends ServerProcess {
  url: string;
  version: string;
}

/** nats-server with JetStream on a file store under `dir`; undefined when not installed. */
export async function startNats(dir: string): Promise<UrlServer | undefined> {
  const binary = Bun.which("nats-server");
  if (!binary) return undefined;
  const port = freePort();
  const cmd = [binary, "-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dir];
  // SIGINT: nats-server exits 0 on it, 1 on SIGTERM, after the same clean shutdown.
  const server = await spawnServer("nats-server", cmd, /Server is ready/, "SIGINT");
  const version = /Version:\s+(\S+)/.exec(server.outputTail())?.[1] ?? "?";
  return { ...server, url: `127.0.0.1:${port}`, version };
}

/** redis-server, appendonly yes (appendfsync everysec, its default), no RDB snapshots. */
export async function startRedis(dir: string): Promise<UrlServer | undefined> {
  const binary = Bun.which("redis-server");
  if (!binary) return undefined;
  mkdirSync(dir, { recursive: true });
  const port = freePort();
  const cmd = [binary, "--bind", "127.0.0.1", "--port", String(port), "--dir", dir];
  cmd.push("--appendonly", "yes", "--save", "", "--daemonize", "no");
  const server = await spawnServer("redis-server", cmd, /Ready to accept connections/);
  const version = /Redis version=(\S+)/.exec(server.outputTail())?.[1] ?? "?";
  return { ...server, url: `redis://127.0.0.1:${port}`, version };
}

// ---------------------------------------------------------------------------------------------
// The echo broker (child process)

function runEchoChild(): void {
  const log = createLogger("echo", { level: "warn" });
  const storeHost = { ip: Uint8Array.of(127, 0, 0, 1), port: 0 };
  const queueOffsets = new Map<number, number>();
  let physicalOffset = 0;
  const send = (request: RemotingCommand): RemotingCommand | null => {
    const header = decodeSendMessageRequest(request);
    const bodyBytes = request.body?.length ?? 0;
    const count = header.batch && request.body ? decodeBatchBody(request.body, 1 << 16).length : 1;
    const queueId = Math.max(0, header.queueId);
    const queueOffset = queueOffsets.get(queueId) ?? 0;
    queueOffsets.set(queueId, queueOffset + count);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      ids.push(createOffsetMessageId(storeHost, physicalOffset));
      physicalOffset += Math.ceil(bodyBytes / count) + 200;
    }
    if (isOneway(request)) return null;
    return createResponse(request, ResponseCode.SUCCESS, {
      extFields: {
        queueId: String(queueId),
        TRACE_ON: "true",
        MSG_REGION: "DefaultRegion",
        msgId: ids.join(","),
        queueOffset: String(queueOffset),
      },
    });
  };
  let address = "";
  const route = () =>
    encodeTopicRouteData(
      {
        queueDatas: [
          {
            brokerName: "echo",
            readQueueNums: 4,
            writeQueueNums: 4,
            perm: Perm.READ | Perm.WRITE,
            topicSysFlag: 0,
          },
        ],
        brokerDatas: [
          { cluster: "EchoCluster", brokerName: "echo", brokerAddrs: new Map([[0, address]]) },
        ],
        filterServerTable: new Map(),
      },
      true,
    );
  const processors = new ProcessorTable()
    .register(RequestCode.GET_ROUTEINFO_BY_TOPIC, (r) =>
      createResponse(r, ResponseCode.SUCCESS, { body: route() }),
    )
    .register(RequestCode.SEND_MESSAGE, send)
    .register(RequestCode.SEND_MESSAGE_V2, send)
    .register(RequestCode.SEND_BATCH_MESSAGE, send);
  const server = new RemotingServer({
    host: "127.0.0.1",
    port: 0,
    processors,
    clock,
    log,
    idleTimeoutSeconds: 120,
  });
  const bound = server.start();
  address = `${bound.host}:${bound.port}`;
  process.stdout.write(`echo ready address=${address} pid=${process.pid}\n`);
  process.on("SIGTERM", () => {
    server.stop();
    process.exit(0);
  });
}

// ---------------------------------------------------------------------------------------------
// Senders

export interface Sender {
  /** One message; resolves when the server acknowledged it, throws when it refused. */
  send(body: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Our client: Producer (binary ROCKETMQ header), routes from `namesrvAddr`. */
export function rmqClientSender(namesrvAddr: string, topic: string): Sender {
  const producer = new Producer({
    group: producerGroup,
    namesrvAddrs: [namesrvAddr],
    clock,
    log: clientLog,
    sendTimeoutMs,
    retryTimesWhenSendFailed: 0,
  });
  return {
    send: async (body) => {
      const result = await producer.send({ topic, body, tags: "TagA" });
      if (result.status !== "SEND_OK") throw new Error(`send answered ${result.status}`);
    },
    close: async () => producer.close(),
  };
}

/**
 * As the Java client 4.9.7 sends: SEND_MESSAGE_V2 with a JSON header (fields a..m, no broker
 * name), properties in its order with the trailing separator; queues round robin over the route.
 */
export async function javaStyleSender(namesrvAddr: string, topic: string): Promise<Sender> {
  const remoting = new RemotingClient({ clock, log: clientLog });
  const routes = new RouteCache(remoting, [namesrvAddr], clock);
  const found = await routes.get(topic, true);
  if (!found) throw new Error(`no route for ${topic} from ${namesrvAddr}`);
  const queues = RouteCache.publishQueues(topic, found.route, found.fromDefault);
  const addr = queues[0] && RouteCache.masterAddr(found.route, queues[0].brokerName);
  if (!addr) throw new Error(`no writable queue for ${topic}`);
  const ids = new UniqueIdGenerator(clock, new Prng(clock.nowMs() % 2 ** 31));
  let next = 0;
  return {
    send: async (body) => {
      const queue = queues[next++ % queues.length]!;
      const extFields = encodeSendMessageRequestV2({
        producerGroup,
        topic,
        defaultTopic: "TBW102",
        defaultTopicQueueNums: 4,
        queueId: queue.queueId,
        sysFlag: 0,
        bornTimestamp: clock.nowMs(),
        flag: 0,
        properties: `TAGS\u0001TagA\u0002UNIQ_KEY\u0001${ids.next()}\u0002WAIT\u0001true\u0002`,
        reconsumeTimes: 0,
        unitMode: false,
        maxReconsumeTimes: undefined,
        batch: false,
        brokerName: undefined,
      });
      const request = createRequest(RequestCode.SEND_MESSAGE_V2, {
        extFields,
        body,
        serializeType: SerializeType.JSON,
      });
      const answer = await remoting.invoke(addr, request, sendTimeoutMs);
      if (answer.code !== ResponseCode.SUCCESS) throw new RemoteError(answer.code, answer.remark);
    },
    close: async () => remoting.close(),
  };
}

type Nats = typeof import("nats");
let natsLoaded: Promise<Nats | undefined> | undefined;

/** The npm package nats (a devDependency), or undefined when it is not installed. */
export function natsClient(): Promise<Nats | undefined> {
  natsLoaded ??= import("nats").catch(() => undefined);
  return natsLoaded;
}

async function nats(): Promise<Nats> {
  const module = await natsClient();
  if (!module) throw new Error("the npm package nats is not installed");
  return module;
}

/** A JetStream stream on `subject` (file storage), created anew. */
async function freshStream(nc: NatsConnection, stream: string, subject: string): Promise<void> {
  const jsm = await nc.jetstreamManager();
  await jsm.streams.delete(stream).catch(() => false);
  const storage = (await nats()).StorageType.File;
  await jsm.streams.add({ name: stream, subjects: [subject], storage });
}

/** js.publish (awaits the stream's PubAck) into a fresh stream; the stream goes at close. */
export async function natsSender(url: string, stream: string): Promise<Sender> {
  const nc = await (await nats()).connect({ servers: url });
  const subject = `${stream}.in`;
  await freshStream(nc, stream, subject);
  const js = nc.jetstream();
  return {
    send: async (body) => {
      await js.publish(subject, body);
    },
    close: async () => {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.delete(stream).catch(() => false);
      await nc.close();
    },
  };
}

/** Bun's RedisClient takes Buffers for binary values although its send() types say string. */
const asArg = (body: Uint8Array) =>
  Buffer.from(body.buffer, body.byteOffset, body.byteLength) as unknown as string;

/** XADD key * d <body> (auto-pipelined by the client); the key is deleted at close. */
export async function redisSender(url: string, key: string): Promise<Sender> {
  const client = new RedisClient(url);
  await client.connect();
  await client.send("DEL", [key]);
  return {
    send: async (body) => {
      await client.send("XADD", [key, "*", "d", asArg(body)]);
    },
    close: async () => {
      await client.send("DEL", [key]);
      client.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// End to end: a sender plus one consumer on its own connection

/**
 * One message consumed: `stamp` is the first stampBytes of its body as text. Where its time
 * went by wall clock (ms resolution), known for rmq only: bornToStoreMs from the producer's
 * bornTimestamp to the broker's storeTimestamp, storeToConsumeMs from there to the handler.
 * Numbers, not an object: this runs for every message, in the process that measures.
 */
export type OnStamp = (stamp: string, bornToStoreMs?: number, storeToConsumeMs?: number) => void;

export interface E2eRig {
  sender: Sender;
  /** Starts the consumer; `onStamp` gets the first `stampBytes` of each body as text. */
  startConsumer(onStamp: OnStamp): Promise<void>;
  close(): Promise<void>;
}

const textDecoder = new TextDecoder();

export function rmqE2e(namesrvAddr: string, topic: string, stampBytes: number): E2eRig {
  const sender = rmqClientSender(namesrvAddr, topic);
  let consumer: PushConsumer | null = null;
  return {
    sender,
    startConsumer: async (onStamp) => {
      consumer = new PushConsumer({
        group: "bench_e2e_consumer",
        topic,
        subscription: "*",
        namesrvAddrs: [namesrvAddr],
        clock,
        log: clientLog,
        consumeFrom: { kind: "first" },
        handler: (m) =>
          onStamp(
            textDecoder.decode(m.body.subarray(0, stampBytes)),
            m.storeTimestamp - m.bornTimestamp,
            clock.nowMs() - m.storeTimestamp,
          ),
      });
      await consumer.start();
    },
    close: async () => {
      await consumer?.stop();
      await sender.close();
    },
  };
}

/** A durable pull consumer (AckPolicy none: no per-message ack, as rmq's offset commits). */
export async function natsE2e(url: string, stream: string, stampBytes: number): Promise<E2eRig> {
  const sender = await natsSender(url, stream);
  const { AckPolicy, connect, DeliverPolicy } = await nats();
  const nc = await connect({ servers: url });
  const jsm = await nc.jetstreamManager();
  await jsm.consumers.add(stream, {
    durable_name: "bench",
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
  });
  let stopConsuming = () => {};
  let loop: Promise<void> = Promise.resolve();
  return {
    sender,
    startConsumer: async (onStamp) => {
      const consumer = await nc.jetstream().consumers.get(stream, "bench");
      const messages = await consumer.consume({ max_messages: 256 });
      stopConsuming = () => messages.stop();
      loop = (async () => {
        for await (const m of messages) onStamp(textDecoder.decode(m.data.subarray(0, stampBytes)));
      })();
    },
    close: async () => {
      stopConsuming();
      await loop;
      await nc.close();
      await sender.close();
    },
  };
}

/**
 * The W3 floor: core NATS publish/subscribe on one connection, no store, no acknowledgement (a
 * send resolves as soon as it is queued). What is left of the produce-to-consume latency is this
 * process, the loopback and a C server that forwards: the share of a W3 tail no broker could
 * remove. Core NATS drops what no subscriber is there for, so the subscription comes first and
 * holds what arrives before startConsumer.
 */
export async function natsCoreE2e(url: string, subject: string, stampBytes: number) {
  const nc = await (await nats()).connect({ servers: url });
  let onStamp: OnStamp | null = null;
  const early: string[] = [];
  nc.subscribe(subject, {
    callback: (_error, m) => {
      const stamp = textDecoder.decode(m.data.subarray(0, stampBytes));
      if (onStamp) onStamp(stamp);
      else early.push(stamp);
    },
  });
  await nc.flush();
  const rig: E2eRig = {
    sender: {
      send: async (body) => nc.publish(subject, body),
      close: async () => {},
    },
    startConsumer: async (handler) => {
      onStamp = handler;
      for (const stamp of early.splice(0)) handler(stamp);
    },
    close: () => nc.close(),
  };
  return rig;
}

/** XREADGROUP ... COUNT 256 BLOCK 100 NOACK on a second connection (a blocking read). */
export async function redisE2e(url: string, key: string, stampBytes: number): Promise<E2eRig> {
  const sender = await redisSender(url, key);
  const client = new RedisClient(url);
  await client.connect();
  await client.send("XGROUP", ["CREATE", key, "bench", "0", "MKSTREAM"]);
  const readArgs = ["GROUP", "bench", "c1", "COUNT", "256", "BLOCK", "100", "NOACK"];
  readArgs.push("STREAMS", key, ">");
  let running = false;
  let loop: Promise<void> = Promise.resolve();
  return {
    sender,
    startConsumer: async (onStamp) => {
      running = true;
      loop = (async () => {
        for (let i = 0; running && i < 100_000_000; i++) {
          const reply = await client.send("XREADGROUP", readArgs);
          if (!reply) continue;
          // RESP3 gives { key: entries }, RESP2 [[key, entries]]; an entry is [id, [f, v]].
          const perKey = Array.isArray(reply) ? reply.map((r) => r[1]) : Object.values(reply);
          for (const entries of perKey as [string, string[]][][]) {
            for (const [, fields] of entries) onStamp(String(fields[1]).slice(0, stampBytes));
          }
        }
      })();
    },
    close: async () => {
      running = false;
      await loop;
      client.close();
      await sender.close();
    },
  };
}

// The echo child has the server runtime too: importing bench_runtime.ts restarted it with it.
if (import.meta.main && process.argv[2] === "--echo-child") runEchoChild();
