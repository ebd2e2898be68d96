// The schedule service on a real store in a temp dir and a manual clock: a delayed message is
// invisible until its level's delay has passed, then stored once in its real topic and queue
// with the scheduled copy's properties; cursors survive a clean restart, and a crash that lost
// the cursor does not deliver anything twice.

import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { ScheduleService } from "../../../core/broker/schedule_service.ts";
import { delayedSendProperties } from "../../../core/broker/restored_properties.ts";
import { ManualClock } from "../../../core/common/clock.ts";
import { DelayLevels, defaultMessageDelayLevel } from "../../../core/common/delay_levels.ts";
import { memoryLogger } from "../../../core/common/log.ts";
import { RealFileIO, type MessageStore } from "../../../core/store/index.ts";
import { SCHEDULE_TOPIC_XXXX } from "../../../core/store/dispatch.ts";
import {
  advanceInSteps,
  message,
  openStore,
  putNow,
  queueBodies,
  tempStoreConfig,
} from "../../harness/temp_store.ts";

const levels = DelayLevels.parse(defaultMessageDelayLevel);
const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function service(store: MessageStore, clock: ManualClock, root: string) {
  const schedule = new ScheduleService({
    store,
    levels,
    clock,
    log: memoryLogger(),
    io: new RealFileIO(),
    storeRoot: root,
    flushIntervalMs: 10_000,
    storeHost: () => ({ ip: Uint8Array.of(127, 0, 0, 1), port: 10911 }),
  });
  store.onDispatch((r) => {
    if (r.topic === SCHEDULE_TOPIC_XXXX) schedule.onScheduled(r.queueId, r.tagsCode);
  });
  return schedule;
}

/** A send of `body` to Orders/queue with DELAY=level, as the broker stores it. */
function delayed(body: string, level: number, queueId = 1, uniqKey = `UK-${body}`) {
  const sent = new Map([
    ["UNIQ_KEY", uniqKey],
    ["WAIT", "true"],
    ["DELAY", String(level)],
  ]);
  const m = message(SCHEDULE_TOPIC_XXXX, level - 1, body);
  m.properties = delayedSendProperties(sent, "DefaultCluster", level, "Orders", queueId);
  return m;
}

const advance = (clock: ManualClock, ms: number) => advanceInSteps(clock, ms, 10);

const bodies = queueBodies;

describe("broker: schedule service", () => {
  test("broker: schedule service: a level-2 message arrives after 5 s, once", async () => {
    const config = tempStoreConfig();
    roots.push(config.storePathRootDir);
    const { store, clock } = openStore(config, { clock: new ManualClock(1_000_000) });
    const schedule = service(store, clock, config.storePathRootDir);
    schedule.start();
    const put = await putNow(store, clock, delayed("hello", 2));
    expect(put.status).toBe("PUT_OK");
    await advance(clock, 4_990);
    expect(bodies(store, "Orders", 1)).toEqual([]);
    await advance(clock, 20);
    expect(bodies(store, "Orders", 1)).toEqual(["hello"]);
    const [delivered] = store.getMessage("Orders", 1, 0, 1, 1 << 20).messages;
    const copy = store.lookMessageByOffset(delivered!.physicalOffset)!;
    const scheduled = store.lookMessageByOffset(put.appended[0]!.physicalOffset)!;
    expect(copy.properties).toBe(scheduled.properties);
    expect(copy.bornTimestamp).toBe(scheduled.bornTimestamp);
    expect(schedule.cursor(2)).toBe(1);
    await advance(clock, 60_000);
    expect(bodies(store, "Orders", 1)).toEqual(["hello"]);
    schedule.stop();
    store.shutdown();
  });

  test("broker: schedule service: levels run independently, each in order", async () => {
    const config = tempStoreConfig();
    roots.push(config.storePathRootDir);
    const { store, clock } = openStore(config, { clock: new ManualClock(1_000_000) });
    const schedule = service(store, clock, config.storePathRootDir);
    schedule.start();
    const tens = Array.from({ length: 150 }, (_, i) => delayed(`ten-${i}`, 3, 0));
    await putNow(store, clock, delayed("thirty", 4, 0));
    await advance(clock, 100);
    for (const m of tens) void store.put(m); // one drain: all stored at 1,000,100
    await advance(clock, 9_990);
    expect(bodies(store, "Orders", 0)).toEqual([]);
    await advance(clock, 100); // 64 per tick: three ticks, each with a drain
    expect(bodies(store, "Orders", 0)).toEqual(tens.map((_, i) => `ten-${i}`));
    await advance(clock, 19_820);
    expect(bodies(store, "Orders", 0).at(-1)).toBe("thirty");
    schedule.stop();
    store.shutdown();
  });

  test("broker: schedule service: due past the level's delay: the clock went back", async () => {
    const config = tempStoreConfig();
    roots.push(config.storePathRootDir);
    const clock = new ManualClock(10_000_000);
    const { store } = openStore(config, { clock });
    await putNow(store, clock, delayed("from-the-future", 1)); // due at 10,001,000
    store.shutdown();
    const back = new ManualClock(5_000_000); // the clock is set back by more than the delay
    const reopened = openStore(config, { clock: back }).store;
    const schedule = service(reopened, back, config.storePathRootDir);
    schedule.start();
    await advance(back, 10);
    expect(bodies(reopened, "Orders", 1)).toEqual(["from-the-future"]);
    schedule.stop();
    reopened.shutdown();
  });

  test("broker: schedule service: restarts neither lose nor repeat a delivery", async () => {
    const config = tempStoreConfig();
    roots.push(config.storePathRootDir);
    const before = new ManualClock(1_000_000);
    let { store } = openStore(config, { clock: before });
    let schedule = service(store, before, config.storePathRootDir);
    schedule.start();
    for (const body of ["a", "b", "c"]) await putNow(store, before, delayed(body, 1));
    await advance(before, 1_000);
    expect(bodies(store, "Orders", 1)).toEqual(["a", "b", "c"]);
    // A crash before the cursor was persisted: delayOffset.json never got it. The old service
    // is not stopped; its timers stay on a clock nobody advances again.
    store.shutdown(); // the commit log keeps the deliveries; only the cursor is lost
    const clock = new ManualClock(before.nowMs());
    ({ store } = openStore(config, { clock }));
    schedule = service(store, clock, config.storePathRootDir);
    schedule.start();
    expect(schedule.cursor(1)).toBe(3);
    await putNow(store, clock, delayed("d", 1));
    await advance(clock, 1_000);
    expect(bodies(store, "Orders", 1)).toEqual(["a", "b", "c", "d"]);
    // A clean stop persists the cursor; the next start begins there.
    schedule.stop();
    store.shutdown();
    ({ store } = openStore(config, { clock }));
    schedule = service(store, clock, config.storePathRootDir);
    expect(schedule.cursor(1)).toBe(0); // not loaded before start()
    schedule.start();
    expect(schedule.cursor(1)).toBe(4);
    await advance(clock, 5_000);
    expect(bodies(store, "Orders", 1)).toEqual(["a", "b", "c", "d"]);
    schedule.stop();
    store.shutdown();
  });
});
