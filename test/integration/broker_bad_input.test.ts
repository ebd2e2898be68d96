// Bad input to a running `rmq broker`: malformed frames and headers, unknown codes, missing
// header fields, a client vanishing in the middle of a held pull. Each gets a clear answer or
// loses only its own connection; the broker keeps serving everyone else and logs why.

import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SystemClock } from "../../core/common/clock.ts";
import { createLogger } from "../../core/common/log.ts";
import {
  createRequest,
  encodePullMessageRequest,
  RequestCode,
  ResponseCode,
} from "../../core/protocol/index.ts";
import { RemotingClient } from "../../core/remoting/client.ts";
import { runRmq } from "../harness/rmq_process.ts";
import { startSingleNode } from "../harness/single_node.ts";

const log = createLogger("test", { level: "error" });

async function rawConnection(address: string) {
  const [host, port] = address.split(":");
  const closed = Promise.withResolvers<void>();
  const socket = await Bun.connect({
    hostname: host!,
    port: Number(port),
    socket: { data() {}, close: () => closed.resolve() },
  });
  return { socket, closed: closed.promise };
}

describe("broker: bad input", () => {
  test("broker: bad input: malformed frames, unknown codes, vanished clients", async () => {
    const started = await startSingleNode(mkdtempSync(join(tmpdir(), "rmq-bad-")));
    await using node = started.node;
    const { address, namesrv } = started;
    expect((await runRmq(["produce", "-n", namesrv, "-t", "Good", "--body", "x"])).exitCode).toBe(
      0,
    );

    // A frame whose JSON header is not JSON: that connection closes, nothing else.
    const bad = await rawConnection(address);
    const header = new TextEncoder().encode("{not json");
    const frame = new Uint8Array(8 + header.length);
    new DataView(frame.buffer).setInt32(0, 4 + header.length);
    new DataView(frame.buffer).setInt32(4, header.length);
    frame.set(header, 8);
    bad.socket.write(frame);
    await bad.closed;

    const client = new RemotingClient({ clock: new SystemClock(), log });
    try {
      const unknown = await client.invoke(address, createRequest(4242));
      expect(unknown.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
      const missing = await client.invoke(
        address,
        createRequest(RequestCode.PULL_MESSAGE, { extFields: { topic: "Good" } }),
      );
      expect(missing.code).toBe(ResponseCode.SYSTEM_ERROR);
      expect(missing.remark).toContain("header field consumerGroup is required");
      // A send-back naming no record, and one missing its group.
      const sendBack = (fields: Record<string, string | number>) =>
        client.invoke(
          address,
          createRequest(RequestCode.CONSUMER_SEND_MSG_BACK, { extFields: fields }),
        );
      const nowhere = await sendBack({ offset: 1 << 30, group: "g", delayLevel: 0 });
      expect([nowhere.code, nowhere.remark]).toEqual([
        ResponseCode.SYSTEM_ERROR,
        `look message by offset failed, ${1 << 30}`,
      ]);
      const groupless = await sendBack({ offset: 0, delayLevel: 0 });
      expect(groupless.remark).toContain("header field group is required");
      // delayLevel -1: straight to the dead-letter queue, no retry.
      const dead = await sendBack({ offset: 0, group: "g", delayLevel: -1 });
      expect(dead.code).toBe(ResponseCode.SUCCESS);

      // A client parks a long poll and vanishes; the broker answers everyone else.
      const vanishing = new RemotingClient({ clock: new SystemClock(), log });
      const held = vanishing
        .invoke(
          address,
          createRequest(RequestCode.PULL_MESSAGE, {
            extFields: encodePullMessageRequest({
              consumerGroup: "g",
              topic: "Good",
              queueId: 0,
              queueOffset: 99,
              maxMsgNums: 1,
              sysFlag: 2 | 4,
              commitOffset: 0,
              suspendTimeoutMillis: 30_000,
              subscription: "*",
              subVersion: 0,
              expressionType: "TAG",
              maxMsgBytes: undefined,
            }),
          }),
          60_000,
        )
        .catch((error) => error);
      vanishing.close();
      expect(String(await held)).toContain("closed");
      const after = await runRmq([
        "consume",
        "-n",
        namesrv,
        "-t",
        "Good",
        "-g",
        "after",
        "--from",
        "first",
        "--count",
        "1",
        "--format",
        "{body}",
      ]);
      expect(after.stdout).toBe("x\n");
      const letter = await runRmq([
        "consume",
        "-n",
        namesrv,
        "-t",
        "%DLQ%g",
        "-g",
        "d",
        "--from",
        "first",
        "--count",
        "1",
        "--json",
      ]);
      expect(JSON.parse(letter.stdout)).toMatchObject({ body: "x", reconsumeTimes: 1 });
    } finally {
      client.close();
    }
    expect(node.stderr).toMatch(/malformed input: bad JSON/);
  }, 30_000);
});
