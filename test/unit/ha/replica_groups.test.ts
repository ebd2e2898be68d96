// The controller's rules on a manual clock: first master, ids, SyncStateSet changes fenced by
// epochs, election among alive in-sync replicas by (epoch, max offset, priority), no election
// of a stale replica unless unclean elections are allowed.

import { describe, expect, test } from "bun:test";
import { ReplicaGroups } from "../../../core/ha/controller/replica_groups.ts";
import { ManualClock } from "../../../core/common/clock.ts";

const report = (epoch: number, maxOffset: number, electionPriority = 0) => ({
  epoch,
  maxOffset,
  electionPriority,
});

describe("ha: controller rules", () => {
  test("ha: controller: first master, ids, fenced SyncStateSet changes", () => {
    const clock = new ManualClock(0);
    const groups = new ReplicaGroups(clock, 10_000);
    expect(groups.nextBrokerId("c", "b")).toBe(1);
    expect(groups.applyBrokerId("c", "b", 1, "code-1")).toBe(true);
    expect(groups.applyBrokerId("c", "b", 1, "code-1")).toBe(true); // a retry gets its own id
    expect(groups.applyBrokerId("c", "b", 1, "other")).toBe(false);
    expect(groups.applyBrokerId("c", "b", 3, "code-3")).toBe(false); // not the next one
    expect(groups.applyBrokerId("c", "b", 2, "code-2")).toBe(true);
    expect(groups.nextBrokerId("c", "b")).toBe(3);
    const first = groups.register("c", "b", 1, "10.0.0.1:10911", report(0, 0));
    expect(first.view).toMatchObject({ masterId: 1, masterEpoch: 1, syncStateSet: [1] });
    expect(first.elected?.cause).toBe("first replica of the group");
    const second = groups.register("c", "b", 2, "10.0.0.2:10911", report(0, 0));
    expect(second.elected).toBeNull();
    expect(second.view.masterAddress).toBe("10.0.0.1:10911");
    // The master adds the caught-up slave, with the epochs it knows.
    expect(groups.alterSyncStateSet("b", 1, 1, [1, 2], 1)).toEqual({
      ok: true,
      syncStateSetEpoch: 2,
    });
    expect(groups.alterSyncStateSet("b", 1, 1, [1], 1)).toEqual({
      ok: false,
      reason: "FENCED_SYNC_STATE_SET_EPOCH",
    });
    expect(groups.alterSyncStateSet("b", 1, 0, [1], 2)).toEqual({
      ok: false,
      reason: "FENCED_MASTER_EPOCH",
    });
    expect(groups.alterSyncStateSet("b", 2, 1, [2], 2)).toEqual({
      ok: false,
      reason: "INVALID_MASTER",
    });
    expect(groups.alterSyncStateSet("b", 1, 1, [2], 2)).toEqual({ ok: false, reason: "FAILED" });
    expect(groups.alterSyncStateSet("b", 1, 1, [1, 7], 2)).toEqual({
      ok: false,
      reason: "INVALID_REPLICAS",
    });
  });

  test("ha: controller: a dead master's best in-sync replica takes over", () => {
    const clock = new ManualClock(0);
    const groups = new ReplicaGroups(clock, 10_000);
    groups.register("c", "b", 1, "m:1", report(0, 0));
    for (const id of [2, 3, 4]) groups.register("c", "b", id, `s:${id}`, report(0, 0));
    expect(groups.alterSyncStateSet("b", 1, 1, [1, 2, 3], 1).ok).toBe(true);
    clock.advance(8_000);
    groups.heartbeat("b", 2, report(1, 500));
    groups.heartbeat("b", 3, report(1, 900)); // further ahead than 2
    groups.heartbeat("b", 4, report(1, 5_000)); // furthest, but not in sync: never chosen clean
    expect(groups.scanInactive()).toEqual([]); // the master's heartbeat is 8 s old: still alive
    clock.advance(2_001);
    const [event] = groups.scanInactive();
    expect(event!.view).toMatchObject({ masterId: 3, masterEpoch: 2, syncStateSet: [3] });
    // The deposed master comes back: it is not the master any more, whatever it asks.
    groups.register("c", "b", 1, "m:1", report(1, 1_000));
    expect(groups.alterSyncStateSet("b", 1, 1, [1], 2)).toEqual({
      ok: false,
      reason: "INVALID_MASTER",
    });
    // The new master with a stale master epoch is fenced too.
    expect(groups.alterSyncStateSet("b", 3, 1, [3, 1], 2)).toEqual({
      ok: false,
      reason: "FENCED_MASTER_EPOCH",
    });
    expect(groups.view(groups.group("b")!).masterId).toBe(3);
  });

  test("ha: controller: ties go to priority; nobody in sync means no master, or unclean", () => {
    const clock = new ManualClock(0);
    const clean = new ReplicaGroups(clock, 1_000);
    clean.register("c", "b", 1, "m", report(0, 0));
    clean.register("c", "b", 2, "s2", report(0, 0, 5));
    clean.register("c", "b", 3, "s3", report(0, 0, 1));
    clean.alterSyncStateSet("b", 1, 1, [1, 2, 3], 1);
    clean.disconnected("b", 1);
    const [tie] = clean.scanInactive();
    expect(tie!.view.masterId).toBe(3); // same epoch and offset: priority 1 beats 5

    const lonely = new ReplicaGroups(clock, 1_000);
    lonely.register("c", "b", 1, "m", report(0, 0));
    lonely.register("c", "b", 2, "s", report(0, 100));
    lonely.disconnected("b", 1);
    const [none] = lonely.scanInactive();
    expect(none!.view.masterId).toBeNull(); // 2 was never in sync: writes stop
    expect(none!.cause).toMatch(/no candidate/);
    // The old master returns: it is in the in-sync set, so it leads again (new epoch).
    const back = lonely.register("c", "b", 1, "m", report(1, 100));
    expect(back.view).toMatchObject({ masterId: 1, masterEpoch: 3 }); // 2 went to "nobody"

    const unclean = new ReplicaGroups(clock, 1_000, true);
    unclean.register("c", "b", 1, "m", report(0, 0));
    unclean.register("c", "b", 2, "s", report(0, 100));
    unclean.disconnected("b", 1);
    expect(unclean.scanInactive()[0]!.view.masterId).toBe(2);
  });
});
