// An etcd cluster (Debian's etcd-server) of `size` members on loopback ports, for replicated
// controller tests; each member in its own temp data dir, killed and removed on dispose.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { waitFor } from "./wait_for.ts";

/** Why etcd cannot be run here, or null. */
export function etcdUnavailable(): string | null {
  const probe = spawnSync("etcd", ["--version"], { encoding: "utf8" });
  return probe.error || probe.status !== 0 ? "needs etcd (Debian package etcd-server)" : null;
}

/** A port free right now on 127.0.0.1. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export class EtcdCluster implements AsyncDisposable {
  readonly dir = mkdtempSync(join(tmpdir(), "rmq-etcd-"));
  readonly members: { name: string; client: string; proc: Subprocess }[] = [];

  async start(size: number): Promise<void> {
    const ports = await Promise.all(Array.from({ length: size * 2 }, freePort));
    const peers = Array.from(
      { length: size },
      (_, i) => `m${i}=http://127.0.0.1:${ports[i * 2 + 1]}`,
    );
    for (let i = 0; i < size; i++) {
      const client = `http://127.0.0.1:${ports[i * 2]}`;
      const peer = `http://127.0.0.1:${ports[i * 2 + 1]}`;
      const proc = Bun.spawn(
        [
          "etcd",
          "--name",
          `m${i}`,
          "--data-dir",
          join(this.dir, `m${i}`),
          "--listen-client-urls",
          client,
          "--advertise-client-urls",
          client,
          "--listen-peer-urls",
          peer,
          "--initial-advertise-peer-urls",
          peer,
          "--initial-cluster",
          peers.join(","),
          "--initial-cluster-state",
          "new",
          "--initial-cluster-token",
          `rmq-test-${process.pid}`,
        ],
        { stdout: "ignore", stderr: "ignore" },
      );
      this.members.push({ name: `m${i}`, client, proc });
    }
    await waitFor(
      async () => {
        const answers = await Promise.all(
          this.members.map((m) =>
            fetch(`${m.client}/health`)
              .then((r) => r.json() as Promise<{ health?: string }>)
              .catch(() => ({ health: "false" })),
          ),
        );
        return answers.every((a) => a.health === "true");
      },
      { timeoutMs: 20_000, what: "etcd to be healthy" },
    );
  }

  endpoints(): string {
    return this.members.map((m) => m.client).join(",");
  }

  kill(index: number): void {
    this.members[index]!.proc.kill("SIGKILL");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const m of this.members) {
      m.proc.kill("SIGKILL");
      await m.proc.exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
