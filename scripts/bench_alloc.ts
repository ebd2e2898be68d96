// What the broker allocates per request, counted by object type (not a speed benchmark): a
// send, a pull that finds its message, and W3's shape, a pull held until a send arrives. The
// broker's collections carry W3's tail, and what it allocates per message sets how often they
// come; these counts are exact and repeat from run to run, where the heap growth read from a GC
// log (bench_e2e.ts --gc) moves by 5-20 %, so a change that saves a few objects shows here.
//
//   npx bun scripts/bench_alloc.ts [--count N]
//
// How: a broker in this process (temp store, no name server) and a raw socket client writing
// frames encoded beforehand, so the client allocates next to nothing. From a full collection to
// the last answer of N requests, heapStats().objectTypeCounts grows by what was allocated, as
// long as no collection ran meanwhile (bench_alloc_counts.ts; such a round is run again).
// What the client makes (a buffer per socket read) is counted too: a few hundredths per
// request.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../core/broker/index.ts";
import { createLogger, KiB, SystemClock } from "../core/common/index.ts";
import { brokerDefaults } from "../core/config/broker_config.ts";
import { createRequest, SerializeType } from "../core/protocol/command.ts";
import { encodeFrame } from "../core/protocol/frame.ts";
import { encodePullMessageRequest, PullSysFlag } from "../core/protocol/headers/pull.ts";
import { encodeSendMessageRequestV2 } from "../core/protocol/headers/send.ts";
import { RequestCode } from "../core/protocol/request_code.ts";
import { RealFileIO } from "../core/store/file_io.ts";
import { countRound, describeCounts } from "./bench_alloc_counts.ts";

const countAt = process.argv.indexOf("--count");
const requestCount = countAt > 0 ? Number(process.argv[countAt + 1]) : 2_000;
if (!Number.isInteger(requestCount) || requestCount < 100)
  throw new Error(`--count wants a whole number of requests, 100 or more`);
/** Rounds run before counting, so the counted ones run compiled code. */
const warmRequestCount = 20_000;
/** Requests written per event-loop turn (W3 at half rate: ~25 sends per millisecond). */
const framesPerTurn = 25;
const bodyBytes = KiB;
const roundAttemptsMax = 5;
const topic = "AllocTopic";
const group = "alloc_group";

const clock = new SystemClock();
const dir = mkdtempSync(join(tmpdir(), "rmq-bench-alloc-"));
const broker = new Broker({
  config: {
    ...brokerDefaults(dir),
    brokerIP1: "127.0.0.1",
    bindAddress: "127.0.0.1",
    listenPort: 0,
    namesrvAddr: "",
    storePathRootDir: dir,
    storePathCommitLog: join(dir, "commitlog"),
  },
  clock,
  log: createLogger("bench-alloc", { level: "error" }),
  io: new RealFileIO(),
});

// ---------------------------------------------------------------------------------------------
// Frames, encoded before any counting

/** As rmq's Producer sends: SEND_MESSAGE_V2, binary header, TAGS, UNIQ_KEY and WAIT. */
const sendFrame = encodeFrame(
  createRequest(RequestCode.SEND_MESSAGE_V2, {
    extFields: encodeSendMessageRequestV2({
      producerGroup: "alloc_producer",
      topic,
      defaultTopic: "TBW102",
      defaultTopicQueueNums: 4,
      queueId: 0,
      sysFlag: 0,
      bornTimestamp: Date.now(),
      flag: 0,
      properties:
        "TAGS\u0001TagA\u0002UNIQ_KEY\u00017F000001A1B2C3D4E5F60718293A4B5C\u0002WAIT\u0001true",
      reconsumeTimes: 0,
      unitMode: false,
      maxReconsumeTimes: undefined,
      batch: false,
      brokerName: undefined,
    }),
    body: new Uint8Array(bodyBytes),
    serializeType: SerializeType.ROCKETMQ,
  }),
);

