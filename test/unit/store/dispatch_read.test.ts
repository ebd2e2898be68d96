// readDispatchSource reads in place what decodeRecord decodes: the same eight fields for every
// host/magic variant and for records Apache RocketMQ wrote, and it never accepts bytes that
// decodeRecord calls anything but a record (damaged fields, cut records, blank markers).

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Prng, seedFromEnv } from "../../../core/common/prng.ts";
import { MessageSysFlag } from "../../../core/common/message.ts";
import {
  decodeRecord,
  encodeBlankMarker,
  encodeRecord,
  recordSize,
  utf8Bytes,
  type RecordFields,
} from "../../../core/store/commit_log_codec.ts";
import { dispatchScratch, readDispatchSource } from "../../../core/store/dispatch_read.ts";
import { sharedFixturesDir, skipReason } from "../../harness/shared_fixtures.ts";

const ipv4 = { ip: Uint8Array.of(10, 0, 0, 1), port: 10911 };
const ipv6 = { ip: Uint8Array.from({ length: 16 }, (_, i) => i), port: 10911 };

function fields(prng: Prng): RecordFields {
  return {
    queueId: prng.below(16),
    flag: prng.below(4),
    queueOffset: prng.below(1_000_000_000) * 1000,
    physicalOffset: prng.below(1_000_000_000) * 1000,
    sysFlag:
      (prng.below(2) ? MessageSysFlag.BORNHOST_V6_FLAG : 0) |
      (prng.below(2) ? MessageSysFlag.STOREHOSTADDRESS_V6_FLAG : 0) |
      (prng.below(4) << 2),
    bornTimestamp: 1_700_000_000_000 + prng.below(1000),
    bornHost: prng.below(2) ? ipv4 : ipv6,
    storeTimestamp: 1_700_000_000_000 + prng.below(1_000_000),
    storeHost: ipv4,
    reconsumeTimes: prng.below(3),
    preparedTransactionOffset: prng.below(2) ? 0 : prng.below(1_000_000),
    body: new Uint8Array(prng.below(300)).fill(7),
    // Topics over 127 bytes take the v2 magic (2-byte topic length).
    topic: utf8Bytes(
      prng.below(4) === 0 ? "T".repeat(130 + prng.below(50)) : `Tópico${prng.below(9)}`,
    ),
    properties: utf8Bytes(
      prng.below(5) === 0 ? "" : `TAGS\u0001T${prng.below(9)}\u0002KEYS\u0001k\u0002`,
    ),
  };
}

/** Host flags must agree with the hosts the record carries. */
function consistent(f: RecordFields): RecordFields {
  let sysFlag =
    f.sysFlag & ~(MessageSysFlag.BORNHOST_V6_FLAG | MessageSysFlag.STOREHOSTADDRESS_V6_FLAG);
  if (f.bornHost.ip.length === 16) sysFlag |= MessageSysFlag.BORNHOST_V6_FLAG;
  if (f.storeHost.ip.length === 16) sysFlag |= MessageSysFlag.STOREHOSTADDRESS_V6_FLAG;
  return { ...f, sysFlag };
}

/** Where BODYLENGTH, TOPICLENGTH and PROPERTIESLENGTH sit in the encoded record. */
function lengthFieldPositions(f: RecordFields): number[] {
  const bodyLengthAt = 48 + (f.bornHost.ip.length + 4) + 8 + (f.storeHost.ip.length + 4) + 12;
  const topicLengthAt = bodyLengthAt + 4 + f.body.length;
  const topicLengthBytes = f.topic.length > 127 ? 2 : 1;
  return [bodyLengthAt, topicLengthAt, topicLengthAt + topicLengthBytes + f.topic.length];
}

function encoded(f: RecordFields): Uint8Array {
  const out = new Uint8Array(recordSize(f));
  encodeRecord(out, 0, f);
  return out;
}

/** What readDispatchSource said of bytes[pos..], checked against decodeRecord. */
function agrees(bytes: Uint8Array, pos: number, base: number): boolean {
  const out = dispatchScratch();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = readDispatchSource(bytes, view, pos, base, out);
  const decoded = decodeRecord(bytes, pos, { checkCrc: false, basePosition: base });
  if (!read) return true; // decodeRecord is asked then: whatever it says stands
  expect(decoded.kind).toBe("record");
  if (decoded.kind !== "record") return false;
  const r = decoded.record;
  expect(out).toEqual({
    topic: r.topic,
    queueId: r.queueId,
    queueOffset: r.queueOffset,
    position: r.position,
    totalSize: r.totalSize,
    storeTimestamp: r.storeTimestamp,
    sysFlag: r.sysFlag,
    properties: r.properties,
  });
  return true;
}

describe("store: dispatch read", () => {
  test("store: dispatch read: every variant reads as decodeRecord decodes it", () => {
    const prng = new Prng(seedFromEnv());
    for (let i = 0; i < 500; i++) {
      const f = consistent(fields(prng));
      const bytes = encoded(f);
      const out = dispatchScratch();
      const view = new DataView(bytes.buffer);
      expect(readDispatchSource(bytes, view, 0, 5000, out)).toBe(true);
      expect(out.totalSize).toBe(bytes.length);
      expect(out.position).toBe(5000);
      agrees(bytes, 0, 5000);
    }
  });

  test("store: dispatch read: damaged, cut or blank bytes are never taken for a record", () => {
    const prng = new Prng(seedFromEnv() + 1);
    for (let i = 0; i < 3000; i++) {
      const f = consistent(fields(prng));
      const bytes = encoded(f);
      const damaged = bytes.slice(0, prng.below(4) === 0 ? prng.below(bytes.length) : bytes.length);
      const lengthFields = lengthFieldPositions(f);
      for (let flips = 1 + prng.below(3); flips > 0 && damaged.length > 0; flips--) {
        // Mostly where structure lives: the fixed header and the three length fields.
        const pick = prng.below(3);
        const at =
          pick === 0
            ? prng.below(Math.min(100, damaged.length))
            : pick === 1
              ? lengthFields[prng.below(lengthFields.length)]! + prng.below(4)
              : prng.below(damaged.length);
        if (at < damaged.length) damaged[at] = prng.below(256);
      }
      expect(agrees(damaged, 0, 0)).toBe(true);
    }
    const blank = new Uint8Array(64);
    encodeBlankMarker(blank, 0, 64);
    const view = new DataView(blank.buffer);
    expect(readDispatchSource(blank, view, 0, 0, dispatchScratch())).toBe(false);
    expect(
      readDispatchSource(
        new Uint8Array(200),
        new DataView(new ArrayBuffer(200)),
        0,
        0,
        dispatchScratch(),
      ),
    ).toBe(false);
  });

  if (!sharedFixturesDir) console.warn(`dispatch read: ${skipReason}`);
  test.skipIf(!sharedFixturesDir)(
    "store: dispatch read: records Apache RocketMQ wrote read as decodeRecord decodes them",
    () => {
      const bytes = new Uint8Array(
        readFileSync(join(sharedFixturesDir!, "rocketmq-records", "batch_message.bin")),
      );
      const out = dispatchScratch();
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const offsets: number[] = [];
      for (let pos = 0; readDispatchSource(bytes, view, pos, 0, out); pos += out.totalSize) {
        agrees(bytes, pos, 0);
        offsets.push(out.queueOffset);
        expect(out.topic).toBe("TopicTest");
        expect(out.properties).toBe("TAGS\u0001TagA\u0002");
      }
      expect(offsets).toEqual([278, 279, 280]);
    },
  );
});
