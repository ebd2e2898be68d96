// The two Apache RocketMQ 4.9.7 stores in shared/fixtures/rocketmq-store, unpacked once per
// test process into a temp dir (GNU tar keeps their sparse files sparse), with their manifests.

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { sharedFixturesDir } from "./shared_fixtures.ts";

export type StoreFixture = "clean" | "crash";

const unpacked = new Map<StoreFixture, string>();

/** The store root of a fixture (a fresh private copy per process); null without fixtures. */
export function storeFixture(name: StoreFixture): string | null {
  if (!sharedFixturesDir) return null;
  let root = unpacked.get(name);
  if (!root) {
    const dir = mkdtempSync(join(tmpdir(), `rmq-store-${name}-`));
    const tarball = join(sharedFixturesDir, "rocketmq-store", `store-${name}.tar.gz`);
    const result = Bun.spawnSync(["tar", "-xzf", tarball, "-C", dir]);
    if (result.exitCode !== 0) throw new Error(`tar failed: ${result.stderr.toString()}`);
    root = join(dir, `store-${name}`);
    unpacked.set(name, root);
  }
  return root;
}

/** A second, scratch copy a test may damage. */
export function scratchStoreCopy(name: StoreFixture): string {
  const source = storeFixture(name)!;
  const dir = mkdtempSync(join(tmpdir(), `rmq-store-${name}-scratch-`));
  const result = Bun.spawnSync(["cp", "-a", "--sparse=always", source, dir]);
  if (result.exitCode !== 0) throw new Error(`cp failed: ${result.stderr.toString()}`);
  return join(dir, `store-${name}`);
}

/**
 * broker.conf for serving a fixture store: the settings of the broker that wrote it (README of
 * rocketmq-store; sizes must match the files), and retention held off.
 */
export const fixtureBrokerConf = [
  "brokerName=broker-a",
  "brokerClusterName=DefaultCluster",
  "mappedFileSizeCommitLog=1048576",
  "mappedFileSizeConsumeQueue=6000",
  "maxHashSlotNum=1024",
  "maxIndexNum=4096",
  "flushDiskType=SYNC_FLUSH",
  // The fixture's files keep their old mtimes (cp -a): by the default 72 h they are long
  // expired, and retention would delete them at the 04 deleteWhen hour or whenever this
  // machine's disk is 75 % used. Serving them is the point, not retention.
  "fileReservedTime=1000000",
  "diskSpaceCleanForciblyRatio=95",
  "diskSpaceWarningLevelRatio=99",
].join("\n");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Manifest = any;

export function storeManifest(name: StoreFixture): Manifest {
  const path = join(sharedFixturesDir!, "rocketmq-store", `manifest-${name}.json.gz`);
  return JSON.parse(gunzipSync(readFileSync(path)).toString("utf8"));
}
