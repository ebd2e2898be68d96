// ResetOffsetBody as fastjson writes and reads it: MessageQueue objects as map keys; the C++
// client's list form; refusals of what is not one.

import { expect, test } from "bun:test";
import { ProtocolError } from "../../../core/common/errors.ts";
import {
  decodeResetOffsetBody,
  encodeResetOffsetBody,
  encodeResetOffsetBodyForC,
} from "../../../core/protocol/reset_offset_body.ts";

const entries = [
  { queue: { topic: "T", brokerName: "broker-a", queueId: 0 }, offset: 5 },
  { queue: { topic: "T", brokerName: "broker-a", queueId: 1 }, offset: 0 },
];

test("reset offset body: queues as map keys, in fastjson's member order", () => {
  const text = encodeResetOffsetBody(entries);
  expect(text).toBe(
    '{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:5,' +
      '{"brokerName":"broker-a","queueId":1,"topic":"T"}:0}}',
  );
  expect(decodeResetOffsetBody(text)).toEqual(entries);
  expect(decodeResetOffsetBody('{"offsetTable":{}}')).toEqual([]);
  expect(decodeResetOffsetBody("{}")).toEqual([]);
});

test("reset offset body: the C++ client's list", () => {
  expect(encodeResetOffsetBodyForC(entries.slice(0, 1))).toBe(
    '{"offsetTable":[{"brokerName":"broker-a","offset":5,"queueId":0,"topic":"T"}]}',
  );
});

test("reset offset body: what is not one is refused", () => {
  for (const bad of [
    "{",
    '{"offsetTable":[]}',
    '{"offsetTable":{"q":1}}',
    '{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:-1}}',
    '{"offsetTable":{{"brokerName":"b","queueId":"0","topic":"T"}:1}}',
    '{"offsetTable":{{"brokerName":"b","queueId":0}:1}}',
  ]) {
    expect(() => decodeResetOffsetBody(bad)).toThrow(ProtocolError);
  }
});
