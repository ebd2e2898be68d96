// The version and git commit the binary reports. `scripts/build.ts` bakes the commit in with
// --define; running from source asks git.

import pkg from "../package.json" with { type: "json" };

declare const RMQ_BUILD_COMMIT: string | undefined;

function commitFromSource(): string {
  try {
    const result = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], {
      cwd: import.meta.dir,
      stderr: "ignore",
    });
    const text = result.stdout.toString().trim();
    return result.exitCode === 0 && text ? text : "unknown";
  } catch {
    return "unknown";
  }
}

export const rmqVersion: string = pkg.version;

export function rmqCommit(): string {
  return typeof RMQ_BUILD_COMMIT === "string" ? RMQ_BUILD_COMMIT : commitFromSource();
}

export function versionLine(): string {
  return `rmq ${rmqVersion} (commit ${rmqCommit()})`;
}
