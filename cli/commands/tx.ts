// `rmq tx`: a transactional send whose local transaction is a shell command. The message goes
// out as a half message; --exec CMD runs with the message on stdin and its ids in RMQ_*
// variables: exit 0 commits, exit 1 rolls back, anything else (or --exec-timeout) leaves it
// unknown, and the broker asks later. With --check CMD, rmq tx stays connected until the broker
// asks and answers by running CMD under the same rules; `rmq tx --serve-checks -g G --check CMD`
// answers for a whole producer group until stopped (a producer that died leaves its questions to
// it). Exit: 0 committed, 5 rolled back or still unknown, 1 error.

import type { CAC } from "cac";
import { ConfigError, createLogger, SystemClock } from "../../core/common/index.ts";
import {
  TransactionProducer,
  type ReceivedMessage,
  type SendResult,
  type TransactionState,
} from "../../core/client/index.ts";
import { namesrvAddrsFrom, parseDurationMs } from "../client_args.ts";
import { execEnvironment, runCommand } from "../exec_command.ts";
import { ExitCode } from "../exit_codes.ts";
import { printJson, printLine } from "../output.ts";

interface TxFlags {
  topic?: string;
  group?: string;
  namesrvAddr?: string;
  body?: string;
  tag?: string;
  keys?: string;
  exec?: string;
  check?: string;
  execTimeout?: string;
  wait?: string;
  serveChecks?: boolean;
  json?: boolean;
}

export function registerTx(cli: CAC): void {
  cli
    .command("tx", "Send a transactional message; a shell command decides commit or rollback")
    .option("-t, --topic <topic>", "Topic")
    .option("-g, --group <group>", "Producer group (check-backs go to a live member of it)")
    .option("-n, --namesrv-addr <addrs>", "Name servers (default NAMESRV_ADDR or 127.0.0.1:9876)")
    .option("--body <text>", "Message body (default: stdin)")
    .option("--tag <tag>", "Message tag")
    .option("--keys <k1,k2>", "Message keys, comma-separated")
    .option("--exec <command>", "Local transaction: exit 0 commit, 1 rollback, other unknown")
    .option("--check <command>", "Answer the broker's check-back the same way")
    .option("--exec-timeout <duration>", "A command running longer counts as unknown (60s)")
    .option("--wait <duration>", "With --check: how long to wait for a check-back (5m)")
    .option("--serve-checks", "Only answer check-backs for the group (with --check), until stopped")
    .option("--json", "JSON result lines")
    .example("rmq tx -t Orders -g shop --body '{\"id\":7}' --exec './reserve-stock.sh'")
    .example("rmq tx --serve-checks -g shop --check './is-reserved.sh'")
    .action((flags: TxFlags) => runTx(flags));
}

const stateOfExit = (code: number | "timeout"): TransactionState =>
  code === 0 ? "COMMIT" : code === 1 ? "ROLLBACK" : "UNKNOWN";

async function readStdin(): Promise<Uint8Array> {
  if (process.stdin.isTTY) throw new ConfigError("give --body or pipe the body on stdin");
  const chunks: Uint8Array[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
  return new Uint8Array(Buffer.concat(chunks));
}

function report(fields: Record<string, unknown>, json: boolean): void {
  if (json) printJson(fields);
  else
    printLine(
      Object.entries(fields)
        .map(([k, v]) => `${k}=${v}`)
        .join(" "),
    );
}

async function runTx(flags: TxFlags): Promise<void> {
  if (!flags.group) throw new ConfigError("missing -g/--group (the producer group)");
  if (flags.serveChecks && !flags.check) throw new ConfigError("--serve-checks needs --check");
  if (!flags.serveChecks && !flags.topic) throw new ConfigError("missing -t/--topic");
  if (!flags.serveChecks && !flags.exec)
    throw new ConfigError("missing --exec (the local transaction)");
  const clock = new SystemClock();
  const json = flags.json === true;
  const execTimeoutMs = parseDurationMs(String(flags.execTimeout ?? "60s"), "exec-timeout");
  const waitMs = parseDurationMs(String(flags.wait ?? "5m"), "wait");
  const resolved = Promise.withResolvers<TransactionState>();
  const check = flags.check;
  const producer = new TransactionProducer({
    group: String(flags.group),
    namesrvAddrs: namesrvAddrsFrom(flags.namesrvAddr),
    clock,
    log: createLogger("tx", { level: "warn" }),
    checkLocalTransaction: check
      ? async (m: ReceivedMessage) => {
          const checkTimes = m.properties.get("TRANSACTION_CHECK_TIMES") ?? "0";
          const env = { ...execEnvironment(m), RMQ_CHECK_TIMES: checkTimes };
          const state = stateOfExit(await runCommand(check, m.body, env, execTimeoutMs, clock));
          report({ check: m.msgId, checkTimes, state }, json);
          return state;
        }
      : undefined,
    onCheckAnswered: (_, state) => {
      if (state !== "UNKNOWN") resolved.resolve(state);
    },
  });
  await producer.start();
  if (flags.serveChecks) {
    const stop = Promise.withResolvers<void>();
    process.on("SIGINT", () => stop.resolve());
    process.on("SIGTERM", () => stop.resolve());
    await stop.promise;
    producer.close();
    return;
  }
  const body =
    flags.body !== undefined ? new TextEncoder().encode(String(flags.body)) : await readStdin();
  let outcome: { send: SendResult; state: TransactionState };
  try {
    outcome = await producer.send(
      {
        topic: String(flags.topic),
        body,
        tags: flags.tag === undefined ? undefined : String(flags.tag),
        keys: flags.keys === undefined ? undefined : String(flags.keys).split(",").filter(Boolean),
      },
      async (sent) => {
        const m = {
          msgId: sent.msgId,
          offsetMsgId: sent.offsetMsgId,
          topic: sent.queue.topic,
          queueId: sent.queue.queueId,
        };
        const env = {
          RMQ_MSG_ID: m.msgId,
          RMQ_TRANSACTION_ID: m.msgId,
          RMQ_OFFSET_MSG_ID: m.offsetMsgId,
          RMQ_TOPIC: m.topic,
          RMQ_KEYS: (flags.keys === undefined ? "" : String(flags.keys)).split(",").join(" "),
        };
        return stateOfExit(await runCommand(String(flags.exec), body, env, execTimeoutMs, clock));
      },
    );
  } catch (error) {
    producer.close();
    throw error;
  }
  report(
    {
      status: outcome.send.status,
      msgId: outcome.send.msgId,
      offsetMsgId: outcome.send.offsetMsgId,
      state: outcome.state,
    },
    json,
  );
  let final = outcome.state;
  if (final === "UNKNOWN" && check) {
    // Stay connected: the broker's check-back comes to a live member of the group.
    const timer = clock.after(waitMs, () => resolved.resolve("UNKNOWN"));
    final = await resolved.promise;
    timer.cancel();
  }
  producer.close();
  process.exit(final === "COMMIT" ? ExitCode.OK : ExitCode.NOT_COMMITTED);
}
