// Integer header fields as RocketMQ reads them: optional sign, digits, surrounding spaces
// allowed; anything else (or beyond 2^53) is a ProtocolError naming the field.

import { describe, expect, test } from "bun:test";
import { createRequest } from "../../../core/protocol/command.ts";
import { optionalInt, requiredInt } from "../../../core/protocol/header_fields.ts";

const withField = (value: string) => createRequest(310, { extFields: { queueId: value } });

describe("protocol: header fields", () => {
  test("protocol: header fields: integers are read, anything else is refused", () => {
    for (const [text, want] of [
      ["12", 12],
      ["-5", -5],
      ["0", 0],
      [" 7 ", 7],
      ["1700000000000", 1_700_000_000_000],
      ["9007199254740991", 9_007_199_254_740_991],
    ] as const) {
      expect(requiredInt(withField(text), "queueId")).toBe(want);
    }
    for (const text of ["-", "1e3", "0x10", "abc", "1.5", "9007199254740993", "+3", "1 2"]) {
      expect(() => requiredInt(withField(text), "queueId")).toThrow(/queueId is not an integer/);
    }
    expect(optionalInt(createRequest(310, { extFields: {} }), "queueId")).toBeUndefined();
    expect(() => requiredInt(createRequest(310, { extFields: {} }), "queueId")).toThrow(/required/);
  });
});
