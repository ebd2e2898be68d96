// A pull's body as a consumer decodes it: bad stored bytes are reported and passed over, never
// thrown (a record that throws on every pull would stop its queue for good).

import { describe, expect, test } from "bun:test";
import { decodePulledMessages, strayFromPull } from "../../../core/client/received_message.ts";
import {
  encodeRecord,
  recordSize,
  utf8Bytes,
  type RecordFields,
} from "../../../core/common/record_codec.ts";

const host = { ip: Uint8Array.of(127, 0, 0, 1), port: 10911 };

function fields(queueOffset: number, physicalOffset: number): RecordFields {
  return {
    queueId: 1,
    flag: 0,
    queueOffset,
    physicalOffset,
    sysFlag: 0,
    bornTimestamp: 1_700_000_000_000,
    bornHost: host,
    storeTimestamp: 1_700_000_000_001,
    storeHost: host,
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    body: utf8Bytes(`body-${queueOffset}`),
    topic: utf8Bytes("PullTopic"),
    properties: utf8Bytes("TAGS\u0001A\u0002"),
  };
}

/** Three records back to back, as a broker answers a pull; and where each starts. */
function pullBody(): { body: Uint8Array; starts: number[] } {
  const records = [0, 1, 2].map((i) => fields(10 + i, 5000 + i * 100));
  const sizes = records.map((f) => recordSize(f));
  const body = new Uint8Array(sizes.reduce((a, b) => a + b, 0));
  const starts: number[] = [];
  let at = 0;
  for (let i = 0; i < records.length; i++) {
    starts.push(at);
    encodeRecord(body, at, records[i]!);
    at += sizes[i]!;
  }
  return { body, starts };
}

function indexOfText(bytes: Uint8Array, text: string): number {
  const at = Buffer.from(bytes).indexOf(text);
  if (at < 0) throw new Error(`${text} is not in the bytes`);
  return at;
}

function decode(body: Uint8Array) {
  const warnings: string[] = [];
  const { messages, endedEarly } = decodePulledMessages(body, (text) => warnings.push(text));
  return { offsets: messages.map((m) => m.queueOffset), messages, warnings, endedEarly };
}

describe("client: pulled messages", () => {
  test("client: pulled messages: intact records decode without a warning", () => {
    const { offsets, warnings, endedEarly } = decode(pullBody().body);
    expect(offsets).toEqual([10, 11, 12]);
    expect(warnings).toEqual([]);
    expect(endedEarly).toBe(false);
  });

  test("client: pulled messages: a body failing its CRC is delivered and reported", () => {
    const { body } = pullBody();
    body[indexOfText(body, "body-11")]! ^= 0x20; // "Body-11": record 1's body, not its CRC
    const { offsets, messages, warnings } = decode(body);
    expect(offsets).toEqual([10, 11, 12]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("PullTopic queue 1 offset 11 (commit log offset 5100)");
    expect(warnings[0]).toContain("body CRC mismatch");
    expect(new TextDecoder().decode(messages[0]!.body)).toBe("body-10");
  });

  test("client: pulled messages: an undecodable record is skipped by its size", () => {
    const { body, starts } = pullBody();
    body[starts[1]! + 4]! ^= 0xff; // record 1's magic code
    const { offsets, warnings } = decode(body);
    expect(offsets).toEqual([10, 12]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("does not decode (bad magic");
  });

  test("client: pulled messages: a record with a bad size ends the batch", () => {
    const { body, starts } = pullBody();
    new DataView(body.buffer).setInt32(starts[1]!, 7); // record 1's TOTALSIZE
    const { offsets, warnings, endedEarly } = decode(body);
    expect(offsets).toEqual([10]);
    expect(endedEarly).toBe(true); // the consumer pulls again from 11
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("the record after 1 messages does not decode");
  });

  test("client: pulled messages: one of another queue or outside the pull is a stray", () => {
    const [m] = decode(pullBody().body).messages; // PullTopic queue 1 offset 10
    const queue = { topic: "PullTopic", queueId: 1 };
    expect(strayFromPull(m!, queue, 10, 13)).toBeUndefined();
    expect(strayFromPull(m!, { topic: "PullTopic", queueId: 2 }, 10, 13)).toContain("queue 1");
    expect(strayFromPull(m!, queue, 11, 13)).toContain("not of this pull from 11");
    expect(strayFromPull(m!, queue, 0, 10)).toContain("offset 10");
  });
});
