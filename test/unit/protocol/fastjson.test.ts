// fastjson's liberties, read and written (spec §1.9).

import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../core/common/errors.ts";
import { parseLenientJson, writeJson } from "../../../core/protocol/fastjson.ts";

describe("protocol: fastjson", () => {
  test("protocol: fastjson: bare numeric keys are read", () => {
    expect(parseLenientJson('{"brokerAddrs":{0:"a:1",1:"b:2"}}')).toEqual({
      brokerAddrs: { "0": "a:1", "1": "b:2" },
    });
  });

  test("protocol: fastjson: object keys come back as canonical JSON text", () => {
    const parsed = parseLenientJson(
      '{{"brokerName":"b","queueId":0,"topic":"T"}:{"x":1}}',
    ) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['{"brokerName":"b","queueId":0,"topic":"T"}']);
  });

  test("protocol: fastjson: single quotes and escapes are read", () => {
    expect(parseLenientJson("{'a':'x\\u0001y', b : [1, -2.5e1, true, null]}")).toEqual({
      a: "x\u0001y",
      b: [1, -25, true, null],
    });
  });

  test("protocol: fastjson: malformed and over-deep input is a ProtocolError", () => {
    for (const text of [
      "{0:}",
      "{'a':1",
      "[1,,2]",
      "{a:1}x",
      "[".repeat(100) + "{a:1}" + "]".repeat(100),
    ]) {
      expect(() => parseLenientJson(text)).toThrow(ProtocolError);
    }
  });

  test("protocol: fastjson: numeric Map keys are bare by default and quoted on request", () => {
    const value = { brokerAddrs: new Map([[0, "a:1"]]), name: "x", skipped: undefined };
    expect(writeJson(value, { quoteNumericKeys: false })).toBe(
      '{"brokerAddrs":{0:"a:1"},"name":"x"}',
    );
    expect(writeJson(value, { quoteNumericKeys: true })).toBe(
      '{"brokerAddrs":{"0":"a:1"},"name":"x"}',
    );
  });
});
