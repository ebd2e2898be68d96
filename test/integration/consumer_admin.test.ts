// Admin requests a real `rmq broker` carries out with our push consumer:
// - mqadmin resetOffsetByTime: with the group online the broker works out each queue's offset
//   at the time and tells the members (RESET_CONSUMER_CLIENT_OFFSET); the consumer goes back,
//   reads the messages again and commits the new offsets. Refusals as RocketMQ 4.9.7 words
//   them: no such topic, a group with no offsets, no member online.
// - mqadmin consumerStatus: GET_CONSUMER_RUNNING_INFO, passed on to the consumer named, whose
//   answer says what it reads and where each of its queues is.
// - mqadmin queryMsgById with a client: CONSUME_MESSAGE_DIRECTLY, one stored message handed to
//   that member's handler, and how it went.

import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PushConsumer } from "../../core/client/consumer.ts";
import { SystemClock } from "../../core/common/clock.ts";
import { createLogger } from "../../core/common/log.ts";
import { createRequest, RequestCode, ResponseCode } from "../../core/protocol/index.ts";
import { decodeResetOffsetBody } from "../../core/protocol/reset_offset_body.ts";
import { parseLenientJson } from "../../core/protocol/fastjson.ts";
import { RemotingClient } from "../../core/remoting/client.ts";
import { runRmq } from "../harness/rmq_process.ts";
import { startSingleNode } from "../harness/single_node.ts";
import { waitFor } from "../harness/wait_for.ts";

const count = 16;

