// Consumer group settings as RocketMQ 4.9.7 keeps them: its tools' groups exist from the start
// (the file's settings win over them), CID_RMQ_SYS_ groups are made even with auto-creation
// off, and other unknown groups are not; every change moves the table's dataVersion, and a
// slave's copy of an unchanged version changes nothing.

import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../../core/common/clock.ts";
import { memoryLogger } from "../../../core/common/log.ts";
import { SubscriptionGroupManager } from "../../../core/broker/subscriptions.ts";
import {
  decodeSubscriptionGroups,
  defaultSubscriptionGroup,
} from "../../../core/broker/config_files.ts";
import { MemoryFileIO } from "../../harness/memory_file_io.ts";

describe("broker: subscription groups", () => {
  test("broker: subscription groups: built-in and system groups with auto-creation off", () => {
    const io = new MemoryFileIO();
    const groups = new SubscriptionGroupManager(
      io,
      "/store",
      () => false,
      new ManualClock(),
      memoryLogger(),
    );
    groups.load();
    expect(groups.findOrCreate("TOOLS_CONSUMER")?.groupName).toBe("TOOLS_CONSUMER");
    expect(groups.findOrCreate("CID_RMQ_SYS_TRANS")?.groupName).toBe("CID_RMQ_SYS_TRANS");
    expect(groups.findOrCreate("orders")).toBeUndefined();
    expect([...groups.all().keys()].slice(0, 2)).toEqual(["TOOLS_CONSUMER", "FILTERSRV_CONSUMER"]);

    // A restart reads the file: its own TOOLS_CONSUMER settings stay.
    const path = "/store/config/subscriptionGroup.json";
    const text = JSON.stringify({
      subscriptionGroupTable: { TOOLS_CONSUMER: { groupName: "TOOLS_CONSUMER", retryMaxTimes: 3 } },
    });
    const again = new SubscriptionGroupManager(
      io,
      "/store",
      () => false,
      new ManualClock(),
      memoryLogger(),
    );
    io.remove(path); // written by the CID_RMQ_SYS_ group's creation above
    const handle = io.open(path, { create: true });
    handle.write(new TextEncoder().encode(text), 0);
    handle.close();
    again.load();
    expect(again.findOrCreate("TOOLS_CONSUMER")?.retryMaxTimes).toBe(3);
    expect(again.findOrCreate("SELF_TEST_C_GROUP")?.retryMaxTimes).toBe(16);
  });

  test("broker: subscription groups: a change moves the version; a slave skips a same copy", () => {
    const io = new MemoryFileIO();
    const clock = new ManualClock(1_000);
    const groups = new SubscriptionGroupManager(io, "/store", () => false, clock, memoryLogger());
    groups.load();
    expect(groups.dataVersion.counter).toBe(0);
    clock.advance(5);
    groups.put({ ...defaultSubscriptionGroup("orders"), retryMaxTimes: 2 });
    expect([groups.dataVersion.counter, groups.dataVersion.timestamp]).toEqual([1, 1_005]);
    expect(groups.all().get("orders")?.retryMaxTimes).toBe(2);
    const path = "/store/config/subscriptionGroup.json";
    const bytes = io.readAt(path, 0, io.sizeBytes(path));
    const written = decodeSubscriptionGroups(new TextDecoder().decode(bytes));
    expect(written.subscriptionGroupTable.get("orders")?.retryMaxTimes).toBe(2);
    expect(written.dataVersion.counter).toBe(1);

    expect(groups.delete("nowhere")).toBe(false);
    expect(groups.dataVersion.counter).toBe(1);
    expect(groups.delete("orders")).toBe(true);
    expect([groups.dataVersion.counter, groups.all().get("orders")]).toEqual([2, undefined]);

    // A slave: the master's table lands once per version.
    const slave = new SubscriptionGroupManager(
      new MemoryFileIO(),
      "/store",
      () => false,
      clock,
      memoryLogger(),
    );
    slave.load();
    const master = new Map([["orders", defaultSubscriptionGroup("orders")]]);
    slave.replaceAll(master, { counter: 4, stateVersion: 0, timestamp: 900 });
    expect(slave.all().get("orders")).toBeDefined();
    slave.replaceAll(new Map(), { counter: 4, stateVersion: 0, timestamp: 900 });
    expect(slave.all().get("orders")).toBeDefined();
    slave.replaceAll(new Map(), { counter: 5, stateVersion: 0, timestamp: 950 });
    expect(slave.all().get("orders")).toBeUndefined();
    expect(slave.dataVersion.counter).toBe(5);
  });
});
