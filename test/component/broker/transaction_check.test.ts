// The transaction check-back on a real store in a temp dir and a manual clock: a half message
// is left alone until transactionTimeOut, then re-put with TRANSACTION_CHECK_TIMES + 1 and asked
// about on a producer's connection; an op record ends the questions; after transactionCheckMax
// checks it moves to TRANS_CHECK_MAX_TIME_TOPIC; the checker's progress survives a restart.

import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { ClientManager } from "../../../core/broker/clients.ts";
import { ConsumerOffsetManager } from "../../../core/broker/offsets.ts";
import { halfMessageProperties } from "../../../core/broker/restored_properties.ts";
import { TopicManager } from "../../../core/broker/topics.ts";
import { TransactionCheckService } from "../../../core/broker/transaction_check.ts";
import {
  OpRecordBatcher,
  putOpRecord,
  TransactionTopics,
} from "../../../core/broker/transaction_ops.ts";
import { ManualClock } from "../../../core/common/clock.ts";
import { memoryLogger } from "../../../core/common/log.ts";
import { brokerDefaults } from "../../../core/config/broker_config.ts";
import { RequestCode } from "../../../core/protocol/index.ts";
import { RealFileIO, type MessageStore } from "../../../core/store/index.ts";
import { fakeChannel } from "../../harness/fake_channel.ts";
import {
  message,
  openStore,
  putNow,
  queueBodies,
  tempStoreConfig,
} from "../../harness/temp_store.ts";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

const host = { ip: Uint8Array.of(127, 0, 0, 1), port: 10911 };

function rig(store: MessageStore, clock: ManualClock, root: string) {
  const log = memoryLogger();
  const offsets = new ConsumerOffsetManager(new RealFileIO(), root, log);
  offsets.load();
  const topics = new TopicManager(
    { ...brokerDefaults(root), storePathRootDir: root },
    new RealFileIO(),
    clock,
    log,
  );
  topics.load();
  const clients = new ClientManager();
  const producer = fakeChannel({ clock });
  clients.registerProducer("txg", {
    channel: producer.channel,
    clientId: "p1",
    language: "JAVA",
    version: 0,
    lastUpdateMs: clock.nowMs(),
  });
  const checker = new TransactionCheckService({
    store,
    clock,
    log,
    offsets,
    clients,
    topics,
    storeHost: () => host,
    checkIntervalMs: 60_000,
    timeoutMs: 6_000,
    checkMax: 2,
    resolveHalf: (queueId, offset) => putOpRecord(store, host, clock.nowMs(), queueId, offset),
  });
  return { checker, offsets, producer };
}

function half(body: string) {
  const m = message(TransactionTopics.HALF, 0, body);
  m.bornTimestamp = 1_000_000;
  const sent = new Map([
    ["UNIQ_KEY", `UK-${body}`],
    ["TRAN_MSG", "true"],
    ["PGROUP", "txg"],
  ]);
  m.properties = halfMessageProperties(sent, "DefaultCluster", "Orders", 0);
  return m;
}

const bodiesIn = (store: MessageStore, topic: string) => queueBodies(store, topic, 0);

