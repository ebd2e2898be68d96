// Counting what a round of work allocates, by object type: the method scripts/bench_alloc.ts
// (a broker) and scripts/bench_alloc_client.ts (our clients) share. From a full collection to
// the end of the round, heapStats().objectTypeCounts grows by what was allocated, as long as
// no collection ran meanwhile: a weakly held sentinel tells, and such a round does not count.

import { fullGC, heapStats } from "bun:jsc";

export type Counts = Record<string, number>;

/** Objects per unit of one round of `run` (`units` of them), undefined if a collection ran. */
export async function countRound(
  units: number,
  run: () => Promise<void>,
): Promise<Counts | undefined> {
  fullGC();
  // Made after the collection and referenced only weakly: the next collection of any kind
  // clears it (once this turn is over).
  const sentinel = new WeakRef({});
  const before = heapStats().objectTypeCounts as Counts;
  await run();
  const after = heapStats().objectTypeCounts as Counts;
  if (sentinel.deref() === undefined) return undefined;
  const perUnit: Counts = {};
  for (const [type, n] of Object.entries(after)) {
    const grown = (n - (before[type] ?? 0)) / units;
    if (grown >= 0.01) perUnit[type] = grown;
  }
  return perUnit;
}

/** The total per unit, and the types largest first ("Object 12.09, Array 7.06, ..."). */
export function describeCounts(counts: Counts): { total: number; types: string } {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return {
    total: rows.reduce((sum, [, n]) => sum + n, 0),
    types: rows.map(([type, n]) => `${type} ${n.toFixed(2)}`).join(", "),
  };
}
