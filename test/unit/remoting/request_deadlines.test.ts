// Pending requests' deadlines, one timer per timeout value: each request expires exactly at its
// deadline unless answered first, whatever order answers come in and however timeouts mix.

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ManualClock, type Clock, type TimerHandle } from "../../../core/common/clock.ts";
import { Prng } from "../../../core/common/prng.ts";
import { RequestDeadlines } from "../../../core/remoting/request_deadlines.ts";

describe("remoting: request deadlines", () => {
  test("remoting: request deadlines: expiries match a timer per request (seeded)", () => {
    const prng = new Prng(3);
    const clock = new ManualClock(1_000);
    const pending = new Map<number, { deadlineMs: number; timeoutMs: number }>();
    const expired: [number, number][] = [];
    const deadlineOf = new Map<number, number>();
    const deadlines = new RequestDeadlines(
      clock,
      (id) => pending.has(id),
      (id) => {
        expired.push([id, clock.nowMs()]);
        pending.delete(id);
      },
    );
    let nextId = 1;
    for (let step = 0; step < 3000; step++) {
      const roll = prng.below(10);
      if (roll < 5) {
        const timeoutMs = [50, 50, 50, 200, 3000][prng.below(5)]!;
        const id = nextId++;
        pending.set(id, { deadlineMs: clock.nowMs() + timeoutMs, timeoutMs });
        deadlineOf.set(id, clock.nowMs() + timeoutMs);
        deadlines.add(id, timeoutMs);
      } else if (roll < 8 && pending.size > 0) {
        // An answer, usually the oldest, sometimes any.
        const ids = [...pending.keys()];
        const id = prng.below(4) === 0 ? ids[prng.below(ids.length)]! : ids[0]!;
        pending.delete(id);
        deadlines.settled();
      } else {
        const before = new Map(pending);
        clock.advance(prng.below(40));
        // Exactly those past their deadline are gone, each at its deadline's turn.
        for (const [id, p] of before) {
          expect(pending.has(id)).toBe(p.deadlineMs > clock.nowMs());
        }
      }
    }
    for (const [id, atMs] of expired) expect(atMs).toBeGreaterThanOrEqual(deadlineOf.get(id)!);
    clock.advance(10_000);
    expect(pending.size).toBe(0);
    expect(expired.length).toBeGreaterThan(100);
  });

  test("remoting: request deadlines: cleared deadlines never fire", () => {
    const clock = new ManualClock(0);
    const fired: number[] = [];
    const deadlines = new RequestDeadlines(
      clock,
      () => true,
      (id) => fired.push(id),
    );
    deadlines.add(1, 100);
    deadlines.add(2, 500);
    clock.advance(100);
    expect(fired).toEqual([1]);
    deadlines.clear();
    clock.advance(1_000);
    expect(fired).toEqual([1]);
  });

  test("remoting: request deadlines: one request at a time: one timer, released when idle", () => {
    const manual = new ManualClock(0);
    let made = 0;
    const holds: boolean[] = [];
    // A clock that counts the timers made and records what each is told about the process.
    const clock: Clock = {
      nowMs: () => manual.nowMs(),
      every: (ms, fn) => manual.every(ms, fn),
      soon: (fn) => manual.soon(fn),
      after(ms: number, fn: () => void): TimerHandle {
        made++;
        const inner = manual.after(ms, fn);
        return { cancel: () => inner.cancel(), holdProcess: (hold) => void holds.push(hold) };
      },
    };
    const pending = new Set<number>();
    const fired: number[] = [];
    const deadlines = new RequestDeadlines(
      clock,
      (id) => pending.has(id),
      (id) => {
        fired.push(id);
        pending.delete(id);
      },
    );
    for (let id = 1; id <= 100; id++) {
      pending.add(id);
      deadlines.add(id, 3_000);
      manual.advance(5);
      pending.delete(id);
      deadlines.settled();
    }
    expect(made).toBe(1);
    // Released after each answer, held again by each next request.
    expect(holds.length).toBe(199);
    expect(holds.at(-1)).toBe(false);
    // The timer armed at 0 fires at 3,000, finds nothing due and arms for 101's deadline.
    pending.add(101);
    deadlines.add(101, 3_000); // at 500: due at 3,500
    manual.advance(2_600);
    expect(fired).toEqual([]);
    expect(made).toBe(2);
    manual.advance(399);
    expect(fired).toEqual([]);
    manual.advance(1);
    expect(fired).toEqual([101]);
  });

  test("remoting: request deadlines: an idle deadline timer lets the process exit", async () => {
    const module = join(import.meta.dir, "../../../core/remoting/request_deadlines.ts");
    const clockModule = join(import.meta.dir, "../../../core/common/clock.ts");
    const script =
      `const { RequestDeadlines } = await import(${JSON.stringify(module)});` +
      `const { SystemClock } = await import(${JSON.stringify(clockModule)});` +
      `let pending = true;` +
      `const d = new RequestDeadlines(new SystemClock(), () => pending, () => {` +
      `  console.log("expired"); });` +
      `d.add(1, 60_000); pending = false; d.settled();`;
    const startMs = performance.now();
    const child = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe" });
    const exitCode = await child.exited;
    expect(exitCode).toBe(0);
    expect(await new Response(child.stdout).text()).toBe("");
    expect(performance.now() - startMs).toBeLessThan(30_000); // not the 60 s deadline
  });
});
