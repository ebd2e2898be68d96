// `rmq broker` and `rmq namesrv` restart once, in place, with their runtime settings
// (core/common/server_runtime.ts): same PID, same arguments, MIMALLOC_PURGE_DELAY=-1 and the
// JavaScriptCore heap settings in the environment; a value the user set is kept.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serverRuntimeEnv } from "../../core/common/server_runtime.ts";
import { requireBinary, rmqBinary } from "../harness/rmq_process.ts";

/** Runs rmq with this process's environment minus the server settings, plus `env`. */
function spawnRmq(args: string[], env: Record<string, string> = {}) {
  requireBinary();
  const base: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
  for (const name of Object.keys(serverRuntimeEnv)) delete base[name];
  return Bun.spawn([rmqBinary, ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...base, ...env },
  });
}

/** Reads stdout until `pattern` matches; the match. */
async function readUntil(stream: ReadableStream<Uint8Array>, pattern: RegExp) {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of stream) {
    text += decoder.decode(chunk, { stream: true });
    const match = pattern.exec(text);
    if (match) return match;
  }
  throw new Error(`stdout ended without ${pattern}: ${text}`);
}

function nulSeparated(path: string): string[] {
  return readFileSync(path, "latin1")
    .split("\0")
    .filter((entry) => entry !== "");
}

describe("server runtime", () => {
  test("server runtime: a broker restarts in place with purging off", async () => {
    const store = mkdtempSync(join(tmpdir(), "rmq-purge-"));
    const args = ["broker", "--listen", "127.0.0.1:0", "--namesrv-listen", "127.0.0.1:0"];
    args.push("--store", store);
    const broker = spawnRmq(args);
    try {
      const ready = await readUntil(broker.stdout, /ready address=\S+ .*pid=(\d+)/);
      expect(Number(ready[1])).toBe(broker.pid); // the process that serves is the one started
      const environ = nulSeparated(`/proc/${broker.pid}/environ`);
      expect(environ).toContain("MIMALLOC_PURGE_DELAY=-1");
      expect(environ).toContain(`BUN_JSC_forceRAMSize=${2 ** 30}`);
      expect(environ).toContain("BUN_JSC_useParallelMarkingConstraintSolver=0");
      expect(environ).toContain(`BUN_JSC_largeHeapSize=${32 * 2 ** 20}`);
      expect(nulSeparated(`/proc/${broker.pid}/cmdline`).slice(1)).toEqual(args);
    } finally {
      broker.kill("SIGKILL");
      await broker.exited;
    }
  });

  test("server runtime: a value the user set is kept; namesrv restarts too", async () => {
    const namesrv = spawnRmq(["namesrv", "--listen", "127.0.0.1:0"], {
      MIMALLOC_PURGE_DELAY: "250",
    });
    try {
      await readUntil(namesrv.stdout, /ready address=/);
      const environ = nulSeparated(`/proc/${namesrv.pid}/environ`);
      expect(environ).toContain("MIMALLOC_PURGE_DELAY=250");
      expect(environ).not.toContain("MIMALLOC_PURGE_DELAY=-1");
    } finally {
      namesrv.kill("SIGKILL");
      await namesrv.exited;
    }
    const plain = spawnRmq(["namesrv", "--listen", "127.0.0.1:0"]);
    try {
      await readUntil(plain.stdout, /ready address=/);
      expect(nulSeparated(`/proc/${plain.pid}/environ`)).toContain("MIMALLOC_PURGE_DELAY=-1");
    } finally {
      plain.kill("SIGKILL");
      await plain.exited;
    }
  });
});
