// A controller-mode replica group as real processes on 127.0.0.1: `rmq namesrv` with the
// controller inside (enableControllerInNamesrv) and brokers in controller mode, each on ports
// the OS picks, each with its own store and conf under one temp dir.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RmqProcess } from "./rmq_process.ts";
import { waitFor } from "./wait_for.ts";

export const segmentBytes = 256 * 1024;

export class ControllerCluster implements AsyncDisposable {
  readonly dir = mkdtempSync(join(tmpdir(), "rmq-failover-"));
  namesrv: RmqProcess | null = null;
  namesrvAddr = "";
  readonly brokers = new Map<string, RmqProcess>();

  /** Starts (or restarts, on the address it had) the name server with the controller. */
  async startNamesrv(extraConf = ""): Promise<void> {
    const conf = join(this.dir, "namesrv.conf");
    writeFileSync(
      conf,
      `enableControllerInNamesrv=true\ncontrollerStorePath=${join(this.dir, "controller")}\n` +
        `kvConfigPath=${join(this.dir, "kv.json")}\n${extraConf}`,
    );
    const listen = this.namesrvAddr || "127.0.0.1:0";
    this.namesrv = new RmqProcess(["namesrv", "-c", conf, "--listen", listen]);
    this.namesrvAddr = await this.namesrv.ready();
  }

  store(name: string): string {
    return join(this.dir, `store-${name}`);
  }

  /** Starts (or restarts) replica `name` of group fo-a, on the port it had before. */
  async startBroker(name: string, extraConf = "", port = 0): Promise<RmqProcess> {
    const conf = join(this.dir, `${name}.conf`);
    mkdirSync(this.store(name), { recursive: true });
    writeFileSync(
      conf,
      [
        "brokerName=fo-a",
        "enableControllerMode=true",
        `controllerAddr=${this.namesrvAddr}`,
        `namesrvAddr=${this.namesrvAddr}`,
        "brokerId=-1",
        "brokerRole=SLAVE",
        "haListenPort=0",
        `mappedFileSizeCommitLog=${segmentBytes}`,
        extraConf,
      ].join("\n"),
    );
    const broker = new RmqProcess([
      "broker",
      "-c",
      conf,
      "--listen",
      `127.0.0.1:${port}`,
      "--store",
      this.store(name),
    ]);
    await broker.ready(15_000);
    this.brokers.set(name, broker);
    return broker;
  }

  /** The replica that logged becoming master most recently, among those running. */
  async master(notName?: string): Promise<string> {
    return waitFor(
      () => {
        for (const [name, broker] of this.brokers) {
          if (name === notName || broker.proc.exitCode !== null || broker.proc.killed) continue;
          const lines = broker.stderr.split("\n");
          const lastRole = lines.filter((l) => /now (MASTER|SLAVE)/.test(l)).pop() ?? "";
          if (lastRole.includes("now MASTER")) return name;
        }
        return undefined;
      },
      { timeoutMs: 15_000, what: "a master" },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${this.logs()}`);
    });
  }

  /** Every process's stderr, for a failure message (a CI log is all there is to go on). */
  logs(): string {
    const parts = [`--- namesrv\n${this.namesrv?.stderr ?? ""}`];
    for (const [name, broker] of this.brokers) parts.push(`--- broker ${name}\n${broker.stderr}`);
    return parts.join("\n");
  }

  /** Waits for the controller to report this in-sync set. */
  async inSync(ids: string): Promise<void> {
    await waitFor(() => this.namesrv?.stderr.includes(`in-sync set is now [${ids}]`), {
      timeoutMs: 20_000,
      what: `in-sync set [${ids}]`,
    });
  }

  async kill(name: string): Promise<void> {
    const broker = this.brokers.get(name);
    if (broker) await broker[Symbol.asyncDispose]();
    this.brokers.delete(name);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const name of [...this.brokers.keys()]) await this.kill(name);
    if (this.namesrv) await this.namesrv[Symbol.asyncDispose]();
  }
}

/** The end of a store's commit log: the last non-zero byte (files are preallocated). */
export function logEnd(store: string): number {
  const dir = join(store, "commitlog");
  let end = 0;
  for (const name of readdirSync(dir).sort()) {
    // A replica that rejoins truncates while we look: a segment listed may be gone already
    // (the caller polls, so the next look sees the new state).
    const bytes = readIfPresent(join(dir, name));
    if (!bytes) continue;
    let last = bytes.length - 1;
    while (last >= 0 && bytes[last] === 0) last--;
    if (last >= 0) end = Number(name) + last + 1;
  }
  return end;
}

function readIfPresent(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** A store's commit log bytes up to `end`, segment by segment. */
export function logBytes(store: string, end: number): Buffer {
  const dir = join(store, "commitlog");
  const parts: Buffer[] = [];
  for (const name of readdirSync(dir).sort()) {
    const start = Number(name);
    if (start >= end) continue;
    parts.push(readFileSync(join(dir, name)).subarray(0, Math.min(segmentBytes, end - start)));
  }
  return Buffer.concat(parts);
}
