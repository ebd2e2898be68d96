// Wire fuzzing (not in CI): a single node (`rmq broker` with its embedded name server) is sent
// mutations of the requests Apache RocketMQ's own clients sent in shared/fixtures/rocketmq-wire.
// Most are decoded and changed as commands (header fields set to odd values or dropped, codes
// swapped, flags flipped, JSON bodies with odd leaves, JSON <-> binary headers) and encoded
// again, so they get past the frame decoder into the processors; the rest are damaged as bytes
// (lengths, serialize type, truncation). The node must answer or close that one connection:
// it is checked alive and serving all along, a message is sent to it and pulled back now and
// then, and at the end its log must hold no failure other than a ProtocolError.
//
//   RMQ_FUZZ=1 [RMQ_FUZZ_FRAMES=5000] [RMQ_SEED=n] npx bun scripts/fuzz_wire.ts
//
// Needs dist/rmq (npm run build) and ../shared/fixtures. Prints the seed first; replay a run
// with the same RMQ_SEED. Exits 1 on a finding.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Socket } from "bun";
import { SystemClock } from "../core/common/clock.ts";
import { createLogger } from "../core/common/log.ts";
import {
  createRequest,
  decodeFrameContent,
  encodeFrame,
  PullSysFlag,
  FlagBit,
  RequestCode,
  SerializeType,
  type RemotingCommand,
} from "../core/protocol/index.ts";
import { decodeMessages } from "../core/client/received_message.ts";
import { RemotingClient } from "../core/remoting/client.ts";
import { hexToBytes, wireCaptureFiles, wireRecords } from "../test/harness/shared_fixtures.ts";
import { pullRequest, sendRequest } from "../test/harness/raw_requests.ts";
import { startSingleNode } from "../test/harness/single_node.ts";
import { fuzzSetup } from "./fuzz_setup.ts";

const { seed, prng, pick } = fuzzSetup("fuzz_wire", "captured requests to start from");
const frameCount = Number(process.env.RMQ_FUZZ_FRAMES ?? 5000);

/** Values that have broken parsers elsewhere: limits, signs, non-numbers, separators, sizes. */
const oddValues = [
  ...["", "-1", "0", "2147483647", "2147483648", "-2147483649", "9007199254740993"],
  ...["99999999999999999999", "1e309", "NaN", "1.5", " 5", "0x10", "abc", "true", "null"],
  ...["%RETRY%x", "%DLQ%", "TBW102", "SCHEDULE_TOPIC_XXXX", "RMQ_SYS_TRANS_HALF_TOPIC"],
  ...["\u0000", "\u0001\u0002", "a\u0001b\u0002c\u0001", "127.0.0.1:abc", "{}", "[]", '"', "\\"],
  ...["日本", "\ud800", "a".repeat(300), "b".repeat(70_000)],
];
const oddJsonLeaves: unknown[] = [null, -1, 2 ** 31, 2 ** 53 + 2, 1.5, "", "x", [], {}, true];

interface Captured {
  link: "namesrv" | "broker";
  command: RemotingCommand;
}

function capturedRequests(): Captured[] {
  const out: Captured[] = [];
  for (const file of wireCaptureFiles) {
    for (const record of wireRecords(file)) {
      // Links: "namesrv", and the broker's main and VIP ports ("broker-a-0", "-vip"); the
      // HA port's frames are not remoting frames.
      if (record.dir !== "c2s" || record.link.endsWith("-ha")) continue;
      const link = record.link === "namesrv" ? "namesrv" : "broker";
      try {
        const command = decodeFrameContent(hexToBytes(record.hex).subarray(4));
        out.push({ link, command });
      } catch {
        // A capture this decoder refuses is no starting point for command-level mutations.
      }
    }
  }
  return out;
}

const captured = capturedRequests();
/**
 * Header fields of requests the captures do not hold (admin and request-reply processors), so
 * that swapping a capture's code for theirs reaches past their first required field.
 */
const uncapturedFieldNames = [
  "groupName",
  "removeOffset",
  "srcGroup",
  "destGroup",
  "offline",
  "group",
  "isForce",
  "clientId",
  "jstackEnable",
  "msgId",
  "index",
  "count",
  "isOrder",
];
const fieldNames = [
  ...new Set([
    ...captured.flatMap((c) => [...(c.command.extFields?.keys() ?? [])]),
    ...uncapturedFieldNames,
  ]),
];
// Every code rmq knows, not only the captured ones: each processor gets odd requests.
const codes = [...new Set([...captured.map((c) => c.command.code), ...Object.values(RequestCode)])];

