// RocketMQ's request-reply (4.6+) on a real `rmq broker`: a consumer's reply
// (SEND_REPLY_MESSAGE_V2) is pushed at once to the producer that asked, found by the client id
// in REPLY_TO_CLIENT (PUSH_REPLY_MESSAGE_TO_CLIENT), and stored on the reply topic; a reply for
// a client that is not connected is stored but refused, with 4.9.7's remark. Then our own
// Requester and a push consumer that answers with replyTo, end to end, and the same from the
// shell: rmq produce --request and rmq consume --reply.

import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SystemClock } from "../../core/common/clock.ts";
import { createLogger } from "../../core/common/log.ts";
import { formatMessageProperties, parseMessageProperties } from "../../core/common/message.ts";
import {
  createRequest,
  createResponse,
  encodeHeartbeat,
  RequestCode,
  ResponseCode,
  type RemotingCommand,
} from "../../core/protocol/index.ts";
import { RemotingClient } from "../../core/remoting/client.ts";
import { ProcessorTable } from "../../core/remoting/processor_table.ts";
import { PushConsumer } from "../../core/client/consumer.ts";
import { Producer } from "../../core/client/producer.ts";
import { replyTo } from "../../core/client/request_reply.ts";
import { Requester } from "../../core/client/requester.ts";
import { sendRequest } from "../harness/raw_requests.ts";
import { RmqProcess, runRmq } from "../harness/rmq_process.ts";
import { startSingleNode } from "../harness/single_node.ts";

test("request reply: a reply reaches the requester at once and is stored", async () => {
  const node = await startSingleNode(mkdtempSync(join(tmpdir(), "rmq-request-reply-")));
  await using _node = node.node;
  const log = createLogger("test", { level: "error" });
  const pushes: RemotingCommand[] = [];
  const processors = new ProcessorTable().register(
    RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT,
    (request) => {
      pushes.push(request);
      return createResponse(request, ResponseCode.SUCCESS);
    },
  );
  const requester = new RemotingClient({ clock: new SystemClock(), log, processors });
  const replier = new RemotingClient({ clock: new SystemClock(), log });
  try {
    const registered = await requester.invoke(
      node.address,
      createRequest(RequestCode.HEART_BEAT, {
        body: encodeHeartbeat({
          clientID: "requester-1",
          producerDataSet: [{ groupName: "askers" }],
          consumerDataSet: [],
        }),
      }),
    );
    expect(registered.code).toBe(ResponseCode.SUCCESS);
    const reply = (to: string) => {
      const request = sendRequest("DefaultCluster_REPLY_TOPIC", new TextEncoder().encode("pong"), {
        producerGroup: "answerers",
        properties: formatMessageProperties(
          new Map([
            ["CORRELATION_ID", "c-1"],
            ["REPLY_TO_CLIENT", to],
            ["MSG_TYPE", "reply"],
          ]),
        ),
      });
      return replier.invoke(node.address, { ...request, code: RequestCode.SEND_REPLY_MESSAGE_V2 });
    };

    const answered = await reply("requester-1");
    expect([answered.code, answered.remark]).toEqual([ResponseCode.SUCCESS, null]);
    expect(answered.extFields?.get("msgId")).not.toBe("0"); // stored: a real offset msgId
    expect(pushes).toHaveLength(1);
    const [push] = pushes;
    expect(new TextDecoder().decode(push!.body!)).toBe("pong");
    expect(push!.extFields?.get("topic")).toBe("DefaultCluster_REPLY_TOPIC");
    const properties = parseMessageProperties(push!.extFields!.get("properties")!);
    expect(properties.get("CORRELATION_ID")).toBe("c-1");
    expect(Number(properties.get("PUSH_REPLY_TIME"))).toBeGreaterThan(0);

    const unknown = await reply("nobody");
    expect([unknown.code, unknown.remark]).toEqual([
      ResponseCode.SYSTEM_ERROR,
      "push reply message fail, channel of <nobody> not found.",
    ]);
    expect(Number(unknown.extFields?.get("queueOffset"))).toBe(1); // stored after the first
    expect(pushes).toHaveLength(1);
  } finally {
    requester.close();
    replier.close();
  }
}, 30_000);

test("request reply: our requester and a consumer that replies, end to end", async () => {
  const node = await startSingleNode(mkdtempSync(join(tmpdir(), "rmq-request-reply-")));
  await using _node = node.node;
  const clock = new SystemClock();
  const log = createLogger("test", { level: "error" });
  const namesrvAddrs = [node.namesrv];
  const replier = new Producer({ group: "answerers", namesrvAddrs, clock, log });
  const consumer = new PushConsumer({
    group: "answering",
    topic: "Questions",
    subscription: "*",
    namesrvAddrs,
    clock,
    log,
    consumeFrom: { kind: "first" },
    handler: async (m) => {
      if (!m.properties.has("CORRELATION_ID")) return; // the warm-up message asks nothing
      const question = new TextDecoder().decode(m.body);
      await replier.send(replyTo(m, new TextEncoder().encode(`answer to ${question}`)));
    },
  });
  const requester = new Requester({ group: "askers", namesrvAddrs, clock, log });
  try {
    // The topic exists before the consumer starts, so it is not waiting for a route.
    expect(
      (await runRmq(["produce", "-n", node.namesrv, "-t", "Questions", "--body", "warm-up"]))
        .exitCode,
    ).toBe(0);
    await consumer.start();
    await requester.start();
    const reply = await requester.request(
      { topic: "Questions", body: new TextEncoder().encode("q1") },
      10_000,
    );
    expect(new TextDecoder().decode(reply.body)).toBe("answer to q1");
    expect(reply.topic).toBe("DefaultCluster_REPLY_TOPIC");
    await expect(
      requester.request({ topic: "Nowhere_REPLY_TOPIC_X", body: new Uint8Array(1) }, 300),
    ).rejects.toThrow("no reply");
  } finally {
    requester.close();
    await consumer.stop();
    replier.close();
  }
}, 40_000);

test("request reply: rmq produce --request, answered by rmq consume --reply", async () => {
  const node = await startSingleNode(mkdtempSync(join(tmpdir(), "rmq-request-reply-")));
  await using _node = node.node;
  const produce = (...args: string[]) => ["produce", "-n", node.namesrv, ...args];
  expect((await runRmq(produce("-t", "Asks", "--body", "not a request"))).exitCode).toBe(0);
  await using answering = new RmqProcess([
    "consume",
    "-n",
    node.namesrv,
    "-t",
    "Asks",
    "-g",
    "answerers",
    "--from",
    "first",
    "--reply",
    "tr a-z A-Z",
    "--count",
    "3",
  ]);
  const asked = await runRmq(
    produce("-t", "Asks", "--request", "--request-timeout", "15s"),
    {},
    "hello\nworld\n",
  );
  expect([asked.exitCode, asked.stdout, asked.stderr]).toEqual([0, "HELLO\nWORLD\n", ""]);
  expect(await answering.exited).toBe(0);
  expect(answering.stderr).toContain("is not a request: nobody waits for a reply to it");

  const unanswered = await runRmq(
    produce("-t", "Nobody", "--request", "--request-timeout", "300ms", "--body", "x"),
  );
  expect(unanswered.exitCode).toBe(1);
  expect(unanswered.stderr).toContain("request failed: no reply");
}, 60_000);
