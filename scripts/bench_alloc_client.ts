// What rmq's clients allocate per message, counted by object type (not a speed benchmark): our
// Producer and PushConsumer in this process, one message at a time, against a broker in its own
// process (dist/rmq, or $RMQ_BINARY). That is W3's shape at low rates: each send answered, each
// long poll woken by the send and pulled again. W3's client collects about as often as its
// broker, so what it allocates per message weighs on the tail as much as the broker's does.
//
//   npx bun scripts/bench_alloc_client.ts [--count N] [--producer-only]
//
// How (bench_alloc_counts.ts, as scripts/bench_alloc.ts): from a full collection to the last of
// N messages consumed, heapStats().objectTypeCounts grows by what this process allocated, as
// long as no collection ran meanwhile (such a round is run again). The count includes this
// script's own wait for each message: one promise and its resolver.

import "./bench_runtime.ts"; // first: the servers' runtime settings, as the e2e bench runs with
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KiB } from "../core/common/index.ts";
import { countRound, describeCounts } from "./bench_alloc_counts.ts";
import { rmqE2e, startRmq } from "./bench_e2e_systems.ts";

const countAt = process.argv.indexOf("--count");
const messageCount = countAt > 0 ? Number(process.argv[countAt + 1]) : 400;
if (!Number.isInteger(messageCount) || messageCount < 100)
  throw new Error(`--count wants a whole number of messages, 100 or more`);
const producerOnly = process.argv.includes("--producer-only");
/** Messages sent before counting, so the counted ones run compiled code. */
const warmMessageCount = 3_000;
const roundsCounted = 3;
const roundAttemptsMax = 8;

const dir = mkdtempSync(join(tmpdir(), "rmq-bench-alloc-client-"));
const server = await startRmq(dir, "ASYNC_FLUSH");
const rig = rmqE2e(server.namesrvAddr, "AllocClientTopic", 24);
const body = new Uint8Array(KiB).fill(97);
let consumed = 0;
let onConsumed: (() => void) | null = null;

/** One message: sent, and (unless --producer-only) consumed before the next. */
async function oneMessage(): Promise<void> {
  if (producerOnly) return rig.sender.send(body);
  const arrived = new Promise<void>((resolve) => (onConsumed = resolve));
  await rig.sender.send(body);
  await arrived;
}

try {
  await rig.sender.send(body);
  if (!producerOnly) {
    await rig.startConsumer(() => {
      consumed++;
      onConsumed?.();
    });
    while (consumed < 1) await Bun.sleep(10);
  }
  for (let i = 0; i < warmMessageCount; i++) await oneMessage();
  console.log(
    `rmq client allocations per message: bun ${Bun.version}, ${messageCount} messages per ` +
      `round, ${KiB} B bodies, ${producerOnly ? "Producer only" : "Producer and PushConsumer"}, ` +
      `broker ${server.label} pid ${server.pid} on 127.0.0.1`,
  );
  let counted = 0;
  for (let attempt = 0; attempt < roundAttemptsMax && counted < roundsCounted; attempt++) {
    const counts = await countRound(messageCount, async () => {
      for (let i = 0; i < messageCount; i++) await oneMessage();
    });
    if (!counts) continue;
    counted++;
    const { total, types } = describeCounts(counts);
    console.log(`  round ${counted}: ${total.toFixed(1)} objects per message\n    ${types}`);
  }
  if (counted === 0) console.log(`  a collection ran in every round; try a smaller --count`);
} finally {
  await rig.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