/** A JSON body with one leaf replaced, or undefined when the body is not JSON. */
function mutatedJsonBody(body: Uint8Array): Uint8Array | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return undefined;
  }
  const containers: Record<string, unknown>[] = [];
  const walk = (v: unknown) => {
    if (v && typeof v === "object") {
      containers.push(v as Record<string, unknown>);
      for (const child of Object.values(v)) walk(child);
    }
  };
  walk(value);
  if (containers.length === 0) return undefined;
  const container = pick(containers);
  const keys = Object.keys(container);
  const key = keys.length > 0 && prng.chance(0.8) ? pick(keys) : "fuzz";
  container[key] = prng.chance(0.5) ? pick(oddJsonLeaves) : pick(oddValues);
  return new TextEncoder().encode(JSON.stringify(value));
}

function mutatedBody(body: Uint8Array | null): Uint8Array | null {
  const choice = prng.below(5);
  if (choice === 0 || body === null) return choice === 0 ? null : prng.bytes(prng.below(4096));
  if (choice === 1) return body.subarray(0, prng.below(body.length + 1));
  if (choice === 2) return mutatedJsonBody(body) ?? prng.bytes(body.length);
  const out = body.slice();
  for (let i = 0; i < 1 + prng.below(8) && out.length > 0; i++) {
    out[prng.below(out.length)] = prng.below(256);
  }
  return out;
}

/** 1-3 changes to a copy of `source`, as a command. */
function mutatedCommand(source: RemotingCommand): RemotingCommand {
  const cmd = { ...source, extFields: new Map(source.extFields ?? []) };
  for (let n = 1 + prng.below(3); n > 0; n--) {
    const keys = [...cmd.extFields.keys()];
    const choice = prng.below(10);
    if (choice <= 3 && keys.length > 0) cmd.extFields.set(pick(keys), pick(oddValues));
    else if (choice === 4 && keys.length > 0) cmd.extFields.delete(pick(keys));
    else if (choice === 5) cmd.extFields.set(pick(fieldNames), pick(oddValues));
    else if (choice === 6) cmd.code = prng.chance(0.7) ? pick(codes) : prng.below(1000);
    else if (choice === 7) cmd.flag ^= prng.chance(0.5) ? FlagBit.ONEWAY : FlagBit.RESPONSE;
    else if (choice === 8) cmd.body = mutatedBody(cmd.body);
    else cmd.serializeType = prng.chance(0.5) ? SerializeType.JSON : SerializeType.ROCKETMQ;
  }
  return cmd;
}

/** A frame damaged as bytes: its length fields, serialize type or any byte, or cut short. */
function damagedFrame(frame: Uint8Array): Uint8Array {
  const out = frame.slice();
  const view = new DataView(out.buffer);
  for (let n = 1 + prng.below(4); n > 0; n--) {
    const choice = prng.below(10);
    if (choice === 0) view.setInt32(0, pick([0, 3, 4, out.length, 0x7fffffff, -1]));
    else if (choice === 1) view.setInt32(4, (out[4]! << 24) | pick([0, 1, 0xffffff]));
    else if (choice === 2) out[4] = pick([0, 1, 2, 255]);
    else out[prng.below(out.length)] = prng.below(256);
  }
  return prng.chance(0.1) ? out.subarray(0, prng.below(out.length)) : out;
}

function nextFrame(): { link: Captured["link"]; frame: Uint8Array; damaged: boolean } {
  const source = pick(captured);
  for (;;) {
    try {
      const frame = encodeFrame(mutatedCommand(source.command));
      const damaged = prng.chance(0.2);
      return { link: source.link, frame: damaged ? damagedFrame(frame) : frame, damaged };
    } catch {
      // Too large to encode (a 70 kB value in a binary header field): mutate again.
    }
  }
}

/** A raw connection that is replaced once the server closes it. */
class FuzzConnection {
  private socket: Socket<undefined> | null = null;
  constructor(private readonly address: string) {}

  async write(frame: Uint8Array): Promise<void> {
    if (!this.socket) {
      const [hostname, port] = this.address.split(":");
      const forget = () => {
        this.socket = null;
      };
      this.socket = await Bun.connect({
        hostname: hostname!,
        port: Number(port),
        socket: { data() {}, close: forget, error: forget },
      });
    }
    this.socket.write(frame);
  }

  close(): void {
    this.socket?.end();
  }
}

console.log(`fuzz_wire: seed ${seed}, ${frameCount} frames from ${captured.length} captured`);
const storeDir = mkdtempSync(join(tmpdir(), "rmq-fuzz-wire-"));
const { node, address, namesrv } = await startSingleNode(storeDir);
const client = new RemotingClient({ clock: new SystemClock(), log: createLogger("fuzz") });
const addresses = { broker: address, namesrv };
const connections = {
  broker: [0, 1, 2].map(() => new FuzzConnection(address)),
  namesrv: [0, 1].map(() => new FuzzConnection(namesrv)),
};
const findings: string[] = [];
/** A node that takes longer than this to answer a health check is stuck: a finding. */
const answerTimeoutMs = 5_000;

