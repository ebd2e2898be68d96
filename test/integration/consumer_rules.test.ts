// Consumer rules of RocketMQ 4.9.7 on a real `rmq broker`: a new group's offset query on a
// queue whose first message is far behind the log's end is "not found" (so the client starts
// where its consumeFromWhere says, not at 0), and a group that may not consume by broadcast
// is refused when its members say they do.

import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SystemClock } from "../../core/common/clock.ts";
import { createLogger } from "../../core/common/log.ts";
import { encodePullMessageRequest } from "../../core/protocol/headers/pull.ts";
import {
  createRequest,
  encodeHeartbeat,
  RequestCode,
  ResponseCode,
} from "../../core/protocol/index.ts";
import { RemotingClient } from "../../core/remoting/client.ts";
import { runRmq } from "../harness/rmq_process.ts";
import { startSingleNode } from "../harness/single_node.ts";

const client = () =>
  new RemotingClient({ clock: new SystemClock(), log: createLogger("test", { level: "error" }) });

async function queryOffset(remoting: RemotingClient, address: string, group: string) {
  return remoting.invoke(
    address,
    createRequest(RequestCode.QUERY_CONSUMER_OFFSET, {
      extFields: { consumerGroup: group, topic: "Backlog", queueId: 0 },
    }),
  );
}

test("consumer rules: a new group's offset: 0 while the queue's start is in memory", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rmq-consumer-rules-"));
  // accessMessageInMemoryMaxRatio=0: every stored byte counts as far behind the end.
  const far = await startSingleNode(join(dir, "far"), "accessMessageInMemoryMaxRatio=0\n");
  await using _far = far.node;
  const near = await startSingleNode(join(dir, "near"));
  await using _near = near.node;
  const remoting = client();
  try {
    for (const node of [far, near]) {
      // Enough for every queue of the new topic, queue 0 included.
      const sent = await runRmq([
        "produce",
        "-n",
        node.namesrv,
        "-t",
        "Backlog",
        "--body",
        "x",
        "--count",
        "16",
      ]);
      expect(sent.exitCode).toBe(0);
    }
    const notFound = await queryOffset(remoting, far.address, "newcomer");
    expect(notFound.code).toBe(ResponseCode.QUERY_NOT_FOUND);
    const zero = await queryOffset(remoting, near.address, "newcomer");
    expect([zero.code, zero.extFields?.get("offset")]).toEqual([ResponseCode.SUCCESS, "0"]);
  } finally {
    remoting.close();
  }
}, 30_000);

test("consumer rules: consumeBroadcastEnable=false refuses a broadcasting group", async () => {
  const store = mkdtempSync(join(tmpdir(), "rmq-consumer-rules-"));
  mkdirSync(join(store, "config"));
  writeFileSync(
    join(store, "config", "subscriptionGroup.json"),
    JSON.stringify({
      subscriptionGroupTable: {
        solo: { groupName: "solo", consumeBroadcastEnable: false },
        shared: { groupName: "shared" },
      },
    }),
  );
  const node = await startSingleNode(store);
  await using _node = node.node;
  expect(
    (await runRmq(["produce", "-n", node.namesrv, "-t", "Wide", "--body", "x"])).exitCode,
  ).toBe(0);
  const remoting = client();
  try {
    const heartbeat = (group: string) =>
      remoting.invoke(
        node.address,
        createRequest(RequestCode.HEART_BEAT, {
          body: encodeHeartbeat({
            clientID: `client-${group}`,
            producerDataSet: [],
            consumerDataSet: [
              {
                groupName: group,
                consumeType: "CONSUME_PASSIVELY",
                messageModel: "BROADCASTING",
                consumeFromWhere: "CONSUME_FROM_FIRST_OFFSET",
                subscriptionDataSet: [
                  {
                    topic: "Wide",
                    subString: "*",
                    tagsSet: [],
                    codeSet: [],
                    subVersion: 1,
                    expressionType: "TAG",
                    classFilterMode: false,
                  },
                ],
                unitMode: false,
              },
            ],
          }),
        }),
      );
    // As a Java push consumer pulls by default: no SUBSCRIPTION flag, the heartbeat's filter.
    const pull = (group: string) =>
      remoting.invoke(
        node.address,
        createRequest(RequestCode.PULL_MESSAGE, {
          extFields: encodePullMessageRequest({
            consumerGroup: group,
            topic: "Wide",
            queueId: 0,
            queueOffset: 0,
            maxMsgNums: 32,
            sysFlag: 0,
            commitOffset: 0,
            suspendTimeoutMillis: 0,
            subscription: "*", // not read: the flag is off
            subVersion: 1,
            expressionType: "TAG",
            maxMsgBytes: undefined,
          }),
        }),
      );
    const unknown = await pull("solo");
    expect([unknown.code, unknown.remark?.split("\n")[0]]).toEqual([
      ResponseCode.SUBSCRIPTION_NOT_EXIST,
      "the consumer's group info not exist",
    ]);
    for (const group of ["solo", "shared"]) {
      expect((await heartbeat(group)).code).toBe(ResponseCode.SUCCESS);
    }
    const refused = await pull("solo");
    expect([refused.code, refused.remark]).toEqual([
      ResponseCode.NO_PERMISSION,
      "the consumer group[solo] can not consume by broadcast way",
    ]);
    const allowed: number[] = [ResponseCode.SUCCESS, ResponseCode.PULL_NOT_FOUND];
    expect(allowed).toContain((await pull("shared")).code);
  } finally {
    remoting.close();
  }
}, 30_000);
