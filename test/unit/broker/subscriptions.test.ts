// Consumer group settings as RocketMQ 4.9.7 keeps them: its tools' groups exist from the start
// (the file's settings win over them), CID_RMQ_SYS_ groups are made even with auto-creation
// off, and other unknown groups are not.

import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../../core/common/clock.ts";
import { memoryLogger } from "../../../core/common/log.ts";
import { SubscriptionGroupManager } from "../../../core/broker/subscriptions.ts";
import { MemoryFileIO } from "../../harness/memory_file_io.ts";

describe("broker: subscription groups", () => {
  test("broker: subscription groups: built-in and system groups with auto-creation off", () => {
    const io = new MemoryFileIO();
    const groups = new SubscriptionGroupManager(
      io,
      "/store",
      false,
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
      false,
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
});
