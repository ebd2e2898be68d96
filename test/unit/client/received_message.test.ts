// A stored record as a consumer's handler sees it. The properties map and the offset id are made
// on first use; what the handler reads must be what an eagerly built message would have held.

import { describe, expect, test } from "bun:test";
import { toReceived } from "../../../core/client/received_message.ts";
import {
  createOffsetMessageId,
  findMessageProperty,
  parseMessageProperties,
} from "../../../core/common/message.ts";
import {
  decodeRecord,
  encodeRecord,
  recordSize,
  utf8Bytes,
} from "../../../core/common/record_codec.ts";

const storeHost = { ip: Uint8Array.of(10, 1, 2, 3), port: 10911 };
const bornHost = { ip: Uint8Array.of(192, 168, 0, 9), port: 40001 };

function received(properties: string, physicalOffset = 123_456) {
  const fields = {
    queueId: 3,
    flag: 0,
    queueOffset: 42,
    physicalOffset,
    sysFlag: 0,
    bornTimestamp: 1_700_000_000_000,
    bornHost,
    storeTimestamp: 1_700_000_000_005,
    storeHost,
    reconsumeTimes: 2,
    preparedTransactionOffset: 0,
    body: utf8Bytes("hello"),
    topic: utf8Bytes("LazyTopic"),
    properties: utf8Bytes(properties),
  };
  const bytes = new Uint8Array(recordSize(fields));
  encodeRecord(bytes, 0, fields);
  const result = decodeRecord(bytes, 0, { checkCrc: true, basePosition: 0 });
  if (result.kind !== "record") throw new Error(`not a record: ${result.kind}`);
  return toReceived(result.record);
}

describe("client: received message", () => {
  test("client: received message: ids, tags, keys and properties from the stored text", () => {
    const text =
      "KEYS\u0001k1 k2\u0002UNIQ_KEY\u0001AABBCC\u0002WAIT\u0001true\u0002TAGS\u0001TagA\u0002";
    const m = received(text);
    expect(m.msgId).toBe("AABBCC");
    expect(m.offsetMsgId).toBe(createOffsetMessageId(storeHost, 123_456));
    expect(m.tags).toBe("TagA");
    expect(m.keys).toEqual(["k1", "k2"]);
    expect([...m.properties]).toEqual([...parseMessageProperties(text)]);
    expect(m.properties).toBe(m.properties); // made once
    expect([m.topic, m.queueId, m.queueOffset, m.commitLogOffset]).toEqual([
      "LazyTopic",
      3,
      42,
      123_456,
    ]);
    expect([m.bornHost, m.storeHost, m.reconsumeTimes]).toEqual([
      "192.168.0.9:40001",
      "10.1.2.3:10911",
      2,
    ]);
    expect(new TextDecoder().decode(m.body)).toBe("hello");
  });

  test("client: received message: no UNIQ_KEY: the offset id is the msgId", () => {
    const m = received("TAGS\u0001T\u0002", 9_999);
    expect(m.msgId).toBe(createOffsetMessageId(storeHost, 9_999));
    expect(m.msgId).toBe(m.offsetMsgId);
    expect(m.keys).toEqual([]);
  });

  test("client: received message: a repeated name reads as the map does (the last)", () => {
    const text =
      "TAGS\u0001first\u0002UNIQ_KEY\u0001ID1\u0002TAGS\u0001second\u0002UNIQ_KEY\u0001ID2";
    const m = received(text);
    expect(m.tags).toBe(parseMessageProperties(text).get("TAGS")!);
    expect(m.tags).toBe("second");
    expect(m.msgId).toBe("ID2");
    // Empty values do not count, for the map nor for the lookup.
    const empty = received("TAGS\u0001kept\u0002TAGS\u0001\u0002");
    expect(empty.tags).toBe("kept");
    expect(empty.properties.get("TAGS")).toBe("kept");
  });

  test("client: received message: findMessageProperty: the first, or the last when asked", () => {
    const text = "A\u00011\u0002XA\u0001no\u0002A\u00012\u0002";
    expect(findMessageProperty(text, "A")).toBe("1");
    expect(findMessageProperty(text, "A", true)).toBe("2");
    expect(findMessageProperty(text, "B", true)).toBeUndefined();
    expect(findMessageProperty("A\u0001\u0002", "A", true)).toBeUndefined();
  });
});