async function checkServing(sent: number): Promise<void> {
  if (node.proc.exitCode !== null || node.proc.signalCode !== null) {
    throw new Error(`the node exited (${node.proc.exitCode ?? node.proc.signalCode})`);
  }
  const runtimeInfo = createRequest(RequestCode.GET_BROKER_RUNTIME_INFO);
  const info = await client.invoke(address, runtimeInfo, answerTimeoutMs);
  if (info.code !== 0) throw new Error(`GET_BROKER_RUNTIME_INFO answered ${info.code}`);
  const route = createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, {
    extFields: { topic: "TBW102" },
  });
  await client.invoke(namesrv, route, answerTimeoutMs);
  if (sent % 1000 === 0) await checkSendAndPull(`FuzzCheck${sent}`);
}

/**
 * A message sent to the broker and pulled back, straight at its address: the name server's
 * routes are no help here, since fuzzed REGISTER_BROKERs replace broker-a's address in them
 * (as they would in RocketMQ's: registration is open until ACLs come).
 */
async function checkSendAndPull(topic: string): Promise<void> {
  const body = new TextEncoder().encode(`alive ${topic}`);
  const send = sendRequest(topic, body, {
    producerGroup: "FuzzCheck",
    properties: "WAIT\u0001true\u0002",
    brokerName: "broker-a",
  });
  const sent = await client.invoke(address, send, answerTimeoutMs);
  if (sent.code !== 0) throw new Error(`a send to ${topic} answered ${sent.code} ${sent.remark}`);
  const pull = pullRequest({
    consumerGroup: "FuzzCheck",
    topic,
    queueId: 0,
    queueOffset: Number(sent.extFields?.get("queueOffset") ?? 0),
    maxMsgNums: 1,
    sysFlag: PullSysFlag.SUBSCRIPTION, // this pull's subscription: no heartbeat needed
  });
  const pulled = await client.invoke(address, pull, answerTimeoutMs);
  const [message] = pulled.body ? decodeMessages(pulled.body) : [];
  if (pulled.code !== 0 || new TextDecoder().decode(message?.body) !== `alive ${topic}`) {
    throw new Error(
      `the message sent to ${topic} did not come back (pull answered ${pulled.code})`,
    );
  }
}

const startMs = performance.now();
try {
  await checkServing(0);
  for (let sent = 1; sent <= frameCount; sent++) {
    const { link, frame, damaged } = nextFrame();
    // A damaged frame usually costs its connection: it gets one of its own, so the frames
    // queued behind it on a shared one are not dropped unread.
    const connection = damaged ? new FuzzConnection(addresses[link]) : pick(connections[link]);
    await connection.write(frame);
    if (damaged) connection.close();
    await Bun.sleep(prng.below(3));
    if (sent % 200 === 0) {
      await checkServing(sent);
      process.stderr.write(`${sent} `);
    }
  }
} catch (error) {
  findings.push(String(error));
}
for (const c of [...connections.broker, ...connections.namesrv]) c.close();
client.close();
// Bad input is answered with a ProtocolError's text; any other failure is a bug to look at.
const failures = node.stderr
  .split("\n")
  .filter((line) => / failed: (?!ProtocolError)|Uncaught|unhandled/i.test(line));
const distinct = [...new Set(failures.map((line) => line.replace(/^\S+ /, "").slice(0, 300)))];
const logged = (pattern: RegExp) => node.stderr.split("\n").filter((l) => pattern.test(l)).length;
const refusals = `${logged(/ failed: ProtocolError/)} requests refused as malformed`;
const closes = `${logged(/ closing .*: malformed input/)} connections closed on malformed frames`;
findings.push(...distinct.map((line) => `logged: ${line}`));
await node[Symbol.asyncDispose]();
rmSync(storeDir, { recursive: true, force: true });
rmSync(`${storeDir}.conf`, { force: true });
const seconds = ((performance.now() - startMs) / 1000).toFixed(0);
process.stderr.write("\n");
for (const finding of findings) console.log(`finding: ${finding}`);
console.log(`fuzz_wire: the node logged ${refusals}, ${closes}`);
console.log(
  `fuzz_wire: ${frameCount} frames in ${seconds} s, ${findings.length} findings (seed ${seed})`,
);
process.exit(findings.length > 0 ? 1 : 0);
