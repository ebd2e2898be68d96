// Our remoting server and client over real TCP on 127.0.0.1: connection reuse, server-to-client
// requests on the same connection, timeouts, prompt failure when the server goes away, and
// reconnection afterwards.

import { afterEach, describe, expect, test } from "bun:test";
import { SystemClock } from "../../core/common/clock.ts";
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
