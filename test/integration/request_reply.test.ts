// RocketMQ's request-reply (4.6+) on a real `rmq broker`: a consumer's reply
// (SEND_REPLY_MESSAGE_V2) is pushed at once to the producer that asked, found by the client id
// in REPLY_TO_CLIENT (PUSH_REPLY_MESSAGE_TO_CLIENT), and stored on the reply topic; a reply for
// a client that is not connected is stored but refused, with 4.9.7's remark.

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
import { sendRequest } from "../harness/raw_requests.ts";
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
