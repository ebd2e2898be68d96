// Golden bytes for both header encodings, built from the worked examples of
// shared/rocketmq-spec.md §1.1, §1.3 and §1.4 (provenance: RocketMQ's RemotingCommand and
// RocketMQSerializable, restated in the spec).

import { describe, expect, test } from "bun:test";
import {
  createRequest,
  decodeFrameContent,
  encodeFrame,
  FrameDecoder,
  RequestCode,
  SerializeType,
} from "../../../core/protocol/index.ts";

const routeRequest = () => {
  const cmd = createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, {
    extFields: { topic: "TopicTest" },
    version: 479,
  });
  cmd.opaque = 7;
  return cmd;
};

describe("protocol: frame: golden bytes", () => {
  test("protocol: frame: JSON header matches the spec's GET_ROUTEINFO_BY_TOPIC example", () => {
    const headerText =
      '{"code":105,"extFields":{"topic":"TopicTest"},"flag":0,"language":"JAVA","opaque":7,' +
      '"serializeTypeCurrentRPC":"JSON","version":479}';
    expect(headerText.length).toBe(131);
    const frame = encodeFrame(routeRequest());
    expect(Buffer.from(frame.subarray(0, 8)).toString("hex")).toBe("0000008700000083");
    expect(new TextDecoder().decode(frame.subarray(8))).toBe(headerText);
  });

  test("protocol: frame: ROCKETMQ binary header matches the spec's byte-by-byte example", () => {
    const cmd = { ...routeRequest(), serializeType: SerializeType.ROCKETMQ };
    const expected =
      "0000002d" +
      "01000029" +
      "0069" +
      "00" +
      "01df" +
      "00000007" +
      "00000000" +
      "00000000" +
      "00000014" +
      "0005" +
      "746f706963" +
      "00000009" +
      "546f70696354657374";
    expect(Buffer.from(encodeFrame(cmd)).toString("hex")).toBe(expected);
  });

  test("protocol: frame: both encodings decode to the same command", () => {
    for (const serializeType of [SerializeType.JSON, SerializeType.ROCKETMQ]) {
      const cmd = { ...routeRequest(), serializeType, body: new Uint8Array([1, 2, 3]) };
      const [decoded] = new FrameDecoder().push(encodeFrame(cmd));
      expect(decoded).toEqual(cmd);
    }
  });

  test("protocol: frame: remark and empty extFields survive both encodings", () => {
    const cmd = {
      ...routeRequest(),
      flag: 1,
      remark: "héllo \u0001 world",
      extFields: new Map([
        ["k", "v"],
        ["msgId", "0A00"],
        ["tópico", "Tópico-ü"],
        ["properties", "UNIQ_KEY\u00017F0000011A2B18B4AAC20000000000AB\u0002TAGS\u0001A\u0002"],
      ]),
    };
    // Fields compare as their entries in order (a decode builds SmallMap, not a Map).
    const roundTrip = (c: typeof cmd) => {
      const decoded = decodeFrameContent(encodeFrame(c).subarray(4));
      return { ...decoded, extFields: [...decoded.extFields!] };
    };
    const entries = [...cmd.extFields];
    expect(roundTrip(cmd)).toEqual({ ...cmd, extFields: entries, body: null });
    const binary = { ...cmd, serializeType: SerializeType.ROCKETMQ };
    expect(roundTrip(binary)).toEqual({ ...binary, extFields: entries, body: null });
  });

  test("protocol: frame: codes beyond a short fall back to a JSON header", () => {
    const cmd = {
      ...createRequest(RequestCode.POP_MESSAGE),
      serializeType: SerializeType.ROCKETMQ,
    };
    const frame = encodeFrame(cmd);
    expect(frame[4]).toBe(SerializeType.JSON);
    expect(decodeFrameContent(frame.subarray(4)).code).toBe(RequestCode.POP_MESSAGE);
  });
});