/** As rmq's PushConsumer pulls queue 0 at `queueOffset`: held up to 15 s, one message. */
function pullFrame(queueOffset: number): Uint8Array {
  return encodeFrame(
    createRequest(RequestCode.PULL_MESSAGE, {
      extFields: encodePullMessageRequest({
        consumerGroup: group,
        topic,
        queueId: 0,
        queueOffset,
        maxMsgNums: 1,
        sysFlag: PullSysFlag.SUSPEND | PullSysFlag.SUBSCRIPTION | PullSysFlag.COMMIT_OFFSET,
        commitOffset: queueOffset,
        suspendTimeoutMillis: 15_000,
        subscription: "*",
        subVersion: 1,
        expressionType: "TAG",
        maxMsgBytes: undefined,
      }),
      serializeType: SerializeType.ROCKETMQ,
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// The client: writes frames, counts whole answers

let answered = 0;
let awaitedCount = Infinity;
let onAwaited = () => {};
let frameBytesLeft = 0; // of the answer being read
let lengthBytes = 0; // of its 4-byte length read so far
let lengthValue = 0;

function onData(chunk: Uint8Array): void {
  let at = 0;
  while (at < chunk.length) {
    if (frameBytesLeft > 0) {
      const taken = Math.min(frameBytesLeft, chunk.length - at);
      frameBytesLeft -= taken;
      at += taken;
      if (frameBytesLeft === 0 && ++answered === awaitedCount) onAwaited();
      continue;
    }
    lengthValue = (lengthValue << 8) | chunk[at++]!;
    if (++lengthBytes === 4) {
      frameBytesLeft = lengthValue;
      lengthBytes = 0;
      lengthValue = 0;
    }
  }
}

const { port } = await broker.start();
const socket = await Bun.connect({
  hostname: "127.0.0.1",
  port,
  socket: { data: (_socket, chunk) => onData(chunk) },
});
let sentCount = 0; // messages stored so far: the next send's queue offset

/** Frames go as encoded, all with opaque 0: the broker only copies it into its answer. */
function write(frame: Uint8Array): void {
  const written = socket.write(frame);
  if (written !== frame.length) throw new Error(`socket took ${written} of ${frame.length} bytes`);
}

function answersOf(count: number): Promise<void> {
  awaitedCount = answered + count;
  return new Promise((resolve) => (onAwaited = resolve));
}

// ---------------------------------------------------------------------------------------------
// Workloads: each does `count` requests (or messages) and returns when all are answered

/** `count` frames, `framesPerTurn` per event-loop turn, as a busy client writes them. */
async function writeInTurns(count: number, frameAt: (i: number) => Uint8Array): Promise<void> {
  const done = answersOf(count);
  for (let written = 0; written < count;) {
    for (let i = 0; i < framesPerTurn && written < count; i++, written++) write(frameAt(written));
    await Bun.sleep(0);
  }
  await done;
}

async function sends(count: number): Promise<void> {
  await writeInTurns(count, () => sendFrame);
  sentCount += count;
}

/** Pulls of stored messages, one message each; the frames are made before counting. */
function pullsOfStored(frames: Uint8Array[]): Promise<void> {
  return writeInTurns(frames.length, (i) => frames[i]!);
}

/** Each message: a pull at the queue's end (held), then the send that wakes it. */
async function heldPullsWokenBySends(frames: Uint8Array[]): Promise<void> {
  for (const frame of frames) {
    const done = answersOf(2);
    // The broker reads them in this order and stores the send a turn later: the pull is held.
    write(frame);
    write(sendFrame);
    await done;
  }
  sentCount += frames.length;
}

// ---------------------------------------------------------------------------------------------
// Counting

/** `prepare` readies a round (not counted: frames, messages to pull) and returns it. */
async function report(
  label: string,
  count: number,
  prepare: () => Promise<() => Promise<void>>,
): Promise<void> {
  for (let attempt = 1; attempt <= roundAttemptsMax; attempt++) {
    const counts = await countRound(count, await prepare());
    if (!counts) continue;
    const { total, types } = describeCounts(counts);
    console.log(`  ${label}: ${total.toFixed(1)} objects per request\n    ${types}`);
    return;
  }
  console.log(
    `  ${label}: a collection ran in each of ${roundAttemptsMax} rounds; try a smaller --count`,
  );
}

function pullFramesFrom(first: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => pullFrame(first + i));
}

try {
  console.log(
    `rmq broker allocations per request: bun ${Bun.version}, ${requestCount} requests per round, ` +
      `${bodyBytes} B bodies, everything in this process on 127.0.0.1`,
  );
  const warmFrames = pullFramesFrom(0, warmRequestCount);
  await sends(warmRequestCount);
  await pullsOfStored(warmFrames);
  await report(
    `send (SEND_MESSAGE_V2, ${framesPerTurn} per turn)`,
    requestCount,
    async () => () => sends(requestCount),
  );
  // Each round pulls messages just sent, as a consumer that keeps up does: from memory.
  await report("pull finding 1 message (PULL_MESSAGE)", requestCount, async () => {
    const frames = pullFramesFrom(sentCount, requestCount);
    await sends(requestCount);
    return () => pullsOfStored(frames);
  });
  await heldPullsWokenBySends(pullFramesFrom(sentCount, 2_000)); // warm this path too
  await report("held pull woken by a send (both requests)", requestCount, async () => {
    const frames = pullFramesFrom(sentCount, requestCount);
    return () => heldPullsWokenBySends(frames);
  });
} finally {
  socket.end();
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
