// Held pulls on a manual clock: woken by a message their tags accept, by the periodic check
// once their queue has grown past them by other messages only, or by their deadline.

import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../../core/common/clock.ts";
import { createRequest } from "../../../core/protocol/command.ts";
import type { PullMessageRequestHeader } from "../../../core/protocol/headers/pull.ts";
import { RequestCode } from "../../../core/protocol/request_code.ts";
import { PullHoldService, type HeldPull } from "../../../core/broker/long_polling.ts";
import { fakeChannel } from "../../harness/fake_channel.ts";

const tagA = 65;

/** A pull at queue 0 of T from `queueOffset`, due `deadlineMs` from now, accepting tag A. */
function heldPull(clock: ManualClock, queueOffset: number, deadlineMs: number): HeldPull {
  return {
    header: { topic: "T", queueId: 0, queueOffset } as PullMessageRequestHeader,
    deadlineMs: clock.nowMs() + deadlineMs,
    accept: (tagsCode) => tagsCode === tagA,
    request: createRequest(RequestCode.PULL_MESSAGE),
    channel: fakeChannel({ clock }).channel,
  };
}

describe("broker: long polling", () => {
  test("broker: long polling: tags, the periodic check of the queue's end, deadlines", () => {
    const clock = new ManualClock();
    let maxOffset = 5;
    const answered: number[] = [];
    const hold = new PullHoldService(
      clock,
      (pull) => answered.push(pull.header.queueOffset),
      () => maxOffset,
    );
    hold.start(1_000);
    const byTag = heldPull(clock, 5, 15_000);
    const byOthers = heldPull(clock, 5, 15_000);
    const byDeadline = heldPull(clock, 6, 2_500);
    for (const pull of [byTag, byOthers, byDeadline]) expect(hold.hold(pull)).toBe(true);

    // A message of another tag: nobody wakes on its arrival.
    maxOffset = 6;
    hold.notifyMessageArriving("T", 0, 6, 66);
    expect(answered).toEqual([]);
    // Within a check, both pulls at 5 are answered: the queue has passed them. The pull at 6
    // waits for its own message or its deadline.
    clock.advance(1_000);
    expect(answered).toEqual([5, 5]);
    expect(hold.heldCount()).toBe(1);
    clock.advance(1_000);
    expect(hold.heldCount()).toBe(1);
    clock.advance(1_000); // 3,000 ms: past its 2,500
    expect(answered).toEqual([5, 5, 6]);
    expect(hold.heldCount()).toBe(0);

    // A message its tags accept wakes a pull at once.
    hold.hold(heldPull(clock, 6, 20_000)); // held at 3,000 ms, due at 23,000
    maxOffset = 7;
    hold.notifyMessageArriving("T", 0, 7, tagA);
    expect(answered).toEqual([5, 5, 6, 6]);
    hold.stop();
  });
});
