// The runtime settings of the benchmarks' own process: the ones rmq's servers run with
// (core/common/server_runtime.ts), applied by the same in-place restart. The bench process is
// the client of every system it measures, at tens of thousands of messages a second: exactly
// the load those settings were made for. Without them its mimalloc purged and faulted pages back
// in on a thread that held a CPU ~3 ms at a time, and its JSC heap grew by the factor of a
// 24 GiB machine. W3 (scripts/bench_e2e.ts) alone, rmq, 6 runs each way, interleaved, one
// sitting: half-rate p99 3.5-8.1 ms (median 4.8) with them, 4.0-17.0 (median 7.9) without;
// the client's CPU at half rate fell from 38-40 % to 32-35 %. Every system measured shares
// this one client process, references and floor alike.
//
// Import it first: evaluating it restarts the process before anything else is set up (in the
// bench and in its echo child alike, a server that runs with the settings as rmq does). The
// servers the bench starts must not inherit what the restart added: rmq would skip its own
// restart, and its start-to-ready time would leave out a cost every user pays. serverChildEnv
// gives them the environment as the user had it.

import { restartWithServerRuntime, serverRuntimeEnv } from "../core/common/index.ts";

/** Set on the restart; names the settings it added, so children can be given the user's own. */
const addedMarker = "RMQ_BENCH_RUNTIME_ADDED";

// Once per process: after the restart the marker is there (whether it restarts at all is
// restartWithServerRuntime's call, not restated here).
if (process.env[addedMarker] === undefined) {
  process.env[addedMarker] = Object.keys(serverRuntimeEnv)
    .filter((name) => process.env[name] === undefined)
    .join(",");
  const notRestarted = restartWithServerRuntime();
  // Still here: no restart (not Linux, no libc); the bench runs with the runtime's defaults.
  delete process.env[addedMarker];
  if (notRestarted) console.error(`bench runtime defaults kept: ${notRestarted}`);
}

/** This process's environment without what the restart added (for server processes). */
export function serverChildEnv(): Record<string, string | undefined> {
  const env = { ...process.env };
  for (const name of (env[addedMarker] ?? "").split(",")) if (name) delete env[name];
  delete env[addedMarker];
  return env;
}
