// Builds the single `rmq` executable: `bun build --compile` of cli/main.ts into dist/rmq, with
// the git commit baked in so `rmq --version` can report it.

import { $ } from "zx";

$.verbose = false;
const root = new URL("..", import.meta.url).pathname;
$.cwd = root;

const gitResult = await $`git rev-parse --short=12 HEAD`.nothrow();
const commit = gitResult.exitCode === 0 ? gitResult.stdout.trim() : "unknown";
const dirty = (await $`git status --porcelain --untracked-files=no`.nothrow()).stdout.trim();
const label = dirty ? `${commit}-dirty` : commit;

const started = performance.now();
const define = `RMQ_BUILD_COMMIT=${JSON.stringify(label)}`;
// --bytecode: the runtime loads precompiled bytecode instead of parsing the bundle, which takes
// ~25 ms off every start (a broker starts twice: core/common/server_runtime.ts). It needs
// --format=esm for the CLI's top-level await.
const flags = ["--compile", "--bytecode", "--format=esm"];
await $`bun build ${flags} cli/main.ts --outfile dist/rmq --define ${define}`;
const version = (await $`./dist/rmq --version`).stdout.trim();
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`built dist/rmq in ${seconds}s: ${version}`);
