// The garbage collections a server logged with BUN_JSC_logGC=1, read from its stderr as it
// runs (scripts/bench_e2e.ts --gc). JavaScriptCore prints no times, so each line is stamped with
// performance.now() as it arrives here; that puts collections into a benchmark's phases, which
// is what the W3 tail needs: a broker on one CPU stalls every request it holds while it pauses.
//
// The lines read (one collection, or two lines when its marking ran concurrently):
//   [GC<0x..>: START M 65895kb => EdenCollection, ... => 36044kb, p=3.37ms (max 17.5), ... END]
//   [GC<0x..>: START M 62469kb => FullCollection, ... p=6.27ms (max 6.27)...]
//   [GC<0x..>: M a=240kb ... => 35914kb, p=7.01ms (max 7.01), cycle 16.7ms END]
// "START M <n>kb" is the heap when the collection began, "=> <n>kb, p=" the heap it left, each
// "p=" one pause. The heap's growth from one collection's end to the next one's start is what
// the program allocated in between (what it freed outside collections is not counted).

export interface GcCollection {
  /** performance.now() when its START line arrived. */
  atMs: number;
  kind: "eden" | "full";
  heapBeforeBytes: number;
  /** Undefined until its END line arrives. */
  heapAfterBytes?: number;
  pausesMs: number[];
}

export interface GcSummary {
  edenCount: number;
  fullCount: number;
  pauseCount: number;
  pauseMsSum: number;
  pauseMsP50: number;
  pauseMsP90: number;
  pauseMsMax: number;
  /** Heap growth between the collections of the window (a lower bound of what was allocated). */
  allocatedBytes: number;
}

const startPattern = /START M (\d+)kb => (Eden|Full)Collection/;
const pausePattern = /p=([\d.]+)ms/g;
const heapAfterPattern = /=> (\d+)kb, p=/;

export class GcLog {
  readonly collections: GcCollection[] = [];
  private partialLine = "";

  /** Feeds text as it arrived at `nowMs`; lines may be split across calls. */
  feed(text: string, nowMs: number): void {
    const lines = (this.partialLine + text).split("\n");
    this.partialLine = lines.pop()!;
    for (const line of lines) this.readLine(line, nowMs);
  }

  private readLine(line: string, nowMs: number): void {
    if (!line.includes("[GC<")) return;
    const start = startPattern.exec(line);
    if (start) {
      this.collections.push({
        atMs: nowMs,
        kind: start[2] === "Eden" ? "eden" : "full",
        heapBeforeBytes: Number(start[1]) * 1024,
        pausesMs: [],
      });
    }
    const current = this.collections.at(-1);
    if (!current || current.heapAfterBytes !== undefined) return; // a line of no collection
    for (const pause of line.matchAll(pausePattern)) current.pausesMs.push(Number(pause[1]));
    const after = heapAfterPattern.exec(line);
    if (after) current.heapAfterBytes = Number(after[1]) * 1024;
  }

  /** The collections that started in [fromMs, toMs). */
  summary(fromMs: number, toMs: number): GcSummary {
    const inWindow: GcCollection[] = [];
    let allocatedBytes = 0;
    this.collections.forEach((c, i) => {
      if (c.atMs < fromMs || c.atMs >= toMs) return;
      inWindow.push(c);
      const previousAfterBytes = this.collections[i - 1]?.heapAfterBytes;
      if (previousAfterBytes !== undefined) {
        allocatedBytes += Math.max(0, c.heapBeforeBytes - previousAfterBytes);
      }
    });
    const pauses = inWindow.flatMap((c) => c.pausesMs).sort((a, b) => a - b);
    const at = (fraction: number) => pauses[Math.floor((pauses.length - 1) * fraction)] ?? 0;
    return {
      edenCount: inWindow.filter((c) => c.kind === "eden").length,
      fullCount: inWindow.filter((c) => c.kind === "full").length,
      pauseCount: pauses.length,
      pauseMsSum: pauses.reduce((sum, p) => sum + p, 0),
      pauseMsP50: at(0.5),
      pauseMsP90: at(0.9),
      pauseMsMax: pauses.at(-1) ?? 0,
      allocatedBytes,
    };
  }
}
