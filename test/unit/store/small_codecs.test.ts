// Consume-queue units, the checkpoint and the index file: golden bytes from the spec's tables
// (§5.5-5.7) and hand-built index files with chains, collisions and time filters.

import { describe, expect, test } from "bun:test";
import {
  CQ_STORE_UNIT_SIZE,
  decodeCheckpoint,
  decodeUnit,
  encodeCheckpoint,
  encodeEntry,
  encodeIndexHeader,
  encodeUnit,
  entryPosition,
  indexFileBytes,
  indexKeyHash,
  topicKeyHash,
  selectPhysicalOffsets,
  slotPosition,
  checkpointMinTimestamp,
  type IndexGeometry,
} from "../../../core/store/index.ts";

describe("store: small codecs", () => {
  test("store: consume queue unit: 20 bytes, golden layout", () => {
    const out = new Uint8Array(CQ_STORE_UNIT_SIZE);
    encodeUnit(out, 0, { physicalOffset: 0x12c40, size: 119, tagsCode: -1 });
    expect(Buffer.from(out).toString("hex")).toBe(
      "0000000000012c40" + "00000077" + "ffffffffffffffff",
    );
    expect(decodeUnit(out, 0)).toEqual({ physicalOffset: 0x12c40, size: 119, tagsCode: -1 });
    expect(decodeUnit(new Uint8Array(20), 0)).toBeUndefined(); // never written
    expect(decodeUnit(out, 1)).toBeUndefined(); // past the end
  });

  test("store: checkpoint: 4 KiB, five big-endian longs, min timestamp rule", () => {
    const bytes = encodeCheckpoint({
      physicMsgTimestamp: 1795608086672,
      logicsMsgTimestamp: 1795608089586,
      indexMsgTimestamp: 1795608074899,
      masterFlushedOffset: 0,
      confirmPhyOffset: 7,
    });
    expect(bytes.length).toBe(4096);
    expect(Buffer.from(bytes.subarray(0, 8)).toString("hex")).toBe("000001a212950890");
    const decoded = decodeCheckpoint(bytes);
    expect(decoded.confirmPhyOffset).toBe(7);
    expect(checkpointMinTimestamp(decoded, false)).toBe(1795608086672 - 3000);
    expect(checkpointMinTimestamp(decoded, true)).toBe(1795608074899 - 3000);
    expect(() => decodeCheckpoint(new Uint8Array(10))).toThrow(/needs 40/);
  });

  test("store: checkpoint: rmq's durable offset sits after RocketMQ's 40 bytes", () => {
    const base = {
      physicMsgTimestamp: 1,
      logicsMsgTimestamp: 2,
      indexMsgTimestamp: 3,
      masterFlushedOffset: 0,
      confirmPhyOffset: 0,
    };
    const plain = encodeCheckpoint(base);
    const ours = encodeCheckpoint({ ...base, rmqDurablePhyOffset: 0x1234 });
    expect(ours.subarray(0, 40)).toEqual(plain.subarray(0, 40));
    expect(Buffer.from(ours.subarray(40, 52)).toString("hex")).toBe("524d51310000000000001234");
    expect(decodeCheckpoint(ours).rmqDurablePhyOffset).toBe(0x1234);
    expect(decodeCheckpoint(plain).rmqDurablePhyOffset).toBeUndefined();
  });

  test("store: index file: chains, hash collisions and time ranges", () => {
    const geometry: IndexGeometry = { hashSlotNum: 4, indexNum: 8 };
    const file = new Uint8Array(indexFileBytes(geometry));
    expect(file.length).toBe(40 + 16 + 160);
    const begin = 1_700_000_000_000;
    const view = new DataView(file.buffer);
    const put = (index: number, key: string, offset: number, seconds: number) => {
      const hash = indexKeyHash(key);
      const slot = slotPosition(geometry, hash);
      encodeEntry(file, entryPosition(geometry, index), {
        keyHash: hash,
        physicalOffset: offset,
        timeDiffSeconds: seconds,
        previousIndex: view.getInt32(slot),
      });
      view.setInt32(slot, index);
    };
    // "T#a" and "T#e" share a slot when their hashes are equal mod 4.
    const a = "T#a";
    const e = ["T#e", "T#i", "T#m", "T#q"].find(
      (k) => indexKeyHash(k) % 4 === indexKeyHash(a) % 4,
    )!;
    put(1, a, 100, 0);
    put(2, e, 200, 1);
    put(3, a, 300, 5);
    encodeIndexHeader(file, {
      beginTimestamp: begin,
      endTimestamp: begin + 5000,
      beginPhyOffset: 100,
      endPhyOffset: 300,
      hashSlotCount: 2,
      indexCount: 4,
    });
    const all = (key: string) => selectPhysicalOffsets(file, geometry, key, 0, Infinity, 64);
    expect(all(a)).toEqual([300, 100]);
    expect(all(e)).toEqual([200]);
    expect(all("T#absent")).toEqual([]);
    expect(selectPhysicalOffsets(file, geometry, a, begin + 1000, Infinity, 64)).toEqual([300]);
    expect(selectPhysicalOffsets(file, geometry, a, 0, Infinity, 1)).toEqual([300]);
  });

  test("store: index file: key hash is abs(String.hashCode), 0 for Integer.MIN_VALUE", () => {
    expect(indexKeyHash("hello")).toBe(99162322);
    // "polygenelubricants".hashCode() == Integer.MIN_VALUE, a well-known Java example.
    expect(indexKeyHash("polygenelubricants")).toBe(0);
  });

  test("store: index file: topic#key hashed without building the string, same value", () => {
    const pairs = [
      ["TopicTest", "AC11000100002A9F0000000000000001"],
      ["%RETRY%group", "order-7"],
      ["Topic", ""],
      ["主题", "键-ключ-🔑"],
    ];
    for (const [topic, key] of pairs) {
      expect(topicKeyHash(topic!, key!)).toBe(indexKeyHash(`${topic}#${key}`));
    }
    // RocketMQ's key for "hello" under topic "T": "T#hello".hashCode() computed by hand.
    expect(topicKeyHash("T", "hello")).toBe(indexKeyHash("T#hello"));
    expect(indexKeyHash("T#hello")).toBe(Math.abs(javaHash("T#hello")));
  });
});

/** A second, independent String.hashCode for the cross-check above. */
function javaHash(text: string): number {
  let hash = 0n;
  for (const unit of Array.from({ length: text.length }, (_, i) => text.charCodeAt(i))) {
    hash = BigInt.asIntN(32, hash * 31n + BigInt(unit));
  }
  return Number(hash);
}
