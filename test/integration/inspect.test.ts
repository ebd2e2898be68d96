// `rmq inspect` as a process on stores Apache RocketMQ 4.9.7 wrote, and on damaged copies.

import { describe, expect, test } from "bun:test";
import { openSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { jsonLines, rmqBinary, runRmq } from "../harness/rmq_process.ts";
import { sharedFixturesDir, skipReason } from "../harness/shared_fixtures.ts";
import { scratchStoreCopy, storeFixture } from "../harness/store_fixtures.ts";

const describeIfFixtures = sharedFixturesDir ? describe : describe.skip;
if (!sharedFixturesDir) console.warn(`skipping inspect tests: ${skipReason}`);

describeIfFixtures("cli: inspect", () => {
  test("cli: inspect: verify passes on both RocketMQ stores", async () => {
    for (const name of ["clean", "crash"] as const) {
      const { stdout, exitCode } = await runRmq(["inspect", "verify", storeFixture(name)!]);
      expect(exitCode).toBe(0);
      expect(stdout).toMatch(/problems=0\nOK\n$/);
    }
  });

  test("cli: inspect: commitlog --json: one object per record, base64 bodies", async () => {
    const root = storeFixture("clean")!;
    const { stdout, exitCode } = await runRmq([
      "inspect",
      "commitlog",
      root,
      "--topic",
      "FxEvents",
      "--json",
      "--body",
      "--count",
      "5",
    ]);
    expect(exitCode).toBe(0);
    const records = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(records).toHaveLength(5);
    for (const r of records) {
      expect(r.topic).toBe("FxEvents");
      expect(Buffer.from(r.body, "base64").length).toBe(r.bodyLength);
      expect(r.msgId).toMatch(/^7F00000100002A9F[0-9A-F]{16}$/);
    }
  });

  test("cli: inspect: a single segment file, queue units, index keys and stats", async () => {
    const root = storeFixture("clean")!;
    const segment = join(root, "commitlog", "00000000000003145728");
    const seg = await runRmq(["inspect", "commitlog", segment, "--json"]);
    expect(seg.stdout.trim().split("\n")).toHaveLength(32);
    const queue = await runRmq(["inspect", "queue", root, "FxOrders", "3", "--json"]);
    expect(queue.stdout.trim().split("\n")).toHaveLength(321);
    const index = await runRmq(["inspect", "index", root, "order-1003", "--json"]);
    expect(index.stdout.trim().split("\n")).toHaveLength(6);
    const stats = await runRmq(["inspect", "stats", root, "--json"]);
    const rows = jsonLines(stats.stdout);
    const orders = rows.filter((r) => r.topic === "FxOrders").map((r) => r.records);
    expect(orders).toEqual([302, 318, 309, 321]);
    const checkpoint = await runRmq(["inspect", "checkpoint", root, "--json"]);
    expect(JSON.parse(checkpoint.stdout).physicMsgTimestamp).toBe(1795608086672);
  });

  test("cli: inspect: corruption exits 1 with the first bad offset", async () => {
    const root = scratchStoreCopy("crash");
    const fd = openSync(join(root, "commitlog", "00000000000000000000"), "r+");
    writeSync(fd, Uint8Array.of(0xff, 0xff), 0, 2, 10404 + 200); // inside the body of record 2
    closeSync(fd);
    const { stdout, exitCode } = await runRmq(["inspect", "verify", root]);
    expect(exitCode).toBe(1);
    expect(stdout).toContain("CORRUPT: first bad offset 10404");
    const scan = await runRmq(["inspect", "commitlog", root, "--count", "5"]);
    expect(scan.exitCode).toBe(1);
    expect(scan.stderr).toContain("stopped at 10404 in 00000000000000000000: body CRC mismatch");
  });

  test("cli: inspect: verify finds a damaged queue unit that valid ones follow", async () => {
    const root = scratchStoreCopy("clean");
    const fd = openSync(join(root, "consumequeue", "FxOrders", "2", "00000000000000000000"), "r+");
    writeSync(fd, Uint8Array.of(0x7f), 0, 1, 233 * 20); // unit 233's physical offset, top byte
    closeSync(fd);
    const { stdout, exitCode } = await runRmq(["inspect", "verify", root]);
    expect(exitCode).toBe(1);
    expect(stdout).toContain("FxOrders/2 at 233: unit does not decode, and units from 234 on do");
  });

  test("cli: inspect: a reader that stops early (| head) ends it quietly", async () => {
    const root = storeFixture("clean")!;
    const script = `"${rmqBinary}" inspect commitlog "${root}" | head -1; exit \${PIPESTATUS[0]}`;
    const proc = Bun.spawn(["bash", "-c", script], { stdout: "pipe", stderr: "pipe" });
    const [out, err] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
    ]);
    expect(await proc.exited).toBe(0);
    expect(out.split("\n")).toHaveLength(2); // one line and the end
    expect(err).toBe("");
  });

  test("cli: inspect: bad arguments are usage errors; a non-store is a failure", async () => {
    expect((await runRmq(["inspect", "frob", "/tmp"])).exitCode).toBe(2);
    expect((await runRmq(["inspect", "queue", storeFixture("clean")!])).exitCode).toBe(2);
    const notStore = await runRmq(["inspect", "verify", "/tmp"]);
    expect(notStore.exitCode).toBe(1);
    expect(notStore.stderr).toContain("not a RocketMQ store");
    // A store written outside controller mode has no epoch file to show.
    const noEpochs = await runRmq(["inspect", "ha", storeFixture("clean")!]);
    expect(noEpochs.exitCode).toBe(1);
    expect(noEpochs.stderr).toContain("not written in controller mode");
  });
});
