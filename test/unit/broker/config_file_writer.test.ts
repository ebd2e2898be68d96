// Background persistence of the broker's busy metadata files (config_file_writer.ts): the same
// crash-safe steps as a synchronous persist with the fsyncs awaited, old-or-new content when
// interrupted at any step, one write at a time, and a synchronous persist during a background
// one (a stop) winning without the older write renaming stale bytes over it.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ConfigFileWriter,
  delayOffsetJson,
  loadConfigFile,
  persistConfigFile,
  persistConfigFileAsync,
  type DelayOffsetFile,
} from "../../../core/broker/index.ts";
import { memoryLogger } from "../../../core/common/log.ts";
import { RealFileIO, type FileIO } from "../../../core/store/file_io.ts";
import { gatedSyncIO } from "../../harness/commit_log_syncs.ts";
import { CrashingFileIO } from "../../harness/crashing_file_io.ts";

const io = new RealFileIO();
const dirs: string[] = [];
function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "rmq-config-writer-"));
  dirs.push(dir);
  return join(dir, "config", "delayOffset.json");
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const offsets = (n: number): DelayOffsetFile => ({ offsetTable: new Map([[1, n]]) });
const stored = (path: string) => loadConfigFile(io, path, delayOffsetJson).value;
const never = () => false;

/** Every file's async fsyncs wait until the test releases them. */
const gatedSyncs = () => gatedSyncIO([], () => true);

