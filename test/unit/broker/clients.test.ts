// The broker's consumer table under heartbeats, by RocketMQ 4.9.7's rules (ConsumerGroupInfo):
// what counts as a change the group's members are told of, and what the table keeps.

import { describe, expect, test } from "bun:test";
import { ClientManager } from "../../../core/broker/clients.ts";
import type { ConsumerData } from "../../../core/protocol/heartbeat.ts";
import { fakeChannel } from "../../harness/fake_channel.ts";

function heartbeat(subscriptions: [topic: string, subString: string, version: number][]) {
  const data: ConsumerData = {
    groupName: "g",
    consumeType: "CONSUME_PASSIVELY",
    messageModel: "CLUSTERING",
    consumeFromWhere: "CONSUME_FROM_LAST_OFFSET",
    subscriptionDataSet: subscriptions.map(([topic, subString, subVersion]) => ({
      topic,
      subString,
      tagsSet: [],
      codeSet: [],
      subVersion,
      expressionType: "TAG",
      classFilterMode: false,
    })),
    unitMode: false,
  };
  return data;
}

describe("broker: clients", () => {
  test("broker: clients: a change is a new member, a topic added or dropped", () => {
    const clients = new ClientManager();
    const member = (clientId: string) => ({
      channel: fakeChannel().channel,
      clientId,
      language: "JAVA",
      version: 407,
      lastUpdateMs: 0,
    });
    const a = member("a");
    const b = member("b");
    expect(clients.registerConsumer(heartbeat([["T", "A", 1]]), a)).toBe(true); // joined
    expect(clients.registerConsumer(heartbeat([["T", "A", 1]]), a)).toBe(false); // the same
    // Another member with other tags and a newer subscription: kept, but no change to tell
    // (a member with other tags would otherwise have the group rebalance at each heartbeat).
    expect(clients.registerConsumer(heartbeat([["T", "B", 2]]), b)).toBe(true); // b joined
    expect(clients.registerConsumer(heartbeat([["T", "A", 1]]), a)).toBe(false);
    expect(clients.subscription("g", "T")?.subString).toBe("B"); // the higher version stays
    expect(clients.registerConsumer(heartbeat([["T", "C", 3]]), b)).toBe(false);
    expect(clients.subscription("g", "T")?.subString).toBe("C");
    // A topic added is a change; one no longer in a heartbeat is dropped, and a change.
    expect(
      clients.registerConsumer(
        heartbeat([
          ["T", "C", 3],
          ["U", "*", 3],
        ]),
        b,
      ),
    ).toBe(true);
    expect(clients.registerConsumer(heartbeat([["U", "*", 3]]), b)).toBe(true);
    expect(clients.subscription("g", "T")).toBeUndefined();
    expect(clients.consumerIds("g").sort()).toEqual(["a", "b"]);
  });
});
