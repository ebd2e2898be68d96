// CPU placement for latency cells of the benchmarks. On this kind of VM a round trip between two
// processes pays a wake-up of an idle CPU each way when they sit on different CPUs: one send at
// a time to rmq measured p50 29 us with client and broker on one CPU and 92-96 us on two. Left
// to the scheduler, each cell got one or the other, so same-run ratios (rmq against the echo)
// were a draw. Each cell now runs with the client on CPU 0 and its server on CPU 1 (every
// thread, with taskset): the placement of a client and a server on different machines, and
// the one the end-to-end issue's reference figures (echo p50 ~68 us) were taken in.
// W3 (a producer and a consumer in this process) is placed the same way, for the same reason:
// left to the scheduler the two busy processes shared a CPU now and then. rmq W3 alone, 6 runs
// each way, interleaved: half-rate p99 3.3-8.9 ms (median 3.3) placed, 3.8-4.8 (median 4.7) not.

import { spawnSync } from "bun";
import { cpus } from "node:os";

/** Pins every thread of `pid` to `cpuList` ("0", "0-1"); false without taskset or on failure. */
export function pinProcess(pid: number, cpuList: string): boolean {
  try {
    const run = spawnSync(["taskset", "-a", "-p", "-c", cpuList, String(pid)], {
      stdout: "ignore",
      stderr: "ignore",
    });
    return run.exitCode === 0;
  } catch {
    return false; // no taskset on PATH
  }
}

/**
 * Runs `fn` with this process on CPU 0 and `serverPid` on CPU 1; both get every CPU back
 * afterwards. `pinned` is false when that could not be done (one CPU, no taskset).
 */
export async function onSeparateCpus<T>(
  serverPid: number,
  fn: () => Promise<T>,
): Promise<{ value: T; pinned: boolean }> {
  const cpuCount = cpus().length;
  const allCpus = `0-${cpuCount - 1}`;
  const pinned = cpuCount >= 2 && pinProcess(process.pid, "0") && pinProcess(serverPid, "1");
  try {
    return { value: await fn(), pinned };
  } finally {
    pinProcess(process.pid, allCpus);
    pinProcess(serverPid, allCpus);
  }
}