test("consumer admin: an online group reset to a time reads again; its running info", async () => {
  const node = await startSingleNode(mkdtempSync(join(tmpdir(), "rmq-reset-offset-")));
  await using _node = node.node;
  const sent = ["produce", "-n", node.namesrv, "-t", "Replay", "--body", "x", "--count"];
  expect((await runRmq([...sent, String(count)])).exitCode).toBe(0);
  const clock = new SystemClock();
  const log = createLogger("test", { level: "error" });
  const remoting = new RemotingClient({ clock, log });
  const reset = (group: string, topic = "Replay", extra: Record<string, string> = {}) =>
    remoting.invoke(
      node.address,
      createRequest(RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, {
        extFields: { topic, group, timestamp: "0", isForce: "true", ...extra },
      }),
    );
  const committed = async (group: string) => {
    let sum = 0;
    for (let queueId = 0; queueId < 4; queueId++) {
      const answer = await remoting.invoke(
        node.address,
        createRequest(RequestCode.QUERY_CONSUMER_OFFSET, {
          extFields: { consumerGroup: group, topic: "Replay", queueId },
        }),
      );
      sum += Number(answer.extFields?.get("offset") ?? 0);
    }
    return sum;
  };
  let received = 0;
  /** Each message's offset msgId, in the order the handler got them. */
  const seen: string[] = [];
  let failNext = false;
  const consumer = new PushConsumer({
    group: "replayers",
    topic: "Replay",
    subscription: "*",
    namesrvAddrs: [node.namesrv],
    clock,
    log,
    consumeFrom: { kind: "first" },
    handler: (m) => {
      seen.push(m.offsetMsgId);
      if (failNext) {
        failNext = false;
        throw new Error("refused on purpose");
      }
      received++;
    },
  });
  try {
    const missingTopic = await reset("replayers", "Nowhere");
    expect([missingTopic.code, missingTopic.remark]).toEqual([
      ResponseCode.SYSTEM_ERROR,
      "[reset-offset] reset offset failed, no topic in this broker. topic=Nowhere",
    ]);
    const noOffsets = await reset("strangers");
    expect([noOffsets.code, noOffsets.remark]).toEqual([
      ResponseCode.SYSTEM_ERROR,
      "THe consumer group <strangers> not exist",
    ]);

    await consumer.start();
    await waitFor(() => received === count, { timeoutMs: 10_000, what: "every message" });
    // Each pull commits the position before it; the offsets reach the end with the next pulls.
    await waitFor(async () => (await committed("replayers")) === count, {
      timeoutMs: 10_000,
      what: "the offsets at the end",
    });

    const answer = await reset("replayers");
    expect(answer.code).toBe(ResponseCode.SUCCESS);
    const offsets = decodeResetOffsetBody(new TextDecoder().decode(answer.body!));
    expect(offsets.map((o) => [o.queue.topic, o.queue.queueId, o.offset])).toEqual(
      [0, 1, 2, 3].map((queueId) => ["Replay", queueId, 0]),
    );
    await waitFor(() => received === 2 * count, { timeoutMs: 10_000, what: "every message again" });
    await waitFor(async () => (await committed("replayers")) === count, {
      timeoutMs: 10_000,
      what: "the offsets at the end again",
    });
    expect(received).toBe(2 * count);

    const info = await remoting.invoke(
      node.address,
      createRequest(RequestCode.GET_CONSUMER_RUNNING_INFO, {
        extFields: {
          consumerGroup: "replayers",
          clientId: consumer.clientId,
          jstackEnable: "false",
        },
      }),
    );
    expect(info.code).toBe(ResponseCode.SUCCESS);
    const running = parseLenientJson(new TextDecoder().decode(info.body!)) as any;
    expect(running.properties.PROP_CONSUME_TYPE).toBe("CONSUME_PASSIVELY");
    expect(Number(running.properties.PROP_CONSUMER_START_TIMESTAMP)).toBeGreaterThan(0);
    expect(running.subscriptionSet.map((s: any) => s.topic)).toEqual([
      "%RETRY%replayers",
      "Replay",
    ]);
    const queues = Object.entries(running.mqTable).filter(([key]) => key.includes('"Replay"'));
    expect(queues.map(([, q]: [string, any]) => q.commitOffset)).toEqual([4, 4, 4, 4]);
    const nobody = await remoting.invoke(
      node.address,
      createRequest(RequestCode.GET_CONSUMER_RUNNING_INFO, {
        extFields: { consumerGroup: "replayers", clientId: "nobody" },
      }),
    );
    expect([nobody.code, nobody.remark]).toEqual([
      ResponseCode.SYSTEM_ERROR,
      "The Consumer <replayers> <nobody> not online",
    ]);

    // mqadmin queryMsgById -g -d: one stored message handed to this member's handler.
    const direct = (msgId: string) =>
      remoting.invoke(
        node.address,
        createRequest(RequestCode.CONSUME_MESSAGE_DIRECTLY, {
          extFields: { consumerGroup: "replayers", clientId: consumer.clientId, msgId },
        }),
      );
    const target = seen[0]!;
    const consumed = await direct(target);
    expect(consumed.code).toBe(ResponseCode.SUCCESS);
    expect(parseLenientJson(new TextDecoder().decode(consumed.body!))).toMatchObject({
      autoCommit: true,
      consumeResult: "CR_SUCCESS",
      order: false,
    });
    expect([seen.length, seen.at(-1)]).toEqual([2 * count + 1, target]);
    failNext = true;
    const failed = parseLenientJson(new TextDecoder().decode((await direct(target)).body!));
    expect(failed).toMatchObject({
      consumeResult: "CR_THROW_EXCEPTION",
      remark: "refused on purpose",
    });
    const unknown = await direct("7F00000100002A9F00000000DEADBEEF");
    expect(unknown.code).toBe(ResponseCode.SYSTEM_ERROR);

    // Without isForce a group already before the time stays: -1 is the end, after every offset.
    const notForced = await reset("replayers", "Replay", { timestamp: "-1", isForce: "false" });
    const kept = decodeResetOffsetBody(new TextDecoder().decode(notForced.body!));
    expect(kept.reduce((sum, o) => sum + o.offset, 0)).toBe(count);
  } finally {
    await consumer.stop();
  }
  const offline = await reset("replayers");
  expect([offline.code, offline.remark]).toEqual([
    ResponseCode.CONSUMER_NOT_ONLINE,
    "Consumer not online, so can not reset offset, Group: replayers Topic: Replay Timestamp: 0",
  ]);
  remoting.close();
}, 40_000);
