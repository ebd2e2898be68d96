// REGISTER_BROKER bodies: RocketMQ's JSON and compressed layouts, and their failure modes.

import { describe, expect, test } from "bun:test";
import { deflateSync } from "node:zlib";
import { ProtocolError } from "../../../core/common/errors.ts";
import {
  decodeRegisterBrokerBody,
  encodeRegisterBrokerBodyCompressed,
  encodeRegisterBrokerBodyJson,
  topicConfigFromLine,
  type RegisterBrokerBody,
} from "../../../core/protocol/register_broker_body.ts";
import { MQVersion } from "../../../core/protocol/version.ts";

const body: RegisterBrokerBody = {
  dataVersion: { counter: 3, stateVersion: 0, timestamp: 1795608068056 },
  topicConfigTable: new Map([
    [
      "TopicA",
      {
        topicName: "TopicA",
        readQueueNums: 4,
        writeQueueNums: 4,
        perm: 6,
        topicFilterType: "SINGLE_TAG",
        topicSysFlag: 0,
        order: false,
        attributes: { "+message.type": "NORMAL" },
      },
    ],
  ]),
  filterServerList: [],
};

describe("protocol: register broker body", () => {
  test("protocol: register broker body: JSON round trip", () => {
    const bytes = encodeRegisterBrokerBodyJson(body);
    expect(decodeRegisterBrokerBody(bytes, false, MQVersion.V4_9_7)).toEqual(body);
  });

  test("protocol: register broker body: compressed round trip drops sysFlag and order", () => {
    const withFlags = structuredClone(body);
    withFlags.topicConfigTable.get("TopicA")!.topicSysFlag = 1;
    const bytes = encodeRegisterBrokerBodyCompressed(withFlags);
    expect(decodeRegisterBrokerBody(bytes, true, MQVersion.V5_0_0)).toEqual(body);
  });

  test("protocol: register broker body: the compressed topic line is RocketMQ's", () => {
    const config = topicConfigFromLine('T 8 4 7 SINGLE_TAG {"a":"b c"}');
    expect(config).toMatchObject({ topicName: "T", readQueueNums: 8, writeQueueNums: 4, perm: 7 });
    expect(config.attributes).toEqual({ a: "b c" });
    expect(() => topicConfigFromLine("T 8 4")).toThrow(ProtocolError);
  });

  test("protocol: register broker body: garbage is a ProtocolError", () => {
    const cases: [Uint8Array, boolean][] = [
      [new TextEncoder().encode("{not json"), false],
      [Uint8Array.of(1, 2, 3, 4), true],
      [deflateSync(Uint8Array.of(0, 0, 0, 50, 1)), true], // block longer than the stream
      [deflateSync(Uint8Array.of(0xff, 0xff, 0xff, 0xff)), true], // negative length
    ];
    for (const [bytes, compressed] of cases) {
      expect(() => decodeRegisterBrokerBody(bytes, compressed, MQVersion.V5_0_0)).toThrow(
        ProtocolError,
      );
    }
  });

  test("protocol: register broker body: an inflation bomb stops at the limit", () => {
    const bomb = deflateSync(new Uint8Array(80 * 1024 * 1024));
    expect(() => decodeRegisterBrokerBody(bomb, true, MQVersion.V5_0_0)).toThrow(
      /does not inflate/,
    );
  });
});
