// The runtime settings long-running rmq processes (broker, name server) start with, and the
// in-place restart that applies them.
//
// 1. MIMALLOC_PURGE_DELAY=-1: keep freed memory instead of giving it back to the OS. Bun
//    allocates with mimalloc, which returns a page 100 ms after it empties. A broker under a
//    steady flow frees thousands of request and read buffers per second, so it kept purging
//    pages and faulting the same pages back in. The purging runs on a thread of its own
//    ("mi-scavenger") that holds a CPU ~3 ms at a time, and on two CPUs the broker's or its
//    clients' event loop waits for it. Measured with one producer and one consumer at 17,500
//    1 KiB msgs/s (scripts/bench_e2e.ts W3), 5 interleaved runs: produce-to-consume p99 19-594
//    ms (median 21) with purging, 6-23 ms (median 9) without; page faults in the broker fell
//    from 8,400/s to 2,700/s.
// 2. BUN_JSC_forceRAMSize=1 GiB: JavaScriptCore lets its heap grow by a factor that depends on
//    the machine's RAM, so on a 24 GiB machine garbage piled up to ~240 MB of anonymous memory
//    under a 1024-in-flight producer; with memory kept (1.) that became the broker's resident
//    size for good. Sized for 1 GiB the collector runs sooner: 166-174 MB, throughput within
//    the noise. The heap is not capped: the broker's data lives in the store's files.
// 3. BUN_JSC_useParallelMarkingConstraintSolver=0: the collector's constraint solving in its
//    pause runs on this thread alone instead of handing parts to helper threads. With the
//    broker on one CPU (W3 of scripts/bench_e2e.ts places it so) the helpers only queued
//    behind the thread that waited for them: over one W3 run (4 s at peak, 5 s at ~24,000
//    msgs/s) the broker's summed pauses fell from 193-199 ms to 141-167 ms, its 90th
//    percentile pause from 2.6-3.8 ms to 1.7-2.1 ms (BUN_JSC_logGC=1, 3 interleaved runs).
// 4. BUN_JSC_largeHeapSize=32 MiB: the heap size below which the collector does not grow its
//    allowance (Bun's default is 8 MiB). A process whose live heap is small (the name server,
//    an idle broker, a busy client) otherwise collected every 7-8 MB allocated, with a full
//    collection every 8th time: the benchmark's client in one W3 run paused ~300 times (~35
//    full) for ~480 ms in all, and ~120 times (3 full) for ~175 ms with this (4 runs each).
//    The broker's heap under load is larger than this and is sized as before (2.).
// 5. BUN_JSC_thresholdForFTLOptimizeAfterWarmUp=20,000 (JavaScriptCore's default: 100,000):
//    how much a function must run before its top-tier (FTL) compile. The threshold grows with
//    a function's size, so the pull processor (pullWith), run once per message when each long
//    poll is woken by one send, reached FTL only after ~130,000 pulls: 9.5 s after a start
//    under scripts/bench_e2e.ts's W3, in the middle of the measured half rate, where its
//    50-110 ms compile on the broker's CPU held every message in flight. In two logged runs
//    (per-message latencies against stamped compile and GC logs) it put 850-910 messages over
//    5 ms each: a fifth and a half of those runs' messages over 5 ms. With 20,000 hot paths
//    reach FTL in the first seconds of load: compiles in W3's measured window went from
//    91-122 ms to 12-43 ms per run (3 runs each way, BUN_JSC_reportCompileTimes=1). A server
//    runs for hours; its code is better compiled early.
//
// All are read once, when the runtime starts, so the process starts again: execve of
// /proc/self/exe with the same argv and the settings added to the environment. The PID, the
// open standard streams and the arguments stay; a signal sent to the PID reaches the new
// image. The cost is a second start of the runtime, ~25 ms with the bytecode build. A value the
// user set is kept (MIMALLOC_PURGE_DELAY=100 restores mimalloc's default); the restart happens
// only when MIMALLOC_PURGE_DELAY is unset, which is also what stops a second one.

import { dlopen, FFIType, ptr, type Pointer } from "bun:ffi";
import { readFileSync } from "node:fs";

/** Environment entries a server runs with, each unless the user set it. */
export const serverRuntimeEnv: Readonly<Record<string, string>> = {
  MIMALLOC_PURGE_DELAY: "-1", // mimalloc's "never purge"
  BUN_JSC_forceRAMSize: String(1024 * 1024 * 1024),
  BUN_JSC_useParallelMarkingConstraintSolver: "0",
  BUN_JSC_largeHeapSize: String(32 * 1024 * 1024),
  BUN_JSC_thresholdForFTLOptimizeAfterWarmUp: "20000",
};

/**
 * Restarts this process in place with serverRuntimeEnv, unless MIMALLOC_PURGE_DELAY is already
 * set. Returns only when it did not restart: the reason, for a debug line ("" when it was set).
 * On Linux with glibc it does not return.
 */
export function restartWithServerRuntime(): string {
  if (process.env.MIMALLOC_PURGE_DELAY !== undefined) return "";
  if (process.platform !== "linux") return `not on ${process.platform}`;
  let args: string[];
  try {
    args = readFileSync("/proc/self/cmdline").toString("utf8").split("\0");
  } catch (error) {
    return `cannot read /proc/self/cmdline: ${(error as Error).message}`;
  }
  if (args.at(-1) === "") args.pop(); // each argument ends in NUL, the last one too
  const env = { ...serverRuntimeEnv, ...process.env };
  const envLines = Object.entries(env).map(([name, value]) => `${name}=${value}`);
  let execve;
  try {
    execve = dlopen("libc.so.6", {
      execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    }).symbols.execve;
  } catch (error) {
    return `no libc.so.6 to call execve: ${(error as Error).message}`;
  }
  // The strings must stay referenced until execve has copied them: `kept` holds them.
  const kept: Buffer[] = [];
  const cString = (text: string): Pointer => {
    const bytes = Buffer.from(`${text}\0`, "utf8");
    kept.push(bytes);
    return ptr(bytes);
  };
  const pointerArray = (list: string[]): BigUint64Array => {
    const array = new BigUint64Array(list.length + 1); // NULL-terminated
    list.forEach((text, i) => (array[i] = BigInt(cString(text))));
    return array;
  };
  const argvArray = pointerArray(args);
  const envArray = pointerArray(envLines);
  const result = execve(cString("/proc/self/exe"), ptr(argvArray), ptr(envArray));
  return `execve failed (${result}); running with the runtime's defaults`;
}
