// Long-running rmq processes keep the memory their allocator frees instead of giving it back to
// the OS at once.
//
// Bun allocates with mimalloc, which returns a page to the OS 100 ms after it empties
// (MIMALLOC_PURGE_DELAY). A broker under a steady flow frees thousands of request and read
// buffers per second, so it keeps purging pages and faulting the same pages back in. The purging
// runs on a thread of its own ("mi-scavenger") that holds a CPU for ~3 ms at a time, and on two
// CPUs the broker's or its clients' event loop waits for it. Measured with one producer and one
// consumer at 17,500 1 KiB msgs/s (scripts/bench_e2e.ts W3): produce-to-consume p99 25-165 ms
// with purging, 4-7 ms without; page faults fell from 8,400/s to 2,700/s in the broker.
//
// mimalloc reads its options once, when the process starts, so the only way to change this one
// is to start again: the process replaces itself (execve of /proc/self/exe with the same argv
// and MIMALLOC_PURGE_DELAY=-1). The PID, the open standard streams and the arguments stay; a
// signal sent to the PID reaches the new image. The cost is one more start of the runtime, about
// 30 ms. Memory then stays at its high-water mark, as a JVM broker's heap does (RocketMQ runs
// with -Xms equal to -Xmx). A value the user set is kept; MIMALLOC_PURGE_DELAY=100 restores
// mimalloc's default.

import { dlopen, FFIType, ptr, type Pointer } from "bun:ffi";
import { readFileSync } from "node:fs";

export const pagePurgeEnvName = "MIMALLOC_PURGE_DELAY";
/** mimalloc's "never purge". */
export const pagePurgeOff = "-1";

/**
 * Restarts this process in place with page purging off, unless the environment already says how
 * to purge. Returns only when it did not restart: the reason, for a debug line ("" when it was
 * already set). On Linux with glibc it does not return.
 */
export function restartWithoutPagePurge(): string {
  if (process.env[pagePurgeEnvName] !== undefined) return "";
  if (process.platform !== "linux") return `not on ${process.platform}`;
  let args: string[];
  try {
    args = readFileSync("/proc/self/cmdline").toString("utf8").split("\0");
  } catch (error) {
    return `cannot read /proc/self/cmdline: ${(error as Error).message}`;
  }
  if (args.at(-1) === "") args.pop(); // each argument ends in NUL, the last one too
  const env = { ...process.env, [pagePurgeEnvName]: pagePurgeOff };
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
  return `execve failed (${result}); running with mimalloc's page purging`;
}
