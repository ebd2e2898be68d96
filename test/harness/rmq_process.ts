// Runs the built `rmq` binary as a real process for integration tests: waits for its ready line,
// collects stdout and stderr, and kills it on dispose (`await using`).

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Subprocess } from "bun";
import { waitFor } from "./wait_for.ts";

export const rmqBinary = resolve(import.meta.dir, "..", "..", "dist", "rmq");

export function requireBinary(): void {
  if (!existsSync(rmqBinary)) {
    throw new Error(`${rmqBinary} is missing: run "npm run build" first (npm test does)`);
  }
}

export class RmqProcess implements AsyncDisposable {
  stdout = "";
  stderr = "";
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  readonly exited: Promise<number>;

  /** `wrap`: a command prefix, such as `ip netns exec NS` to run it on a test host. */
  constructor(args: string[], env: Record<string, string> = {}, wrap: string[] = []) {
    requireBinary();
    this.proc = Bun.spawn([...wrap, rmqBinary, ...args], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, NO_COLOR: "1", ...env },
    });
    void this.collect(this.proc.stdout, (t) => (this.stdout += t));
    void this.collect(this.proc.stderr, (t) => (this.stderr += t));
    this.exited = this.proc.exited;
  }

  private async collect(stream: ReadableStream<Uint8Array>, sink: (text: string) => void) {
    const decoder = new TextDecoder();
    for await (const chunk of stream) sink(decoder.decode(chunk, { stream: true }));
  }

  /** Waits for `rmq <role> ready address=host:port` and returns the address. */
  async ready(timeoutMs = 10_000): Promise<string> {
    let exitCode: number | null = null;
    void this.exited.then((code) => (exitCode = code));
    const match = await waitFor(
      () => {
        if (exitCode !== null) {
          throw new Error(`rmq exited with ${exitCode} before ready; stderr: ${this.stderr}`);
        }
        return /ready address=(\S+)/.exec(this.stdout);
      },
      { timeoutMs, what: "the ready line" },
    );
    return match[1]!;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
    await this.exited;
  }
}

/** Runs rmq to completion (with `stdinText` on its stdin) and returns its exit code and output. */
export async function runRmq(
  args: string[],
  env: Record<string, string> = {},
  stdinText?: string,
  wrap: string[] = [],
) {
  requireBinary();
  const proc = Bun.spawn([...wrap, rmqBinary, ...args], {
    stdin: stdinText === undefined ? "ignore" : new Blob([stdinText]),
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, exitCode };
}

/** One JSON value per non-empty line (what `--json` prints). */
export function jsonLines(text: string): any[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}
