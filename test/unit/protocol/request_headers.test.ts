// The send and pull request headers as the broker decodes them (spec §3.2.1, §3.3): every field
// by its key (V1 names or V2 letters, chosen by the request code), the defaults RocketMQ's
// header classes give, and a ProtocolError naming the field that is missing or malformed.

import { describe, expect, test } from "bun:test";
import { createRequest } from "../../../core/protocol/command.ts";
import {
  decodePullMessageRequest,
  encodePullMessageRequest,
  type PullMessageRequestHeader,
} from "../../../core/protocol/headers/pull.ts";
import {
  decodeSendMessageRequest,
  encodeSendMessageRequestV2,
  type SendMessageRequestHeader,
} from "../../../core/protocol/headers/send.ts";
import { RequestCode } from "../../../core/protocol/request_code.ts";

const pull: PullMessageRequestHeader = {
  consumerGroup: "G",
  topic: "T",
  queueId: 3,
  queueOffset: 1_234_567,
  maxMsgNums: 32,
  sysFlag: 7,
  commitOffset: 1_234_000,
  suspendTimeoutMillis: 15_000,
  subscription: "A || B",
  subVersion: 1_700_000_000_000,
  expressionType: "TAG",
  maxMsgBytes: 65_536,
};

const send: SendMessageRequestHeader = {
  producerGroup: "P",
  topic: "T",
  defaultTopic: "TBW102",
  defaultTopicQueueNums: 8,
  queueId: 2,
  sysFlag: 4,
  bornTimestamp: 1_700_000_000_123,
  flag: 9,
  properties: "TAGS\u0001A\u0002",
  reconsumeTimes: 1,
  unitMode: true,
  maxReconsumeTimes: 16,
  batch: false,
  brokerName: "broker-a",
};

const pullRequest = (fields: Record<string, string> | Map<string, string>) =>
  createRequest(RequestCode.PULL_MESSAGE, { extFields: fields });

describe("protocol: request headers", () => {
  test("protocol: request headers: a pull header decodes to what was encoded", () => {
    expect(decodePullMessageRequest(pullRequest(encodePullMessageRequest(pull)))).toEqual(pull);
    const bare = {
      consumerGroup: "G",
      topic: "T",
      queueId: "0",
      queueOffset: "5",
      maxMsgNums: "1",
    };
    expect(decodePullMessageRequest(pullRequest(bare))).toEqual({
      consumerGroup: "G",
      topic: "T",
      queueId: 0,
      queueOffset: 5,
      maxMsgNums: 1,
      sysFlag: 0,
      commitOffset: 0,
      suspendTimeoutMillis: 0,
      subscription: undefined,
      subVersion: 0,
      expressionType: "TAG",
      maxMsgBytes: undefined,
    });
  });

  test("protocol: request headers: a pull header missing or malformed names the field", () => {
    const fields = Object.fromEntries(encodePullMessageRequest(pull));
    const { queueOffset: _dropped, ...withoutOffset } = fields;
    expect(() => decodePullMessageRequest(pullRequest(withoutOffset))).toThrow(
      "header field queueOffset is required",
    );
    expect(() => decodePullMessageRequest(pullRequest({ ...fields, topic: "" }))).toThrow(
      "header field topic is required",
    );
    expect(() => decodePullMessageRequest(pullRequest({ ...fields, sysFlag: "x1" }))).toThrow(
      /sysFlag is not an integer/,
    );
    // A failed decode leaves nothing behind for the next one.
    expect(decodePullMessageRequest(pullRequest(fields))).toEqual(pull);
  });

  test("protocol: request headers: a send header decodes by letters (V2) or names (V1)", () => {
    const v2 = encodeSendMessageRequestV2(send);
    for (const code of [RequestCode.SEND_MESSAGE_V2, RequestCode.SEND_BATCH_MESSAGE]) {
      expect(decodeSendMessageRequest(createRequest(code, { extFields: v2 }))).toEqual(send);
    }
    const v1: Record<string, string> = {};
    for (const [name, value] of Object.entries(send)) v1[name] = String(value);
    const fromV1 = decodeSendMessageRequest(
      createRequest(RequestCode.SEND_MESSAGE, { extFields: v1 }),
    );
    expect(fromV1).toEqual(send);
    // The key set follows the code: V1 names in a V2 request are not its fields.
    expect(() =>
      decodeSendMessageRequest(createRequest(RequestCode.SEND_MESSAGE_V2, { extFields: v1 })),
    ).toThrow("header field a is required");
  });

  test("protocol: request headers: a send header's defaults, booleans and bname", () => {
    const minimal = { a: "P", b: "T", e: "1", g: "1700000000000", k: "TRUE", bname: "b-1" };
    expect(
      decodeSendMessageRequest(createRequest(RequestCode.SEND_MESSAGE_V2, { extFields: minimal })),
    ).toEqual({
      producerGroup: "P",
      topic: "T",
      defaultTopic: "TBW102",
      defaultTopicQueueNums: 4,
      queueId: 1,
      sysFlag: 0,
      bornTimestamp: 1_700_000_000_000,
      flag: 0,
      properties: "",
      reconsumeTimes: 0,
      unitMode: true,
      maxReconsumeTimes: undefined,
      batch: false,
      brokerName: "b-1",
    });
    const request = (extra: Record<string, string>) =>
      createRequest(RequestCode.SEND_MESSAGE_V2, { extFields: { ...minimal, ...extra } });
    expect(() => decodeSendMessageRequest(request({ g: "soon" }))).toThrow(/g is not an integer/);
    expect(() => decodeSendMessageRequest(request({ d: "-1" }))).toThrow(
      "defaultTopicQueueNums < 0",
    );
    expect(decodeSendMessageRequest(request({ m: "yes" })).batch).toBe(false);
  });
});
