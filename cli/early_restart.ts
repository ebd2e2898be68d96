// The first module main.ts imports, so it is evaluated before any other module of the CLI: a
// subcommand that runs until stopped restarts here with its runtime settings (server_runtime.ts),
// before the rest of the program has been set up and the restart would cost that too.

import { restartWithServerRuntime } from "../core/common/index.ts";

const serverCommands = new Set(["broker", "namesrv"]);

// argv: [runtime, script, subcommand, ...], from `bun cli/main.ts` and from dist/rmq alike.
if (serverCommands.has(process.argv[2] ?? "")) {
  const notRestarted = restartWithServerRuntime();
  if (notRestarted && process.env.RMQ_LOG_LEVEL === "debug") {
    process.stderr.write(`runtime defaults kept: ${notRestarted}\n`);
  }
}
