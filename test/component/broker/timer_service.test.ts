// The timer service on a real store in a temp dir and a manual clock: messages for arbitrary
// times arrive at their time in due order whatever their send order; a restart that lost the
// progress file repeats nothing; 10,000 waiting messages cost a tick nothing until they are due.

import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { timerSendProperties } from "../../../core/broker/restored_properties.ts";
import { TimerService } from "../../../core/broker/timer_service.ts";
import { ManualClock } from "../../../core/common/clock.ts";
import { memoryLogger } from "../../../core/common/log.ts";
import { TIMER_TOPIC } from "../../../core/store/dispatch.ts";
import { RealFileIO, type MessageStore } from "../../../core/store/index.ts";
import {
  advanceInSteps,
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

function service(store: MessageStore, clock: ManualClock, root: string) {
  const timer = new TimerService({
    store,
    clock,
    log: memoryLogger(),
    io: new RealFileIO(),
    storeRoot: root,
    flushIntervalMs: 10_000,
    storeHost: () => ({ ip: Uint8Array.of(127, 0, 0, 1), port: 10911 }),
  });
  store.onDispatch((r) => {
    if (r.topic === TIMER_TOPIC) timer.onTimerUnit(r.queueOffset, r.physicalOffset, r.tagsCode);
  });
  return timer;
}

/** A send of `body` to `topic` queue 0, due at `dueMs`, as the broker stores it. */
function timed(body: string, dueMs: number, topic = "Alarms") {
  const sent = new Map([["UNIQ_KEY", `UK-${body}`]]);
  const m = message(TIMER_TOPIC, 0, body);
  m.properties = timerSendProperties(sent, "DefaultCluster", topic, 0, dueMs);
  return m;
}

const advance = (clock: ManualClock, ms: number) => advanceInSteps(clock, ms, 100);

const bodies = (store: MessageStore) => queueBodies(store, "Alarms", 0);

describe("broker: timer service", () => {
  test("broker: timer service: arrivals follow due times, not send order", async () => {
    const config = tempStoreConfig();
    roots.push(config.storePathRootDir);
    const clock = new ManualClock(1_000_000);
    const { store } = openStore(config, { clock });
    const timer = service(store, clock, config.storePathRootDir);
    timer.start();
    await putNow(store, clock, timed("late", 1_009_000));
    await putNow(store, clock, timed("early", 1_003_000));
    await putNow(store, clock, timed("middle", 1_006_000));
    await advance(clock, 1_900);
    expect(bodies(store)).toEqual([]);
    await advance(clock, 1_200); // 1,003,100
    expect(bodies(store)).toEqual(["early"]);
    await advance(clock, 6_000);
    expect(bodies(store)).toEqual(["early", "middle", "late"]);
    expect(timer.pendingCount()).toBe(0);
    timer.stop();
    store.shutdown();
  });

  test("broker: timer service: a restart that lost the progress file repeats nothing", async () => {
    const config = tempStoreConfig();
    roots.push(config.storePathRootDir);
    const before = new ManualClock(1_000_000);
    let { store } = openStore(config, { clock: before });
    let timer = service(store, before, config.storePathRootDir);
    timer.start();
    for (const [body, dueMs] of [
      ["a", 1_001_000],
      ["b", 1_050_000],
      ["c", 1_002_000],
    ] as const)
      await putNow(store, before, timed(body, dueMs));
    await advance(before, 2_500);
    expect(bodies(store)).toEqual(["a", "c"]);
    // Crash: no progress written (its timer never fired); the old service's clock stops here.
    store.shutdown();
    const clock = new ManualClock(before.nowMs());
    ({ store } = openStore(config, { clock }));
    timer = service(store, clock, config.storePathRootDir);
    timer.start();
    expect(timer.pendingCount()).toBe(1); // only b; a and c were found delivered
    await advance(clock, 50_000);
    expect(bodies(store)).toEqual(["a", "c", "b"]);
    timer.stop(); // writes the progress: the next start has nothing to look up
    store.shutdown();
    ({ store } = openStore(config, { clock }));
    timer = service(store, clock, config.storePathRootDir);
    timer.start();
    expect(timer.pendingCount()).toBe(0);
    timer.stop();
    store.shutdown();
  });

  test("broker: timer service: a message the store refuses for good is skipped, once", async () => {
    const config = tempStoreConfig();
    roots.push(config.storePathRootDir);
    const clock = new ManualClock(1_000_000);
    const { store } = openStore(config, { clock });
    const timer = service(store, clock, config.storePathRootDir);
    timer.start();
    await putNow(store, clock, timed("never", 1_001_000, "bad topic!")); // an illegal name
    await putNow(store, clock, timed("fine", 1_002_000));
    await advance(clock, 5_000);
    expect(bodies(store)).toEqual(["fine"]);
    expect(timer.pendingCount()).toBe(0); // not retried every second forever
    timer.stop();
    store.shutdown();
  });

  test("broker: timer service: many waiting messages, delivered in order when due", async () => {
    const config = tempStoreConfig({ mappedFileSizeCommitLog: 8 << 20, maxIndexNum: 40_000 });
    roots.push(config.storePathRootDir);
    const clock = new ManualClock(1_000_000);
    const { store } = openStore(config, { clock });
    const timer = service(store, clock, config.storePathRootDir);
    timer.start();
    const count = 10_000;
    // Due times spread over 100 s, sent in a scrambled order.
    const order = Array.from({ length: count }, (_, i) => (i * 7919) % count);
    const puts = order.map((i) => store.put(timed(`m${i}`, 1_010_000 + i * 10)));
    await advance(clock, 0);
    await Promise.all(puts);
    expect(timer.pendingCount()).toBe(count);
    await advance(clock, 9_000); // nothing due yet
    expect(bodies(store)).toEqual([]);
    await advance(clock, 101_000);
    const got = bodies(store);
    expect(got.length).toBe(count);
    expect(got).toEqual(Array.from({ length: count }, (_, i) => `m${i}`));
    timer.stop();
    store.shutdown();
  });
});
