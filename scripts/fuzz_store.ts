// Store fuzzing (not in CI): copies of the store Apache RocketMQ 4.9.7 wrote and shut down cleanly
// (shared/fixtures/rocketmq-store/store-clean) are damaged at random, 1-3 changes each: bytes
// overwritten near the data, a file truncated or deleted, a JSON config file rewritten. Then
// every offline `rmq inspect` view runs on the copy, and `rmq broker` starts on it: it must
// either serve (a consumer reads FxOrders to its end, a producer sends) or exit with a one-line
// reason. A finding is a process that hangs, exits with an unexpected code, or prints a stack
// trace instead of an error, or FxOrders messages missing when none of their files was touched.
//
//   RMQ_FUZZ=1 [RMQ_FUZZ_STORES=40] [RMQ_SEED=n] npx bun scripts/fuzz_store.ts
//
// Needs dist/rmq (npm run build) and ../shared/fixtures. Prints the seed first; replay a run
// with the same RMQ_SEED. Exits 1 on a finding. Each copy takes 1-7 s.

import { dirname, join } from "node:path";
import {
  closeSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { RmqProcess, runRmq } from "../test/harness/rmq_process.ts";
import {
  fixtureBrokerConf,
  scratchStoreCopy,
  storeFixture,
} from "../test/harness/store_fixtures.ts";
import { fuzzSetup } from "./fuzz_setup.ts";

const { seed, prng, pick } = fuzzSetup("fuzz_store", "RocketMQ store to damage");
const storeCount = Number(process.env.RMQ_FUZZ_STORES ?? 40);

/** An uncaught error's report (Bun prints source lines, then frames), not an error line. */
const stackTrace = /^\s+at \S|^\d+ \| |TypeError|RangeError|ReferenceError/m;
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** JSON config contents that are wrong in shape or values rather than in syntax alone. */
function oddJson(original: string): string {
  return pick([
    "",
    "{",
    "null",
    "[]",
    '{"offsetTable":{"a@b":{"0":"x"}}}',
    '{"topicConfigTable":{"T":{"readQueueNums":-5,"writeQueueNums":99999}}}',
    original.replace(/\d/g, "9"),
  ]);
}

/** One change to one file of `store`; returns what it did. */
function damage(store: string): string {
  const file = pick(filesUnder(store));
  const name = file.slice(store.length + 1);
  const sizeBytes = statSync(file).size;
  const choice = prng.below(20);
  if (choice < 3) {
    truncateSync(file, prng.below(sizeBytes + 1));
    return `truncated ${name}`;
  }
  if (choice < 5) {
    unlinkSync(file);
    return `deleted ${name}`;
  }
  if (choice < 7 && file.endsWith(".json")) {
    writeFileSync(file, oddJson(readFileSync(file, "utf8")));
    return `rewrote ${name}`;
  }
  // Segments are sparse: their data is in the first 64 KiB here.
  const at = prng.below(Math.max(1, Math.min(sizeBytes, 64 * 1024)));
  const count = 1 + prng.below(16);
  const bytes = prng.chance(0.5) ? prng.bytes(count) : new Uint8Array(count).fill(pick([0, 255]));
  const fd = openSync(file, "r+");
  writeSync(fd, bytes, 0, count, at);
  closeSync(fd);
  return `${count} bytes at ${at} of ${name}`;
}

async function inspectFindings(store: string): Promise<string[]> {
  const views = [
    ["verify", store],
    ["stats", store, "--json"],
    ["commitlog", store, "--count", "2000", "--json"],
    ["queue", store, "FxOrders", String(prng.below(4)), "--json"],
    ["index", store, pick(["order-1003", "k-938", "none"]), "--json"],
    ["checkpoint", store],
  ];
  const findings: string[] = [];
  for (const view of views) {
    const run = await runRmq(["inspect", ...view]);
    if ((run.exitCode !== 0 && run.exitCode !== 1) || stackTrace.test(run.stderr + run.stdout)) {
      findings.push(`inspect ${view[0]} exited ${run.exitCode}: ${run.stderr.slice(0, 400)}`);
    }
  }
  return findings;
}

/** FxOrders' messages in the clean store: a consumer reading from the first gets them all. */
const fxOrdersCount = 1250;
/** Files whose damage may cost FxOrders messages: its records, its queues, its topic config. */
const holdsFxOrders = /commitlog|consumequeue\/FxOrders\/|topics\.json/;

/**
 * Starts a broker on `store`; returns what happened and any findings. `intact`: nothing that
 * holds FxOrders was damaged, so all of it must be read.
 */
async function brokerFindings(store: string, copy: number, intact: boolean) {
  const conf = join(dirname(store), "broker.conf");
  writeFileSync(conf, `${fixtureBrokerConf}\nhaListenPort=0\n`);
  const args = ["broker", "-c", conf, "--store", store];
  const node = new RmqProcess([
    ...args,
    "--listen",
    "127.0.0.1:0",
    "--namesrv-listen",
    "127.0.0.1:0",
  ]);
  const findings: string[] = [];
  let outcome: string;
  try {
    await node.ready(15_000);
    const namesrv = /namesrv=(\S+)/.exec(node.stdout)![1]!;
    const consume = ["consume", "-n", namesrv, "-t", "FxOrders", "-g", `FuzzStore${copy}`];
    const read = await runRmq([...consume, "--from", "first", "--until-end", "--timeout", "5s"]);
    const sent = await runRmq(["produce", "-n", namesrv, "-t", "FxOrders", "--body", "after"]);
    const lines = read.stdout.split("\n").filter(Boolean).length;
    outcome = `served: ${lines} FxOrders messages read (exit ${read.exitCode})`;
    outcome += `, a send exited ${sent.exitCode}`;
    if (read.exitCode !== 0 && read.exitCode !== 2)
      findings.push(`consume exited ${read.exitCode}`);
    if (intact && lines !== fxOrdersCount) {
      findings.push(
        `${lines} of ${fxOrdersCount} FxOrders messages read; none of their files was damaged`,
      );
    }
    if (sent.exitCode !== 0) findings.push(`produce exited ${sent.exitCode}: ${sent.stderr}`);
    for (const run of [read, sent]) {
      if (stackTrace.test(run.stderr))
        findings.push(`client stack trace: ${run.stderr.slice(0, 400)}`);
    }
  } catch (error) {
    const exitCode = node.proc.exitCode;
    const reason = node.stderr.trim().split("\n").pop() ?? "";
    outcome = `refused to start (exit ${exitCode}): ${reason.slice(0, 200)}`;
    if (exitCode === null) findings.push(`broker neither ready nor exited: ${error}`);
  }
  if (stackTrace.test(node.stderr))
    findings.push(`broker stack trace: ${node.stderr.slice(0, 400)}`);
  await node[Symbol.asyncDispose]();
  return { outcome, findings };
}

console.log(`fuzz_store: seed ${seed}, ${storeCount} damaged copies of store-clean`);
const pristine = storeFixture("clean")!;
let findingCount = 0;
for (let copy = 1; copy <= storeCount; copy++) {
  const store = scratchStoreCopy("clean");
  const changes = Array.from({ length: 1 + prng.below(3) }, () => damage(store));
  const findings = await inspectFindings(store);
  const broker = await brokerFindings(store, copy, !changes.some((c) => holdsFxOrders.test(c)));
  findings.push(...broker.findings);
  findingCount += findings.length;
  console.log(`${copy}: ${changes.join("; ")} -> ${broker.outcome}`);
  for (const finding of findings) console.log(`   finding: ${finding}`);
  if (findings.length === 0) rmSync(dirname(store), { recursive: true, force: true });
  else console.log(`   kept ${store}`);
}
rmSync(dirname(pristine), { recursive: true, force: true });
console.log(`fuzz_store: ${storeCount} copies, ${findingCount} findings (seed ${seed})`);
process.exit(findingCount > 0 ? 1 : 0);