describe("broker: transaction check", () => {
  test("broker: transaction check: timeout, re-put and ask, op records, max checks", async () => {
    const config = tempStoreConfig();
    roots.push(config.storePathRootDir);
    const clock = new ManualClock(1_000_000);
    const { store } = openStore(config, { clock });
    const { checker, offsets, producer } = rig(store, clock, config.storePathRootDir);
    await putNow(store, clock, half("a")); // half offset 0
    await putNow(store, clock, half("b")); // half offset 1
    const round = async () => {
      const done = checker.round();
      for (let i = 0; i < 6; i++) {
        clock.advance(0);
        await Promise.resolve();
      }
      return done;
    };
    clock.advance(5_000); // younger than transactionTimeOut: nothing
    expect(await round()).toEqual({ checked: 0, discarded: 0, resolvedPassed: 0 });
    clock.advance(2_000);
    // b is committed meanwhile (its op record); a is asked about.
    const op = putOpRecord(store, host, clock.nowMs(), 0, 1);
    clock.advance(0);
    await op;
    clock.advance(1);
    expect(await round()).toEqual({ checked: 1, discarded: 0, resolvedPassed: 1 });
    const [ask] = producer.socket.commands();
    expect(ask!.code).toBe(RequestCode.CHECK_TRANSACTION_STATE);
    expect(ask!.extFields?.get("tranStateTableOffset")).toBe("2"); // the re-put copy
    expect(ask!.extFields?.get("msgId")).toBe("UK-a");
    expect(offsets.query("CID_RMQ_SYS_TRANS", TransactionTopics.HALF, 0)).toBe(2);
    // No answer: checked again next round (the copy: TRANSACTION_CHECK_TIMES 2), then given up.
    clock.advance(60_000);
    expect(await round()).toEqual({ checked: 1, discarded: 0, resolvedPassed: 0 });
    clock.advance(60_000);
    expect(await round()).toEqual({ checked: 0, discarded: 1, resolvedPassed: 0 });
    expect(bodiesIn(store, TransactionTopics.CHECK_MAX_TIME)).toEqual(["a"]);
    expect(producer.socket.commands()).toHaveLength(2);
    // The checker's offsets are in consumerOffset.json: a new checker starts past all of it.
    offsets.persist();
    const again = rig(store, clock, config.storePathRootDir);
    clock.advance(60_000);
    expect(await again.checker.round()).toEqual({ checked: 0, discarded: 0, resolvedPassed: 0 });
    store.shutdown();
  });
});

describe("broker: transaction check, clocks", () => {
  test("broker: transaction check: a half born in the future is asked about at once", async () => {
    const config = tempStoreConfig();
    roots.push(config.storePathRootDir);
    const clock = new ManualClock(1_000_000);
    const { store } = openStore(config, { clock });
    const { checker, producer } = rig(store, clock, config.storePathRootDir);
    const early = half("ahead");
    early.bornTimestamp = 9_000_000; // the producer's clock runs hours ahead
    await putNow(store, clock, early);
    clock.advance(1);
    const done = checker.round();
    for (let i = 0; i < 6; i++) {
      clock.advance(0);
      await Promise.resolve();
    }
    expect(await done).toEqual({ checked: 1, discarded: 0, resolvedPassed: 0 });
    expect(producer.socket.commands()[0]!.extFields?.get("msgId")).toBe("UK-ahead");
    store.shutdown();
  });
});

describe("broker: transaction op records", () => {
  test("broker: transaction ops: resolutions of one turn share one record", async () => {
    const config = tempStoreConfig();
    roots.push(config.storePathRootDir);
    const clock = new ManualClock(1_000_000);
    const { store } = openStore(config, { clock });
    const { checker } = rig(store, clock, config.storePathRootDir);
    for (const body of ["a", "b", "c"]) await putNow(store, clock, half(body));
    const ops = new OpRecordBatcher(
      store,
      () => host,
      () => clock.nowMs(),
    );
    const done = [ops.resolve(0, 0), ops.resolve(0, 2)];
    await Promise.resolve();
    clock.advance(0);
    await Promise.all(done);
    const records = store.getMessage(TransactionTopics.OP, 0, 0, 10, 1 << 20).messages;
    expect(records).toHaveLength(1);
    const body = store.lookMessageByOffset(records[0]!.physicalOffset)!.body;
    expect(new TextDecoder().decode(body)).toBe("0,2,");
    // The checker reads the batch: a and c resolved, b still asked about.
    clock.advance(10_000);
    const round = checker.round();
    for (let i = 0; i < 6; i++) {
      clock.advance(0);
      await Promise.resolve();
    }
    expect(await round).toEqual({ checked: 1, discarded: 0, resolvedPassed: 2 });
    store.shutdown();
  });
});
