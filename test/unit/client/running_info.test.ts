// A push consumer's ConsumerRunningInfo in 4.9.7's shape: queues in MessageQueue order,
// subscriptions in topic@expression order, members alphabetical; properties in key order (a
// Java Hashtable has no order of its own).

import { expect, test } from "bun:test";
import { consumerRunningInfoJson } from "../../../core/client/running_info.ts";

const subscription = (topic: string) => ({
  topic,
  subString: "*",
  tagsSet: [],
  codeSet: [],
  subVersion: 7,
  expressionType: "TAG",
  classFilterMode: false,
});

test("client: running info: Java's orders and member names", () => {
  const queue = (topic: string, queueId: number, offset: number) => ({
    queue: { topic, brokerName: "b", queueId },
    commitOffset: offset,
    dropped: false,
    locked: false,
    lastLockTimestampMs: 0,
  });
  const text = consumerRunningInfoJson({
    properties: new Map([
      ["PROP_CONSUME_TYPE", "CONSUME_PASSIVELY"],
      ["consumerGroup", "g"],
    ]),
    subscriptions: [subscription("T"), subscription("%RETRY%g")],
    queues: [queue("T", 1, 3), queue("T", 0, 2)],
  });
  expect(text).toBe(
    '{"mqTable":{' +
      '{"brokerName":"b","queueId":0,"topic":"T"}:' +
      '{"commitOffset":2,"droped":false,"lastLockTimestamp":0,"locked":false},' +
      '{"brokerName":"b","queueId":1,"topic":"T"}:' +
      '{"commitOffset":3,"droped":false,"lastLockTimestamp":0,"locked":false}},' +
      '"properties":{"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY","consumerGroup":"g"},' +
      '"statusTable":{},"subscriptionSet":[' +
      '{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*",' +
      '"subVersion":7,"tagsSet":[],"topic":"%RETRY%g"},' +
      '{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*",' +
      '"subVersion":7,"tagsSet":[],"topic":"T"}]}',
  );
});
