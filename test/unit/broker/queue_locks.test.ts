// Orderly queue locks on a manual clock (spec §8.1): one holder per queue and group, refresh by
// the holder, expiry after lockMaxLiveTime, unlock only by the holder; and the lock bodies in the
// JSON shape the Java client sends.

import { describe, expect, test } from "bun:test";
import { QueueLocks } from "../../../core/broker/queue_locks.ts";
import { ManualClock } from "../../../core/common/clock.ts";
import {
  decodeLockBatchRequest,
  decodeLockBatchResponse,
  encodeLockBatchResponse,
} from "../../../core/protocol/lock_batch_body.ts";

const q = (queueId: number) => ({ topic: "T", brokerName: "b", queueId });

describe("broker: queue locks", () => {
  test("broker: queue locks: one holder; refresh; expiry; unlock by the holder only", () => {
    const clock = new ManualClock(0);
    const locks = new QueueLocks(clock, 60_000);
    expect(locks.tryLock("g", [q(0), q(1)], "A")).toEqual([q(0), q(1)]);
    expect(locks.tryLock("g", [q(1), q(2)], "B")).toEqual([q(2)]);
    expect(locks.tryLock("other", [q(1)], "B")).toEqual([q(1)]); // groups are separate
    clock.advance(50_000);
    expect(locks.tryLock("g", [q(0)], "A")).toEqual([q(0)]); // refreshed at 50 s
    clock.advance(10_001); // q(1) last refreshed at 0: expired; q(0) at 50 s: held
    expect(locks.tryLock("g", [q(0), q(1)], "B")).toEqual([q(1)]);
    expect(locks.holder("g", q(0))).toBe("A");
    locks.unlock("g", [q(0)], "B"); // not B's to release
    expect(locks.holder("g", q(0))).toBe("A");
    locks.unlock("g", [q(0)], "A");
    expect(locks.holder("g", q(0))).toBeUndefined();
    expect(locks.holder("g", q(1))).toBe("B");
    clock.advance(60_001);
    expect(locks.holder("g", q(1))).toBeUndefined();
  });

  test("broker: queue locks: bodies as the Java client writes them", () => {
    // The spec's example (§3.8), as fastjson writes LockBatchRequestBody.
    const request = decodeLockBatchRequest(
      new TextEncoder().encode(
        '{"clientId":"10.0.0.5@4711#1","consumerGroup":"cg1",' +
          '"mqSet":[{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}],' +
          '"onlyThisBroker":false}',
      ),
    );
    expect(request).toEqual({
      clientId: "10.0.0.5@4711#1",
      consumerGroup: "cg1",
      mqSet: [{ brokerName: "broker-a", queueId: 0, topic: "TopicTest" }],
      onlyThisBroker: false,
    });
    const answer = encodeLockBatchResponse(request.mqSet);
    expect(new TextDecoder().decode(answer)).toBe(
      '{"lockOKMQSet":[{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}]}',
    );
    expect(decodeLockBatchResponse(answer)).toEqual(request.mqSet);
    expect(() => decodeLockBatchRequest(new TextEncoder().encode('{"mqSet":3}'))).toThrow();
  });
});
