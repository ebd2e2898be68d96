// Our remoting server and client over real TCP on 127.0.0.1: connection reuse, server-to-client
// requests on the same connection, timeouts, prompt failure when the server goes away, and
// reconnection afterwards.

import { afterEach, describe, expect, test } from "bun:test";
import { ManualClock, SystemClock } from "../../core/common/clock.ts";
import { ConnectionError, TimeoutError } from "../../core/common/errors.ts";
import { createLogger } from "../../core/common/log.ts";
import { createRequest, createResponse, RequestCode } from "../../core/protocol/index.ts";
import { RemotingClient } from "../../core/remoting/client.ts";
import { ProcessorTable } from "../../core/remoting/processor_table.ts";
import { RemotingServer } from "../../core/remoting/server.ts";
import type { Channel } from "../../core/remoting/channel.ts";
import { waitFor } from "../harness/wait_for.ts";

const clock = new SystemClock();
const log = createLogger("test", { level: "error" });
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function startServer(processors: ProcessorTable, port = 0) {
  const server = new RemotingServer({
    host: "127.0.0.1",
    port,
    processors,
    clock,
    log,
    idleTimeoutSeconds: 120,
  });
  const { port: bound } = server.start();
  cleanups.push(() => server.stop());
  return { server, address: `127.0.0.1:${bound}`, port: bound };
}

function newClient(processors?: ProcessorTable) {
  const client = new RemotingClient({ clock, log, processors });
  cleanups.push(() => client.close());
  return client;
}

describe("remoting: tcp", () => {
  test("remoting: tcp: many requests share one connection and each gets its answer", async () => {
    const processors = new ProcessorTable().register(RequestCode.GET_KV_CONFIG, (req) =>
      createResponse(req, 0, { extFields: { value: req.extFields!.get("key")! } }),
    );
    const { server, address } = startServer(processors);
    const client = newClient();
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        client.invoke(
          address,
          createRequest(RequestCode.GET_KV_CONFIG, { extFields: { key: `k${i}` } }),
        ),
      ),
    );
    expect(answers.map((a) => a.extFields!.get("value"))).toEqual(
      Array.from({ length: 200 }, (_, i) => `k${i}`),
    );
    expect(server.connectionCount()).toBe(1);
  });

  test("remoting: tcp: the server calls the client back on the client's connection", async () => {
    let serverSide: Channel | null = null;
    const processors = new ProcessorTable().register(RequestCode.HEART_BEAT, (req, channel) => {
      serverSide = channel;
      return createResponse(req);
    });
    const { address } = startServer(processors);
    const clientProcessors = new ProcessorTable().register(
      RequestCode.CHECK_TRANSACTION_STATE,
      (req) => createResponse(req, 0, { remark: "checked by client" }),
    );
    const client = newClient(clientProcessors);
    await client.invoke(address, createRequest(RequestCode.HEART_BEAT));
    const answer = await serverSide!.invoke(
      createRequest(RequestCode.CHECK_TRANSACTION_STATE),
      2000,
    );
    expect(answer.remark).toBe("checked by client");
  });

  test("remoting: tcp: a request without an answer times out", async () => {
    const processors = new ProcessorTable().register(RequestCode.PULL_MESSAGE, () => null);
    const { address } = startServer(processors);
    const client = newClient();
    const pending = client.invoke(address, createRequest(RequestCode.PULL_MESSAGE), 100);
    await expect(pending).rejects.toBeInstanceOf(TimeoutError);
  });

  test("remoting: tcp: server stop fails pending requests at once; reconnect works", async () => {
    const held = new ProcessorTable()
      .register(RequestCode.PULL_MESSAGE, () => null)
      .register(RequestCode.HEART_BEAT, (req) => createResponse(req));
    const first = startServer(held);
    const client = newClient();
    const pending = client.invoke(first.address, createRequest(RequestCode.PULL_MESSAGE), 60_000);
    await waitFor(() => first.server.connectionCount() === 1);
    const started = performance.now();
    first.server.stop();
    await expect(pending).rejects.toBeInstanceOf(ConnectionError);
    expect(performance.now() - started).toBeLessThan(5_000);
    const second = startServer(held, first.port);
    const answer = await waitFor(() =>
      client.invoke(second.address, createRequest(RequestCode.HEART_BEAT)).catch(() => null),
    );
    expect(answer.code).toBe(0);
  });

  test("remoting: tcp: connecting to a closed port is a ConnectionError", async () => {
    const { server, address } = startServer(new ProcessorTable());
    server.stop();
    const client = newClient();
    await expect(
      client.invoke(address, createRequest(RequestCode.HEART_BEAT), 500),
    ).rejects.toThrow(/cannot connect|closed|timed out/);
  });
});

describe("remoting: idle connections", () => {
  test("remoting: idle: a busy connection stays open, a silent one closes", async () => {
    const manual = new ManualClock(0);
    let beats = 0;
    const server = new RemotingServer({
      host: "127.0.0.1",
      port: 0,
      processors: new ProcessorTable().register(RequestCode.BROKER_HEARTBEAT, () => {
        beats++;
        return null;
      }),
      clock: manual,
      log,
      idleTimeoutSeconds: 4,
    });
    const { port } = server.start();
    cleanups.push(() => server.stop());
    const client = newClient();
    const address = `127.0.0.1:${port}`;
    const beat = createRequest(RequestCode.BROKER_HEARTBEAT, { oneway: true });
    for (let second = 0; second < 12; second++) {
      await client.invokeOneway(address, beat);
      await waitFor(() => beats === second + 1, { what: "the heartbeat to arrive" });
      manual.advance(1_000);
    }
    expect(server.connectionCount()).toBe(1); // 12 s of heartbeats: never idle
    manual.advance(5_000);
    manual.advance(1_000);
    await waitFor(() => server.connectionCount() === 0, { what: "the idle close" });
  });
});

describe("remoting: idle connections in real time", () => {
  test("remoting: idle: heartbeats keep a connection open past the idle limit", async () => {
    let closes = 0;
    const server = new RemotingServer({
      host: "127.0.0.1",
      port: 0,
      processors: new ProcessorTable().register(RequestCode.BROKER_HEARTBEAT, () => null),
      clock,
      log,
      idleTimeoutSeconds: 1,
      onChannelClose: () => closes++,
    });
    const { port } = server.start();
    cleanups.push(() => server.stop());
    const client = newClient();
    const beat = createRequest(RequestCode.BROKER_HEARTBEAT, { oneway: true });
    // Bun's own socket timeout closed such a connection once its limit passed (rounded up to
    // Bun's 4 s timer granularity), busy or not; 5 s of traffic covers that.
    for (let i = 0; i < 20; i++) {
      await client.invokeOneway(`127.0.0.1:${port}`, beat);
      await Bun.sleep(250); // the traffic's pace, a quarter of the idle limit
    }
    expect(closes).toBe(0);
  }, 10_000);
});
