#!/usr/bin/env bun
// The `rmq` command: one binary, thin subcommands over the shared core.

import "./early_restart.ts"; // first: it may restart the process (server_runtime.ts)
import { cac } from "cac";
import { ConfigError } from "../core/common/index.ts";
import { registerBroker } from "./commands/broker.ts";
import { registerConsume } from "./commands/consume.ts";
import { registerInspect } from "./commands/inspect.ts";
import { registerProduce } from "./commands/produce.ts";
import { registerNamesrv } from "./commands/namesrv.ts";
import { registerTx } from "./commands/tx.ts";
import { ExitCode } from "./exit_codes.ts";
import { printError } from "./output.ts";
import { versionLine } from "./version.ts";

export async function main(argv: string[]): Promise<void> {
  const cli = cac("rmq");
  registerNamesrv(cli);
  registerBroker(cli);
  registerProduce(cli);
  registerConsume(cli);
  registerTx(cli);
  registerInspect(cli);
  cli.help();
  cli.option("-v, --version", "Print the version and git commit");
  const first = argv[0];
  if (
    first !== undefined &&
    !first.startsWith("-") &&
    !cli.commands.some((c) => c.name === first)
  ) {
    printError(`unknown command "${first}" (see rmq --help)`);
    process.exit(ExitCode.USAGE);
  }

  let parsed;
  try {
    parsed = cli.parse(["bun", "rmq", ...argv], { run: false });
  } catch (error) {
    printError((error as Error).message);
    process.exit(ExitCode.USAGE);
  }
  if (parsed.options.version) {
    process.stdout.write(versionLine() + "\n");
    return;
  }
  if (parsed.options.help) return;
  if (!cli.matchedCommand) {
    cli.outputHelp();
    return;
  }
  try {
    await cli.runMatchedCommand();
  } catch (error) {
    if (error instanceof ConfigError) {
      printError(error.message);
      process.exit(ExitCode.CONFIG);
    }
    if (error instanceof Error && error.name === "CACError") {
      printError(error.message);
      process.exit(ExitCode.USAGE);
    }
    // Anything else (a broker's refusal, a connection lost) is still one line, not a stack
    // trace with source; RMQ_LOG_LEVEL=debug keeps the trace for whoever is debugging.
    printError(error instanceof Error ? error.message : String(error));
    if (process.env.RMQ_LOG_LEVEL === "debug" && error instanceof Error) {
      process.stderr.write(`${error.stack}\n`);
    }
    process.exit(ExitCode.FAILURE);
  }
}

await main(process.argv.slice(2));
