// The controller with its state file on a temp dir and a manual clock: a restart keeps ids,
// master, epochs and the in-sync set, gives every replica one heartbeat timeout to show up,
// and elects once the master stays silent; a stopped controller elects no one; a torn state
// file falls back to its .bak; a new in-sync set is announced only once it is stored.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../../../core/common/clock.ts";
import { memoryLogger } from "../../../core/common/log.ts";
import { Controller } from "../../../core/ha/controller/controller.ts";
import { SoleLeadership } from "../../../core/ha/controller/leadership.ts";
import { CONTROLLER_STATE_FILE, FileStateStore } from "../../../core/ha/controller/state_store.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function controller(dir: string, clock: ManualClock, store = new FileStateStore(dir)) {
  const log = memoryLogger();
  const c = new Controller({
    clock,
    log,
    store,
    leadership: new SoleLeadership(() => "127.0.0.1:9876"),
    heartbeatTimeoutMs: 10_000,
    scanIntervalMs: 5_000,
    allowUncleanElection: false,
  });
  const elected: number[] = [];
  c.onElection((event) => {
    if (event.view.masterId !== null) elected.push(event.view.masterId);
  });
  await c.start();
  return { c, elected, log };
}

async function join3(c: Controller) {
  for (const id of [1, 2, 3]) {
    expect(await c.applyBrokerId("c", "g", id, `code-${id}`)).toBe(true);
    await c.register("c", "g", id, `127.0.0.1:${10_000 + id}`, { epoch: 0, maxOffset: 0 });
  }
  expect((await c.alterSyncStateSet("g", 1, 1, [1, 2, 3], 1)).ok).toBe(true);
}

describe("ha: controller state", () => {
  test("ha: controller: a restart keeps the group; a silent master is replaced", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rmq-controller-"));
    dirs.push(dir);
    const clock = new ManualClock(1_000);
    const first = await controller(dir, clock);
    await join3(first.c);
    expect(first.elected).toEqual([1]);
    await first.c.stop();
    first.c.disconnected("g", 1); // the name server stopping closes every connection
    expect(first.elected).toEqual([1]);

    const second = await controller(dir, clock);
    expect(await second.c.replicaInfo("g")).toMatchObject({
      masterId: 1,
      masterEpoch: 1,
      syncStateSet: [1, 2, 3],
      syncStateSetEpoch: 2,
    });
    expect(await second.c.nextBrokerId("c", "g")).toBe(4);
    expect(await second.c.applyBrokerId("c", "g", 2, "code-2")).toBe(true); // its own id again
    // Replicas 2 and 3 heartbeat; 1 never comes back.
    for (let t = 0; t < 3; t++) {
      clock.advance(4_000);
      second.c.heartbeat("g", 2, { epoch: 1, maxOffset: 500 });
      second.c.heartbeat("g", 3, { epoch: 1, maxOffset: 900 });
      await second.c.scan();
    }
    expect(second.elected).toEqual([3]); // the furthest in-sync replica
    expect(await second.c.replicaInfo("g")).toMatchObject({ masterId: 3, masterEpoch: 2 });
  });

  test("ha: controller: a torn state file falls back to its .bak", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rmq-controller-"));
    dirs.push(dir);
    const clock = new ManualClock(0);
    const first = await controller(dir, clock);
    await join3(first.c); // several writes: the .bak holds the one before the last
    await first.c.stop();
    writeFileSync(join(dir, CONTROLLER_STATE_FILE), '{"version":1,"gro');
    const second = await controller(dir, clock);
    expect(await second.c.replicaInfo("g")).toMatchObject({ masterId: 1, masterEpoch: 1 });
  });

  test("ha: controller: a new in-sync set is logged only once stored", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rmq-controller-"));
    dirs.push(dir);
    const file = new FileStateStore(dir);
    let release: (() => void) | null = null;
    const gated = {
      where: file.where,
      load: () => file.load(),
      async save(groups: Parameters<FileStateStore["save"]>[0]) {
        if (release === null && gate) await new Promise<void>((r) => (release = r));
        return file.save(groups);
      },
    };
    let gate = false;
    const { c, log } = await controller(dir, new ManualClock(0), gated);
    for (const id of [1, 2]) {
      await c.applyBrokerId("c", "g", id, `code-${id}`);
      await c.register("c", "g", id, `127.0.0.1:${10_000 + id}`, { epoch: 0, maxOffset: 0 });
    }
    gate = true;
    const altered = c.alterSyncStateSet("g", 1, 1, [1, 2], 1);
    await Bun.sleep(20);
    expect(release).not.toBeNull(); // the store was asked and has not finished
    expect(log.lines.join("\n")).not.toContain("in-sync set is now");
    release!();
    expect((await altered).ok).toBe(true);
    expect(log.lines.join("\n")).toContain("in-sync set is now [1,2]");
  });
});
