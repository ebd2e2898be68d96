// Controller-mode replication between two stores over loopback TCP (AutoSwitchMaster and
// AutoSwitchSlave, no processes): a replica copies its master byte for byte with the epoch
// file; after a failover, the deposed master's unreplicated tail is cut at the last offset
// both share and it follows the new master until both logs, queues and epochs are identical.

import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { SystemClock } from "../../../core/common/clock.ts";
import { memoryLogger } from "../../../core/common/log.ts";
import { AutoSwitchMaster } from "../../../core/ha/autoswitch_master.ts";
import { AutoSwitchSlave } from "../../../core/ha/autoswitch_slave.ts";
import { EpochFile } from "../../../core/ha/epoch_file.ts";
import { MessageStore, RealFileIO, storePaths, verifyStore } from "../../../core/store/index.ts";
import { message, tempStoreConfig } from "../../harness/temp_store.ts";
import { waitFor } from "../../harness/wait_for.ts";

const clock = new SystemClock();
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A store with its epoch file, on a temp dir removed after the test. */
function replica(name: string) {
  const config = tempStoreConfig({ mappedFileSizeCommitLog: 32 * 1024 });
  const log = memoryLogger();
  const store = new MessageStore({ config, io: new RealFileIO(), clock, log });
  store.start();
  const epochs = new EpochFile(join(config.storePathRootDir, "epochFileCheckpoint"));
  epochs.load();
  cleanups.push(() => {
    store.shutdown();
    rmSync(config.storePathRootDir, { recursive: true, force: true });
  });
  return { name, config, store, epochs, log };
}
type Replica = ReturnType<typeof replica>;

async function put(r: Replica, count: number, tag: string) {
  for (let i = 0; i < count; i++) {
    const body = `${tag}-${i}-${"x".repeat(200 + (i % 300))}`;
    const result = await r.store.put(message("HaT", i % 3, body, { KEYS: `${tag}-${i}` }));
    expect(result.status).toBe("PUT_OK");
  }
}

function serve(master: Replica, ackFrom: number[]) {
  const ha = new AutoSwitchMaster({
    store: master.store,
    epochs: master.epochs,
    clock,
    log: master.log,
    host: "127.0.0.1",
    port: 0,
    heartbeatIntervalMs: 1_000,
    housekeepingIntervalMs: 10_000,
    transferBatchBytes: 4 * 1024,
    serving: true,
    ackFrom: () => ({ ids: ackFrom, count: ackFrom.length }),
  });
  const { port } = ha.start();
  master.store.onDispatch(() => queueMicrotask(() => ha.notifyAppended()));
  cleanups.push(() => ha.stop());
  return { ha, address: `127.0.0.1:${port}` };
}

function follow(slave: Replica, brokerId: number, address: string) {
  const ha = new AutoSwitchSlave({
    store: slave.store,
    epochs: slave.epochs,
    clock,
    log: slave.log,
    brokerId,
    masterAddress: () => address,
    reportIntervalMs: 1_000,
    housekeepingIntervalMs: 10_000,
  });
  ha.start();
  cleanups.push(() => ha.stop());
  return ha;
}

function logBytes(r: Replica): string {
  const dir = storePaths(r.config.storePathRootDir).commitLog;
  const end = r.store.commitLog.writePosition;
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const bytes = readFileSync(join(dir, name));
      return bytes.subarray(0, Math.max(0, Math.min(bytes.length, end - Number(name))));
    })
    .map((b) => Buffer.from(b).toString("base64"))
    .join("|");
}

