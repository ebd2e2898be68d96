// `rmq broker`: runs a broker until SIGTERM or SIGINT. With no name server given (-n,
// namesrvAddr, NAMESRV_ADDR) it first starts a name server in the same process, so one command
// gives a working single node; --namesrv-listen starts one in any case.

import type { CAC } from "cac";
import { join } from "node:path";
import { ConfigError, createLogger, SystemClock } from "../../core/common/index.ts";
import { watchLoopLag } from "../loop_lag.ts";
import {
  brokerDefaults,
  brokerSchema,
  describeConfig,
  namesrvDefaults,
  storeKeyAliases,
} from "../../core/config/index.ts";
import { Broker } from "../../core/broker/index.ts";
import { Namesrv } from "../../core/namesrv/index.ts";
import { RealFileIO } from "../../core/store/index.ts";
import { parseListen, readPropertiesFile } from "../args.ts";
import { resolveConfig, type ConfigLayer } from "../../core/config/index.ts";
import { ExitCode } from "../exit_codes.ts";
import { printError, printLine, printWarning } from "../output.ts";

interface BrokerFlags {
  configFile?: string;
  printConfig?: boolean;
  namesrvAddr?: string;
  listen?: string;
  store?: string;
  advertise?: string;
  namesrvListen?: string;
}

export function registerBroker(cli: CAC): void {
  cli
    .command("broker", "Run a broker (with an embedded name server when none is given)")
    .option("-c, --config-file <file>", "RocketMQ broker.conf (properties)")
    .option("-p, --print-config", "Print the effective configuration and exit")
    .option("-n, --namesrv-addr <addrs>", "Name servers, 'host:port;host:port' (or NAMESRV_ADDR)")
    .option("--listen <host:port>", "Address to bind (default 0.0.0.0:10911; port 0 picks one)")
    .option("--store <dir>", "storePathRootDir (default ~/store)")
    .option("--advertise <host[:port]>", "Address registered for clients (brokerIP1[:port])")
    .option(
      "--namesrv-listen <host:port>",
      "Embedded name server address (default <host>:9876); starts one even with -n",
    )
    .example("rmq broker --store /tmp/rmq")
    .action((flags: BrokerFlags) => runBroker(flags));
}

function resolveBrokerConfig(flags: BrokerFlags) {
  const overrides = new Map<string, string>();
  if (flags.namesrvAddr !== undefined) overrides.set("namesrvAddr", flags.namesrvAddr);
  if (flags.listen !== undefined) {
    const { host, port } = parseListen(flags.listen);
    overrides.set("bindAddress", host).set("listenPort", String(port));
    if (flags.advertise === undefined && host !== "0.0.0.0" && host !== "::")
      overrides.set("brokerIP1", host);
  }
  if (flags.store !== undefined) overrides.set("storePathRootDir", flags.store);
  if (flags.advertise !== undefined) {
    const text = String(flags.advertise);
    const match = /^(.*?)(?::(\d+))?$/.exec(text.replace(/^\[(.*)\](:\d+)?$/, "$1$2"));
    if (!match || match[1] === "")
      throw new ConfigError(`--advertise expects host or host:port, got "${text}"`);
    overrides.set("brokerIP1", match[1]!);
    if (match[2] !== undefined) overrides.set("advertisedPort", match[2]);
  }
  const layers: ConfigLayer[] = [];
  if (flags.configFile)
    layers.push({ source: "file", values: readPropertiesFile(flags.configFile) });
  if (process.env.NAMESRV_ADDR)
    layers.push({ source: "env", values: new Map([["namesrvAddr", process.env.NAMESRV_ADDR]]) });
  layers.push({ source: "flag", values: overrides });
  return resolveConfig(brokerSchema, brokerDefaults(), layers, storeKeyAliases);
}

async function runBroker(flags: BrokerFlags): Promise<void> {
  const resolved = resolveBrokerConfig(flags);
  for (const key of resolved.unknownKeys) printWarning(`unknown config key ${key} ignored`);
  if (flags.printConfig) {
    for (const line of describeConfig(resolved)) printLine(line);
    return;
  }
  const config = resolved.config;
  if (config.storePathCommitLog === "")
    config.storePathCommitLog = join(config.storePathRootDir, "commitlog");
  const clock = new SystemClock();
  const log = createLogger("broker");
  watchLoopLag(log);
  let namesrv: Namesrv | null = null;
  const given = config.namesrvAddr.split(";").filter((addr) => addr.trim() !== "");
  const fromEnv = resolved.sources.namesrvAddr === "env";
  if (given.length > 0 && fromEnv && flags.namesrvListen === undefined) {
    log.info(
      `name servers from NAMESRV_ADDR (${config.namesrvAddr}), so no embedded one: unset it, ` +
        "or pass --namesrv-listen, for a name server in this process",
    );
  }
  try {
    // --namesrv-listen asks for one in any case: the broker registers with it and the others.
    if (given.length === 0 || flags.namesrvListen !== undefined) {
      const { host, port } = flags.namesrvListen
        ? parseListen(flags.namesrvListen)
        : { host: config.bindAddress, port: 9876 };
      namesrv = new Namesrv({
        config: {
          ...namesrvDefaults(),
          bindAddress: host,
          listenPort: port,
          kvConfigPath: join(config.storePathRootDir, "namesrv", "kvConfig.json"),
        },
        clock,
        log: createLogger("namesrv"),
      });
      const bound = namesrv.start();
      const reachable = bound.host === "0.0.0.0" || bound.host === "::" ? "127.0.0.1" : bound.host;
      const embedded = `${reachable}:${bound.port}`;
      config.namesrvAddr = [embedded, ...given.filter((addr) => addr !== embedded)].join(";");
    }
    const broker = new Broker({
      config,
      clock,
      log,
      io: new RealFileIO(),
      configFilePath: flags.configFile,
    });
    await broker.start();
    printLine(
      `rmq broker ready address=${broker.address} namesrv=${config.namesrvAddr} ` +
        `store=${config.storePathRootDir} pid=${process.pid}`,
    );
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal} received, stopping`);
      await broker.stop();
      namesrv?.stop();
      process.exit(ExitCode.OK);
    };
    process.on("SIGTERM", () => void stop("SIGTERM"));
    process.on("SIGINT", () => void stop("SIGINT"));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    printError(`broker could not start: ${(error as Error).message}`);
    namesrv?.stop();
    process.exit(ExitCode.STARTUP);
  }
}
