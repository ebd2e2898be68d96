// The benchmark's reader of BUN_JSC_logGC=1 output: collections in a window, their pauses, and
// the heap growth between them. The lines are shaped as JavaScriptCore prints them (a one-line
// collection, and one whose marking ran concurrently, split over two lines).

import { describe, expect, test } from "bun:test";
import { GcLog } from "../../../scripts/bench_gc_log.ts";

const oneLineEden = (beforeKb: number, afterKb: number, pauseMs: number) =>
  `[GC<0x53a4>: START M ${beforeKb}kb => EdenCollection, v=0kb (C:0 M:0 P1:0) o=21 b=247 ` +
  `i#1:CsMsrShDMsm(249)SrbBcs 540+249 v=906kb => ${afterKb}kb, p=${pauseMs}ms (max 17.5), ` +
  `cycle 3.1ms END]\nGC END!\n[GC<0x53a4>: epilogue 0.015719ms]\n`;

describe("scripts: GC log", () => {
  test("scripts: GC log: counts collections, pauses and heap growth in a window", () => {
    const log = new GcLog();
    log.feed(oneLineEden(60_000, 30_000, 2), 100);
    // A concurrent full collection: the first pause on its START line, the second on its end.
    log.feed("Requesting GC because bytes allocated this cycle: 1 exceed bytes allowed: 1\n", 150);
    log.feed("[GC<0x53a4>: START M 62000kb => FullCollection, a=0kb p=6.5ms (max 6.5)...]\n", 200);
    log.feed(
      "[GC<0x53a4>: M a=240kb i#2:WsOJwPbc => 35000kb, p=7ms (max 7), cycle 16ms END]\n",
      210,
    );
    log.feed(oneLineEden(70_000, 36_000, 1), 300);

    const all = log.summary(0, 1000);
    expect(all).toMatchObject({ edenCount: 2, fullCount: 1, pauseCount: 4, pauseMsMax: 7 });
    expect(all.pauseMsSum).toBeCloseTo(16.5);
    expect(all.pauseMsP50).toBe(2);
    // (62000 - 30000) + (70000 - 35000) kB; the first collection has nothing before it.
    expect(all.allocatedBytes).toBe((32_000 + 35_000) * 1024);

    const last = log.summary(250, 1000);
    expect(last).toMatchObject({ edenCount: 1, fullCount: 0, pauseCount: 1 });
    expect(last.allocatedBytes).toBe(35_000 * 1024);
    expect(log.summary(400, 1000).pauseCount).toBe(0);
  });

  test("scripts: GC log: a line split across chunks is read once whole", () => {
    const log = new GcLog();
    const text = oneLineEden(50_000, 20_000, 3);
    log.feed(text.slice(0, 25), 10);
    expect(log.collections).toHaveLength(0);
    log.feed(text.slice(25), 20);
    expect(log.collections).toEqual([
      {
        atMs: 20,
        kind: "eden",
        heapBeforeBytes: 50_000 * 1024,
        heapAfterBytes: 20_000 * 1024,
        pausesMs: [3],
      },
    ]);
  });
});
