// `rmq broker` started on stores Apache RocketMQ 4.9.7 wrote (shared/fixtures/rocketmq-store),
// with their sizes in broker.conf: topics come from its topics.json, FxGroup resumes at its
// committed offsets, every message is consumable, and on the store killed with -9 every
// acknowledged message in the manifest is there.

import { describe, expect, test } from "bun:test";
import { closeSync, openSync, readSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { jsonLines, RmqProcess, runRmq } from "../harness/rmq_process.ts";
import { sharedFixturesDir, skipReason } from "../harness/shared_fixtures.ts";
import {
  fixtureBrokerConf,
  scratchStoreCopy,
  storeManifest,
  type StoreFixture,
} from "../harness/store_fixtures.ts";

const describeIfFixtures = sharedFixturesDir ? describe : describe.skip;
/** A consume short of its --count ends after this long with nothing new, rather than hang. */
const idleTimeout = "15s";
if (!sharedFixturesDir) console.warn(`skipping RocketMQ store serving tests: ${skipReason}`);

/** `damage`: changes the copy before the broker opens it. */
async function serve(name: StoreFixture, damage?: (store: string) => void) {
  const store = scratchStoreCopy(name);
  damage?.(store);
  const conf = join(store, "..", "broker.conf");
  writeFileSync(conf, fixtureBrokerConf);
  const node = new RmqProcess([
    "broker",
    "-c",
    conf,
    "--store",
    store,
    "--listen",
    "127.0.0.1:0",
    "--namesrv-listen",
    "127.0.0.1:0",
  ]);
  await node.ready();
  return { node, store, namesrv: /namesrv=(\S+)/.exec(node.stdout)![1]! };
}

/** All 1250 messages of FxOrders from the first, as a new group. */
function consumeAllFxOrders(namesrv: string, group: string, env: Record<string, string> = {}) {
  const args = ["consume", "-n", namesrv, "-t", "FxOrders", "-g", group, "--from", "first"];
  return runRmq([...args, "--count", "1250", "--timeout", idleTimeout, "--json"], env);
}

describeIfFixtures("store: serving rocketmq stores", () => {
  test("store: serving rocketmq stores: clean: topics, resumed group, all", async () => {
    const { node, namesrv } = await serve("clean");
    await using _ = node;
    const route = await runRmq(["inspect", "topic", "FxOrders", "-n", namesrv, "--json"]);
    expect(jsonLines(route.stdout).map((q) => q.maxOffset)).toEqual([302, 318, 309, 321]);
    // FxGroup committed everything before RocketMQ stopped: nothing new for it.
    const resumed = await runRmq([
      "consume",
      "-n",
      namesrv,
      "-t",
      "FxOrders",
      "-g",
      "FxGroup",
      "--timeout",
      "1500ms",
    ]);
    expect(resumed.exitCode).toBe(2);
    // Debug logs: its stderr is printed if a message comes twice.
    const all = await consumeAllFxOrders(namesrv, "rmq-reads-all", { RMQ_LOG_LEVEL: "debug" });
    expect(all.exitCode).toBe(0);
    const got = jsonLines(all.stdout);
    const positions = got.map((m) => `${m.queueId}/${m.queueOffset}`);
    const repeated = got.filter((_, i) => positions.indexOf(positions[i]!) !== i);
    // A repeat is a redelivery: say which, with its envelope, so a rare one can be traced.
    if (repeated.length > 0) {
      const where = (m: (typeof got)[number]) =>
        `${m.queueId}/${m.queueOffset} at ${m.commitLogOffset} (lines ${positions
          .map((p, i) => (p === `${m.queueId}/${m.queueOffset}` ? i : -1))
          .filter((i) => i >= 0)
          .join(", ")}, reconsumed ${m.reconsumeTimes}, topic ${m.topic})`;
      console.error(`repeated deliveries: ${repeated.map(where).join("; ")}`);
      console.error(`consume stderr: ${all.stderr}`);
    }
    expect(new Set(positions).size).toBe(1250);
    // Every message RocketMQ stored in FxOrders (originals, delivered delays, committed
    // transactions, retries are in %RETRY%) is consumed, by its client id.
    const manifest = storeManifest("clean");
    type Copy = { topic: string };
    const expected = manifest.messages
      .filter((m: { storeCopies?: Copy[] }) =>
        (m.storeCopies ?? []).some((c) => c.topic === "FxOrders"),
      )
      .map((m: { msgId: string }) => m.msgId);
    const seen = new Set(got.map((m) => m.msgId));
    expect(expected.length).toBeGreaterThan(1200);
    for (const id of expected) expect(seen.has(id)).toBe(true);
    // Bodies the producer compressed come back inflated, as RocketMQ clients receive them.
    expect(got.some((m) => m.body.length >= 4096)).toBe(true);
  }, 60_000);

  test("store: serving rocketmq stores: damaged records do not stop their queues", async () => {
    // Two records of the first segment, as a bad disk sector would leave them: the first
    // (FxOrders queue 2 offset 0, v1 with IPv4 hosts) gets one byte of its body (bytes
    // 88..306) changed; the second (queue 3 offset 0, at 418) loses its size and magic code.
    const firstSegment = join("commitlog", "00000000000000000000");
    const { node, namesrv } = await serve("clean", (store) => {
      const fd = openSync(join(store, firstSegment), "r+");
      const byte = new Uint8Array(1);
      readSync(fd, byte, 0, 1, 100);
      byte[0]! ^= 0xff;
      writeSync(fd, byte, 0, 1, 100);
      writeSync(fd, new Uint8Array(8).fill(0xff), 0, 8, 418);
      closeSync(fd);
    });
    await using _ = node;
    const args = ["consume", "-n", namesrv, "-t", "FxOrders", "-g", "rmq-reads-damaged"];
    const all = await runRmq([...args, "--from", "first", "--until-end", "--json"]);
    expect(all.exitCode).toBe(0);
    const positions = new Set(jsonLines(all.stdout).map((m) => `${m.queueId}/${m.queueOffset}`));
    // Everything but the record that no longer decodes; the damaged body is passed on.
    expect(positions.size).toBe(1249);
    expect(positions.has("3/0")).toBe(false);
    expect(positions.has("2/0")).toBe(true);
    expect(all.stderr).toContain("FxOrders queue 2 offset 0 (commit log offset 0): body CRC");
    // The record whose size is gone no longer matches its unit: the broker does not send it.
    expect(all.stderr).not.toContain("FxOrders/3");
  }, 60_000);

  test("store: serving rocketmq stores: killed: every ack consumable", async () => {
    const { node, namesrv } = await serve("crash");
    await using _ = node;
    const manifest = storeManifest("crash");
    const acked = manifest.messages.filter(
      (m: { sendStatus: string }) => m.sendStatus === "SEND_OK",
    );
    expect(acked).toHaveLength(300);
    const ids = new Set<string>();
    for (const [topic, count] of [
      ["FxOrders", 231],
      ["FxEvents", 71],
    ] as const) {
      const out = await runRmq([
        "consume",
        "-n",
        namesrv,
        "-t",
        topic,
        "-g",
        "rmq-check",
        "--from",
        "first",
        "--count",
        String(count),
        "--timeout",
        idleTimeout,
        "--json",
      ]);
      expect(out.exitCode).toBe(0);
      for (const m of jsonLines(out.stdout)) ids.add(m.msgId);
    }
    for (const m of acked) expect(ids.has(m.msgId)).toBe(true);
  }, 60_000);
});
