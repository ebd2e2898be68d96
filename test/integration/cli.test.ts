// The `rmq` binary's command line: version, help, errors and exit codes.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runRmq, RmqProcess } from "../harness/rmq_process.ts";

describe("cli: rmq", () => {
  test("cli: rmq: --version prints the version and git commit", async () => {
    const { stdout, exitCode } = await runRmq(["--version"]);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^rmq \d+\.\d+\.\d+ \(commit [0-9a-f]{7,}(-dirty)?\)\n$/);
  });

  test("cli: rmq: an unknown command or flag is a usage error (exit 2)", async () => {
    const unknown = await runRmq(["frobnicate"]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const badFlag = await runRmq(["namesrv", "--no-such-flag"]);
    expect(badFlag.exitCode).toBe(2);
    expect(badFlag.stderr).toMatch(/Unknown option/);
  });

  test("cli: rmq: namesrv --print-config shows values and where they came from", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rmq-cli-"));
    const conf = join(dir, "namesrv.properties");
    writeFileSync(conf, "listenPort=9999\norderMessageEnable=true\nmisspeltKey=1\n");
    const { stdout, stderr, exitCode } = await runRmq([
      "namesrv",
      "-c",
      conf,
      "--listen-port",
      "0",
      "-p",
    ]);
    expect(exitCode).toBe(0);
    expect(stdout).toContain("listenPort=0  # flag");
    expect(stdout).toContain("orderMessageEnable=true  # file");
    expect(stdout).toContain("scanNotActiveBrokerInterval=5000  # default");
    expect(stderr).toContain("unknown config key misspeltKey ignored");
  });

  test("cli: rmq: a bad config value is a config error (exit 3)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rmq-cli-"));
    const conf = join(dir, "namesrv.properties");
    writeFileSync(conf, "listenPort=ninety\n");
    const { stderr, exitCode } = await runRmq(["namesrv", "-c", conf]);
    expect(exitCode).toBe(3);
    expect(stderr).toContain('listenPort: expected an integer, got "ninety"');
    const missing = await runRmq(["namesrv", "-c", join(dir, "absent.properties")]);
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toContain("cannot read config file");
  });

  test("cli: rmq: a port in use is a startup error (exit 4)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rmq-cli-"));
    await using first = new RmqProcess([
      "namesrv",
      "--listen",
      "127.0.0.1:0",
      "--kv-config-path",
      join(dir, "kv.json"),
    ]);
    const address = await first.ready();
    const port = address.split(":")[1]!;
    const { stderr, exitCode } = await runRmq([
      "namesrv",
      "--listen",
      `127.0.0.1:${port}`,
      "--kv-config-path",
      join(dir, "kv2.json"),
    ]);
    expect(exitCode).toBe(4);
    expect(stderr).toContain("name server could not start");
    expect(stderr).toContain(`127.0.0.1:${port}`);
  });

  test("cli: rmq: a broker whose HA port is taken names that port (exit 4)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rmq-cli-"));
    using held = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    writeFileSync(join(dir, "broker.conf"), `haListenPort=${held.port}\n`);
    const { stderr, exitCode } = await runRmq([
      "broker",
      "-c",
      join(dir, "broker.conf"),
      "--store",
      join(dir, "store"),
      "--listen",
      "127.0.0.1:0",
      "--namesrv-listen",
      "127.0.0.1:0",
    ]);
    expect(exitCode).toBe(4);
    expect(stderr).toContain(`broker could not start: HA port 127.0.0.1:${held.port}`);
  });

  test("cli: rmq: --namesrv-listen embeds a name server though NAMESRV_ADDR is set", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rmq-cli-"));
    writeFileSync(join(dir, "broker.conf"), "haListenPort=0\n");
    const nobody = "127.0.0.1:9"; // discard: nothing answers a name server request there
    const args = ["broker", "-c", join(dir, "broker.conf"), "--listen", "127.0.0.1:0"];
    await using node = new RmqProcess(
      [...args, "--namesrv-listen", "127.0.0.1:0", "--store", join(dir, "a")],
      { NAMESRV_ADDR: nobody },
    );
    await node.ready();
    const listed = /namesrv=(\S+)/.exec(node.stdout)![1]!.split(";");
    expect(listed).toHaveLength(2);
    expect(listed[1]).toBe(nobody);
    const sent = await runRmq(["produce", "-n", listed[0]!, "-t", "Embedded", "--body", "x"]);
    expect(sent.exitCode).toBe(0);
    // Without the flag NAMESRV_ADDR is the broker's name server, as RocketMQ's, and it says so.
    await using other = new RmqProcess([...args, "--store", join(dir, "b")], {
      NAMESRV_ADDR: listed[0]!,
    });
    await other.ready();
    expect(other.stdout).toContain(`namesrv=${listed[0]} `);
    expect(other.stderr).toContain(`name servers from NAMESRV_ADDR (${listed[0]}), so no embedded`);
  });
});
