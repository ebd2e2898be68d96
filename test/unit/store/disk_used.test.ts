// Disk use as retention sees it (retention.ts diskUsedPercent): df's and RocketMQ 4.9.7's
// used / (used + usable), rounded up; blocks reserved for root are neither used nor room.

import { describe, expect, test } from "bun:test";
import { diskUsedPercent } from "../../../core/store/retention.ts";

const GiB = 1024 ** 3;

describe("store: disk used", () => {
  test("store: disk used: the root reserve counts neither as used nor as room", () => {
    // This machine's root file system: 252 GiB, 25 GiB used, 78 GiB usable, the rest reserved.
    const space = { totalBytes: 252 * GiB, freeBytes: 227 * GiB, usableBytes: 78 * GiB };
    expect(diskUsedPercent(space)).toBe(25); // df: 25 / (25 + 78) = 24.3 %, rounded up
    // Without a reserve free and usable are the same: plain used / total.
    expect(diskUsedPercent({ totalBytes: 100, freeBytes: 10, usableBytes: 10 })).toBe(90);
    expect(diskUsedPercent({ totalBytes: 1000, freeBytes: 800, usableBytes: 800 })).toBe(20);
  });

  test("store: disk used: rounds up to a whole percent, as RocketMQ does", () => {
    expect(diskUsedPercent({ totalBytes: 300, freeBytes: 200, usableBytes: 200 })).toBe(34);
    expect(diskUsedPercent({ totalBytes: 100, freeBytes: 25, usableBytes: 25 })).toBe(75);
  });

  test("store: disk used: a full disk and degenerate answers", () => {
    expect(diskUsedPercent({ totalBytes: 100, freeBytes: 5, usableBytes: 0 })).toBe(100);
    expect(diskUsedPercent({ totalBytes: 0, freeBytes: 0, usableBytes: 0 })).toBe(0);
    expect(diskUsedPercent({ totalBytes: 100, freeBytes: 100, usableBytes: 0 })).toBe(0);
  });
});
