// Runs a user's shell command for a message (`rmq consume --exec/--reply`, `rmq tx
// --exec/--check`): the body on its stdin, the message's fields in RMQ_* variables, its output
// to ours (or, for a reply, kept). It runs in its own process group, so a timeout stops it and
// everything it started.

import { spawn } from "node:child_process";
import type { Clock } from "../core/common/index.ts";
import type { ReceivedMessage } from "../core/client/index.ts";

/** What commands get in their environment: the message's fields and its user properties. */
export function execEnvironment(m: ReceivedMessage): Record<string, string> {
  const env: Record<string, string> = {
    RMQ_MSG_ID: m.msgId,
    RMQ_OFFSET_MSG_ID: m.offsetMsgId,
    RMQ_TOPIC: m.topic,
    RMQ_QUEUE_ID: String(m.queueId),
    RMQ_QUEUE_OFFSET: String(m.queueOffset),
    RMQ_TAGS: m.tags ?? "",
    RMQ_KEYS: m.keys.join(" "),
    RMQ_RECONSUME_TIMES: String(m.reconsumeTimes),
    RMQ_BORN_TIMESTAMP: String(m.bornTimestamp),
    RMQ_STORE_TIMESTAMP: String(m.storeTimestamp),
  };
  for (const [name, value] of m.properties) {
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) env[`RMQ_PROP_${name}`] = value;
  }
  return env;
}

/** The command's exit code, or "timeout" when it ran past `timeoutMs` and was stopped. */
export async function runCommand(
  command: string,
  stdin: Uint8Array,
  env: Record<string, string>,
  timeoutMs: number | undefined,
  clock: Clock,
): Promise<number | "timeout"> {
  return (await spawnCommand(command, stdin, env, timeoutMs, clock, false)).code;
}

/** runCommand, with what the command wrote to its stdout kept rather than passed on. */
export function runCommandForOutput(
  command: string,
  stdin: Uint8Array,
  env: Record<string, string>,
  timeoutMs: number | undefined,
  clock: Clock,
): Promise<{ code: number | "timeout"; stdout: Uint8Array }> {
  return spawnCommand(command, stdin, env, timeoutMs, clock, true);
}

async function spawnCommand(
  command: string,
  stdin: Uint8Array,
  env: Record<string, string>,
  timeoutMs: number | undefined,
  clock: Clock,
  captureStdout: boolean,
): Promise<{ code: number | "timeout"; stdout: Uint8Array }> {
  const child = spawn("sh", ["-c", command], {
    stdio: ["pipe", captureStdout ? "pipe" : "inherit", "inherit"],
    env: { ...process.env, ...env },
    detached: true,
  });
  const chunks: Buffer[] = [];
  child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk));
  child.stdin!.on("error", () => {}); // a command that does not read its stdin
  child.stdin!.end(stdin);
  let timedOut = false;
  const timer =
    timeoutMs === undefined
      ? null
      : clock.after(timeoutMs, () => {
          timedOut = true;
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {
            // Already gone.
          }
        });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (exitCode) => resolve(exitCode));
  });
  timer?.cancel();
  const stdout = new Uint8Array(Buffer.concat(chunks));
  return { code: timedOut ? "timeout" : (code ?? -1), stdout };
}
