// `rmq namesrv`: runs a name server until SIGTERM or SIGINT.

import type { CAC } from "cac";
import { ConfigError, createLogger, SystemClock } from "../../core/common/index.ts";
import { describeConfig, namesrvDefaults, namesrvSchema } from "../../core/config/index.ts";
import { Namesrv } from "../../core/namesrv/index.ts";
import { parseListen, resolveWithFile } from "../args.ts";
import { ExitCode } from "../exit_codes.ts";
import { printError, printLine, printWarning } from "../output.ts";
import { watchLoopLag } from "../loop_lag.ts";

interface NamesrvFlags {
  configFile?: string;
  printConfig?: boolean;
  listenPort?: string | number;
  listen?: string;
  kvConfigPath?: string;
}

export function registerNamesrv(cli: CAC): void {
  cli
    .command("namesrv", "Run a name server (the route center brokers register with)")
    .option("-c, --config-file <file>", "RocketMQ namesrv.properties file")
    .option("-p, --print-config", "Print the effective configuration and exit")
    .option("--listen-port <port>", "TCP port (default 9876; 0 picks a free port)")
    .option("--listen <host:port>", "Address to bind, e.g. 127.0.0.1:0")
    .option("--kv-config-path <file>", "Where KV config is kept (default ~/namesrv/kvConfig.json)")
    .example("rmq namesrv --listen 127.0.0.1:9876")
    .action((flags: NamesrvFlags) => runNamesrv(flags));
}

async function runNamesrv(flags: NamesrvFlags): Promise<void> {
  const overrides = new Map<string, string>();
  if (flags.listenPort !== undefined) overrides.set("listenPort", String(flags.listenPort));
  if (flags.listen !== undefined) {
    const { host, port } = parseListen(flags.listen);
    overrides.set("bindAddress", host).set("listenPort", String(port));
  }
  if (flags.kvConfigPath !== undefined) overrides.set("kvConfigPath", flags.kvConfigPath);
  const resolved = resolveWithFile(namesrvSchema, namesrvDefaults(), flags.configFile, overrides);
  for (const key of resolved.unknownKeys) printWarning(`unknown config key ${key} ignored`);
  if (flags.printConfig) {
    for (const line of describeConfig(resolved)) printLine(line);
    return;
  }
  const log = createLogger("namesrv");
  watchLoopLag(log);
  const namesrv = new Namesrv({ config: resolved.config, clock: new SystemClock(), log });
  let address;
  try {
    address = namesrv.start();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    printError(`name server could not start: ${(error as Error).message}`);
    process.exit(ExitCode.STARTUP);
  }
  printLine(`rmq namesrv ready address=${address.host}:${address.port} pid=${process.pid}`);
  const stop = (signal: string) => {
    log.info(`${signal} received, stopping`);
    void namesrv.stop().then(() => process.exit(ExitCode.OK));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