describe("ha: autoswitch replication", () => {
  test("ha: autoswitch: a deposed master cuts its unreplicated tail and follows", async () => {
    const a = replica("a");
    const b = replica("b");
    a.epochs.append({ epoch: 1, startOffset: 0 });
    await put(a, 150, "first");
    const aServing = serve(a, [2]);
    const bFollowing = follow(b, 2, aServing.address);
    await waitFor(() => b.store.commitLog.writePosition === a.store.commitLog.writePosition, {
      what: "b to catch up",
    });
    // SYNC sends wait for b's ack, which comes.
    const end = a.store.commitLog.writePosition;
    expect(await aServing.ha.waitForAck(end, 2_000)).toBe(true);
    expect(b.epochs.entries()).toEqual([{ epoch: 1, startOffset: 0 }]);
    expect(logBytes(b)).toBe(logBytes(a));
    // b dispatches what a confirms, which a tells it with its next frame: wait for that, or
    // what follows depends on whether a heartbeat came before the cut.
    await waitFor(() => [0, 1, 2].every((q) => b.store.maxOffsetInQueue("HaT", q) === 50), {
      what: "b to dispatch the confirmed messages",
    });

    // b is cut off; a goes on alone and its next SYNC wait times out.
    bFollowing.stop();
    await put(a, 40, "lost");
    expect(await aServing.ha.waitForAck(a.store.commitLog.writePosition, 200)).toBe(false);
    aServing.ha.stop();
    const shared = b.store.commitLog.writePosition;
    expect(a.store.commitLog.writePosition).toBeGreaterThan(shared);

    // b leads epoch 2 from where its log ends and writes other messages, their queue offsets
    // after the replicated ones (as the broker's becomeMaster does).
    const queued = () => [0, 1, 2].map((q) => b.store.maxOffsetInQueue("HaT", q));
    const before = queued();
    b.epochs.append({ epoch: 2, startOffset: shared });
    b.store.recoverQueueOffsets();
    await put(b, 60, "second");
    expect(queued()).toEqual(before.map((n) => n + 20));
    const bServing = serve(b, [1]);
    follow(a, 1, bServing.address);
    // a dispatches what b confirms: b's heartbeat after a's ack tells it.
    const queuesMatch = () =>
      [0, 1, 2].every(
        (q) => a.store.maxOffsetInQueue("HaT", q) === b.store.maxOffsetInQueue("HaT", q),
      );
    await waitFor(
      () =>
        a.store.commitLog.writePosition === b.store.commitLog.writePosition &&
        a.epochs.entries().length === 2 &&
        queuesMatch(),
      { what: "a to truncate, catch up and dispatch" },
    );
    expect(a.log.lines.some((l) => l.includes(`shares up to ${shared}`))).toBe(true);
    expect(a.epochs.entries()).toEqual(b.epochs.entries());
    expect(logBytes(a)).toBe(logBytes(b));
    // The lost messages are gone from a's index too; b's are there.
    expect(a.store.queryMessage("HaT", "lost-5", 4, 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(a.store.queryMessage("HaT", "second-5", 4, 0, Number.MAX_SAFE_INTEGER).length).toBe(1);
    const report = verifyStore(new RealFileIO(), a.config.storePathRootDir);
    expect(report.problems).toEqual([]);
  });

  test("ha: autoswitch: SYNC acks wait for every replica named, none when none is", async () => {
    const a = replica("a");
    a.epochs.append({ epoch: 1, startOffset: 0 });
    await put(a, 5, "m");
    const alone = serve(a, []);
    expect(await alone.ha.waitForAck(a.store.commitLog.writePosition, 50)).toBe(true);
    alone.ha.stop();
    const b = replica("b");
    const c = replica("c");
    const both = serve(a, [2, 3]);
    follow(b, 2, both.address);
    const end = a.store.commitLog.writePosition;
    expect(await both.ha.waitForAck(end, 300)).toBe(false); // c is not there yet
    follow(c, 3, both.address);
    expect(await both.ha.waitForAck(end, 3_000)).toBe(true);
    expect(
      both.ha
        .replicaStates()
        .map((s) => s.brokerId)
        .sort(),
    ).toEqual([2, 3]);
  });

  test("ha: autoswitch: a replica dispatches only what its master confirms", async () => {
    const a = replica("a");
    a.epochs.append({ epoch: 1, startOffset: 0 });
    await put(a, 30, "c");
    // SYNC sends here wait for replicas 2 and 3: until both ack, nothing is confirmed.
    const serving = serve(a, [2, 3]);
    const b = replica("b");
    follow(b, 2, serving.address);
    const end = a.store.commitLog.writePosition;
    await waitFor(() => b.store.commitLog.writePosition === end, { what: "b to have the bytes" });
    const queued = (r: Replica) => [0, 1, 2].map((q) => r.store.maxOffsetInQueue("HaT", q));
    expect(queued(b)).toEqual([0, 0, 0]); // held back: a failover could still cut them
    const c = replica("c");
    follow(c, 3, serving.address);
    await waitFor(() => queued(b).join() === queued(a).join(), {
      what: "b to dispatch once both replicas acked",
    });
    expect(queued(b)).toEqual([10, 10, 10]);
  });
});
