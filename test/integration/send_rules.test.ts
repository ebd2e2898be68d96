// Send rules a RocketMQ 4.9.7 client meets, on a real `rmq broker`: the codes it retries (a
// queueId past the topic's queues, for sends and pulls, a send to a slave), a batch judged as
// a whole (its size, no transaction type, any number of messages), a retry topic's
// dead-letter threshold, and rejectTransactionMessage.

import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SystemClock } from "../../core/common/clock.ts";
import { createLogger } from "../../core/common/log.ts";
import { MessageSysFlag } from "../../core/common/message.ts";
import { encodeBatchBody } from "../../core/protocol/batch_body.ts";
import {
  createRequest,
  RequestCode,
  ResponseCode,
  type RemotingCommand,
} from "../../core/protocol/index.ts";
import { RemotingClient } from "../../core/remoting/client.ts";
import { pullRequest, sendRequest } from "../harness/raw_requests.ts";
import { startSingleNode } from "../harness/single_node.ts";

const maxMessageSize = 200_000;

function batchOf(count: number, bodyBytes: number): Uint8Array {
  return encodeBatchBody(
    Array.from({ length: count }, () => ({
      flag: 0,
      body: new Uint8Array(bodyBytes),
      properties: "",
    })),
  );
}

test("send rules: retried codes, whole-batch checks, the retry topic's DLQ threshold", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rmq-send-rules-"));
  const master = await startSingleNode(
    join(dir, "m"),
    `maxMessageSize=${maxMessageSize}\nrejectTransactionMessage=true\n`,
  );
  await using _master = master.node;
  const client = new RemotingClient({
    clock: new SystemClock(),
    log: createLogger("test", { level: "error" }),
  });
  try {
    const send = (request: RemotingCommand) => client.invoke(master.address, request);
    const one = new Uint8Array(10);
    expect((await send(sendRequest("Rules", one))).code).toBe(ResponseCode.SUCCESS);

    // Past the topic's queues (a route from before it shrank): SYSTEM_ERROR, which clients
    // retry on another queue.
    const stale = await send(sendRequest("Rules", one, { queueId: 99 }));
    expect(stale.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(stale.remark).toContain("request queueId[99] is illegal");

    // A pull of a queue past the topic's read queues: SYSTEM_ERROR too, as 4.9.7 answers.
    const pullPast = await send(
      pullRequest({ consumerGroup: "rules_group", topic: "Rules", queueId: 99 }),
    );
    expect(pullPast.code).toBe(ResponseCode.SYSTEM_ERROR);
    // rejectTransactionMessage=true: half messages are refused.
    const half = await send(
      sendRequest("Rules", one, { properties: "TRAN_MSG\u0001true\u0002PGROUP\u0001rules" }),
    );
    expect([half.code, half.remark]).toEqual([
      ResponseCode.NO_PERMISSION,
      "the broker[127.0.0.1] sending transaction message is forbidden",
    ]);

    // A batch is judged as a whole: its body against maxMessageSize, though each of its
    // messages is within it.
    const large = await send(sendRequest("Rules", batchOf(3, 70_000), { batch: true }));
    expect(large.code).toBe(ResponseCode.MESSAGE_ILLEGAL);
    // No transaction type: its messages would be stored with no queue offsets, never seen.
    const prepared = await send(
      sendRequest("Rules", batchOf(2, 10), {
        batch: true,
        sysFlag: MessageSysFlag.TRANSACTION_PREPARED_TYPE,
      }),
    );
    expect(prepared.code).toBe(ResponseCode.MESSAGE_ILLEGAL);
    // Any number of messages within that size (RocketMQ counts none).
    const many = await send(sendRequest("Rules", batchOf(5_000, 1), { batch: true }));
    expect(many.code).toBe(ResponseCode.SUCCESS);
    expect(many.extFields?.get("msgId")?.split(",").length).toBe(5_000);

    // A Java orderly consumer sends a message that failed maxReconsumeTimes (16) times to its
    // retry topic with reconsumeTimes 16: the dead-letter queue takes it.
    const dead = await send(
      sendRequest("%RETRY%rules_group", one, { reconsumeTimes: 16, maxReconsumeTimes: 16 }),
    );
    expect(dead.code).toBe(ResponseCode.SUCCESS);
    const dlqEnd = await client.invoke(
      master.address,
      createRequest(RequestCode.GET_MAX_OFFSET, {
        extFields: { topic: "%DLQ%rules_group", queueId: 0 },
      }),
    );
    expect(dlqEnd.extFields?.get("offset")).toBe("1");

    // A slave refuses with SERVICE_NOT_AVAILABLE, which clients retry on another broker.
    const slave = await startSingleNode(join(dir, "s"), "brokerRole=SLAVE\nbrokerId=1\n");
    await using _slave = slave.node;
    const onSlave = await client.invoke(slave.address, sendRequest("Rules", one));
    expect(onSlave.code).toBe(ResponseCode.SERVICE_NOT_AVAILABLE);
  } finally {
    client.close();
  }
}, 30_000);