describe("broker: config file writer", () => {
  test("broker: config file writer: background persist takes the synchronous steps", async () => {
    const syncPath = tempPath();
    const asyncPath = tempPath();
    persistConfigFile(io, syncPath, delayOffsetJson, offsets(1));
    persistConfigFile(io, asyncPath, delayOffsetJson, offsets(1));
    const syncSteps = new CrashingFileIO(io);
    const asyncSteps = new CrashingFileIO(io);
    persistConfigFile(syncSteps, syncPath, delayOffsetJson, offsets(2));
    expect(
      await persistConfigFileAsync(asyncSteps, asyncPath, delayOffsetJson, offsets(2), never),
    ).toBe(true);
    expect(asyncSteps.ops).toEqual(syncSteps.ops);
    expect(asyncSteps.ops).toContain("sync delayOffset.json.tmp");
    expect(stored(asyncPath)).toEqual(offsets(2));
    expect(loadConfigFile(io, `${asyncPath}.bak`, delayOffsetJson).value).toEqual(offsets(1));
    expect(existsSync(`${asyncPath}.tmp`)).toBe(false);
  });

  test("broker: config file writer: interrupted at any step: old or new content", async () => {
    const probe = new CrashingFileIO(io);
    const probePath = tempPath();
    persistConfigFile(io, probePath, delayOffsetJson, offsets(1));
    await persistConfigFileAsync(probe, probePath, delayOffsetJson, offsets(2), never);
    const renameAt = probe.ops.indexOf("rename delayOffset.json.tmp delayOffset.json");
    expect(renameAt).toBeGreaterThan(0);
    for (let crashAt = 0; crashAt < probe.ops.length; crashAt++) {
      const path = tempPath();
      persistConfigFile(io, path, delayOffsetJson, offsets(1));
      const crashing = new CrashingFileIO(io, crashAt);
      const write = persistConfigFileAsync(crashing, path, delayOffsetJson, offsets(2), never);
      await expect(write).rejects.toThrow(/simulated crash/);
      expect(stored(path)).toEqual(offsets(crashAt <= renameAt ? 1 : 2));
    }
  });

  test("broker: config file writer: the value is taken at the call, not when written", async () => {
    const path = tempPath();
    const writer = new ConfigFileWriter(io, path, delayOffsetJson, memoryLogger());
    const value = offsets(5);
    writer.changed();
    writer.persistInBackground(value);
    value.offsetTable.set(1, 6);
    await writer.idle();
    expect(stored(path)).toEqual(offsets(5));
  });

  test("broker: config file writer: one background write at a time", async () => {
    const path = tempPath();
    const gate = gatedSyncs();
    const writer = new ConfigFileWriter(gate.io, path, delayOffsetJson, memoryLogger());
    writer.changed();
    writer.persistInBackground(offsets(1));
    expect(gate.waiting()).toBe(1);
    writer.changed();
    writer.persistInBackground(offsets(2)); // a tick while the first one waits: skipped
    expect(gate.waiting()).toBe(1);
    while (gate.waiting() > 0) {
      gate.releaseOldest();
      await Bun.sleep(0);
    }
    await writer.idle();
    expect(stored(path)).toEqual(offsets(1));
    // The change the skipped tick left is still pending, and the next tick writes it.
    writer.persistInBackground(offsets(2));
    while (gate.waiting() > 0 || existsSync(`${path}.tmp`)) {
      gate.releaseOldest();
      await Bun.sleep(0);
    }
    await writer.idle();
    expect(stored(path)).toEqual(offsets(2));
    // Nothing changed since: a tick writes nothing.
    writer.persistInBackground(offsets(3));
    expect(gate.waiting()).toBe(0);
  });

  test("broker: config file writer: a stop's persist wins over one in flight", async () => {
    const path = tempPath();
    persistConfigFile(io, path, delayOffsetJson, offsets(1));
    const gate = gatedSyncs();
    const log = memoryLogger();
    const writer = new ConfigFileWriter(gate.io, path, delayOffsetJson, log);
    writer.changed();
    writer.persistInBackground(offsets(2));
    expect(gate.waiting()).toBe(1); // its temp file written, its fsync not done
    writer.changed();
    writer.persist(offsets(3)); // the stop: fsyncs inline, renames its temp file in place
    expect(stored(path)).toEqual(offsets(3));
    gate.releaseOldest();
    await writer.idle();
    expect(gate.waiting()).toBe(0); // gave up after the fsync: no .bak write, no rename
    expect(stored(path)).toEqual(offsets(3));
    expect(existsSync(`${path}.tmp`)).toBe(false);
    expect(readFileSync(path, "utf8")).toBe(delayOffsetJson.encode(offsets(3)));
    expect(log.lines.filter((line) => line.includes("could not persist"))).toEqual([]);
  });

  test("broker: config file writer: a stop with no change since a tick still writes", async () => {
    const path = tempPath();
    persistConfigFile(io, path, delayOffsetJson, offsets(1));
    const gate = gatedSyncs();
    const writer = new ConfigFileWriter(gate.io, path, delayOffsetJson, memoryLogger());
    writer.changed();
    writer.persistInBackground(offsets(2));
    expect(gate.waiting()).toBe(1);
    // The process may exit before that fsync returns: the stop must not rely on it.
    writer.persist(offsets(2));
    expect(stored(path)).toEqual(offsets(2));
    gate.releaseOldest();
    await writer.idle();
    expect(stored(path)).toEqual(offsets(2));
    // Idle and unchanged: nothing to write.
    const steps = new CrashingFileIO(io);
    new ConfigFileWriter(steps, path, delayOffsetJson, memoryLogger()).persist(offsets(3));
    expect(steps.ops).toEqual([]);
  });

  test("broker: config file writer: a failed write is retried on the next tick", async () => {
    const path = tempPath();
    const log = memoryLogger();
    let failures = 1;
    const flaky: FileIO = Object.assign(Object.create(io), {
      syncDirectoryAsync: (dir: string) =>
        failures-- > 0 ? Promise.reject(new Error("EIO: simulated")) : io.syncDirectoryAsync(dir),
    });
    const writer = new ConfigFileWriter(flaky, path, delayOffsetJson, log);
    writer.changed();
    writer.persistInBackground(offsets(1));
    await writer.idle();
    expect(log.lines.some((line) => /could not persist delayOffset\.json.*EIO/.test(line))).toBe(
      true,
    );
    writer.persistInBackground(offsets(2));
    await writer.idle();
    expect(stored(path)).toEqual(offsets(2));
  });
});
