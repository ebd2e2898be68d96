// Preloaded by `bun test` (bunfig.toml): the run makes its temp dirs (stores, broker configs,
// unpacked fixtures) under one directory of its own, removed when the run ends. Each run left
// about 120 of them in /tmp before, a few GB after a day of runs.

import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const runDir = mkdtempSync(join(tmpdir(), "rmq-test-run-"));
// os.tmpdir() reads TMPDIR on every call, and the processes tests start inherit it.
process.env.TMPDIR = runDir;
// A hook registered in a preload runs once, after every test file of the run.
afterAll(() => {
  try {
    rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    // A process a test left running may still write there: leave the rest, say so, pass.
    console.warn(`could not remove ${runDir}: ${error}`);
  }
});
