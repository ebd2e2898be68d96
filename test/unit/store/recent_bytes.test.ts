// RecentBytes against a model log: every read it answers matches the bytes written there, and
// it answers every read inside the newest `capacity` bytes of an unbroken run of writes.

import { describe, expect, test } from "bun:test";
import { Prng } from "../../../core/common/prng.ts";
import { RecentBytes } from "../../../core/store/recent_bytes.ts";

describe("store: recent bytes", () => {
  test("store: recent bytes: answers match the log; recent reads are always answered", () => {
    const prng = new Prng(5);
    const capacity = 1000;
    const recent = new RecentBytes(capacity);
    const log: number[] = []; // byte at each offset, the model
    let end = 0;
    let runStart = 0; // start of the current unbroken run of writes
    let floor = 0; // ring bytes below this were overwritten by bytes a truncation removed
    let answered = 0;
    for (let step = 0; step < 4000; step++) {
      const roll = prng.below(100);
      if (roll < 3) {
        end += 1 + prng.below(500); // a gap, as after a segment roll
        runStart = end;
      } else if (roll < 5 && end > runStart) {
        floor = Math.max(floor, end - capacity);
        end -= prng.below(end - runStart); // a truncation: the bytes past it are gone
        log.length = end;
        recent.truncate(end);
      } else {
        const bytes = Uint8Array.from(
          { length: 1 + prng.below(prng.below(10) === 0 ? 2500 : 300) },
          () => prng.below(256),
        );
        recent.wrote(end, bytes);
        bytes.forEach((b, i) => (log[end + i] = b));
        bytes.fill(0); // the caller may reuse its buffer
        end += bytes.length;
      }
      for (let probe = 0; probe < 5; probe++) {
        const from = Math.max(0, end - prng.below(2 * capacity));
        const length = 1 + prng.below(200);
        const got = recent.read(from, length);
        // readInto answers exactly when read does, with the same bytes, where it is told.
        const into = new Uint8Array(length + 3).fill(7);
        expect(recent.readInto(from, length, into, 2)).toBe(got !== undefined);
        if (got !== undefined) expect([...into.subarray(2, 2 + length)]).toEqual([...got]);
        expect([into[0], into[1], into[length + 2]]).toEqual([7, 7, 7]);
        const inRecent = from >= Math.max(runStart, floor, end - capacity) && from + length <= end;
        if (inRecent && roll >= 5) expect(got).toBeDefined();
        if (got === undefined) continue;
        answered++;
        expect(from + length).toBeLessThanOrEqual(end);
        expect([...got]).toEqual(Array.from({ length }, (_, i) => log[from + i]!));
      }
    }
    expect(answered).toBeGreaterThan(1000);
  });
});
