// Builds test/golden/store-small: a tiny RocketMQ store written byte by byte from the layouts in
// ../shared/rocketmq-spec.md (commit log record §A, consume queue unit, index file, checkpoint),
// with nothing from core/: its own CRC32, its own String.hashCode, plain DataView writes. The
// readers in core/ are then checked against bytes they did not produce
// (test/component/store/golden_store.test.ts).
//
//   npx bun test/golden/make_store_small.ts     (rewrites the files; they are committed)

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const root = join(import.meta.dir, "store-small");
const TOPIC = "GoldenTopic";
const SEGMENT_BYTES = 4096; // mappedFileSizeCommitLog of this store
const UNITS_PER_QUEUE_FILE = 6; // mappedFileSizeConsumeQueue = 6 x 20 bytes
const HASH_SLOTS = 4; // maxHashSlotNum
const INDEX_ENTRIES = 16; // maxIndexNum (4 x slots, so readers infer the geometry from the size)

interface GoldenMessage {
  queueId: number;
  queueOffset: number;
  body: string;
  tags: string;
  keys: string;
  uniqKey: string;
  bornTimestamp: number;
  storeTimestamp: number;
}

const messages: GoldenMessage[] = [
  { queueId: 0, queueOffset: 0, body: "hello", tags: "TagA", keys: "k0" },
  { queueId: 1, queueOffset: 0, body: "world!", tags: "TagB", keys: "k1 shared" },
  { queueId: 0, queueOffset: 1, body: "third one", tags: "TagA", keys: "shared" },
].map((m, i) => ({
  ...m,
  uniqKey: `7F0000010000C350${String(i).padStart(16, "0")}`, // store host + an offset, as ids look
  bornTimestamp: 1_700_000_000_000 + i,
  storeTimestamp: 1_700_000_000_100 + i * 1000,
}));

// --- independent helpers --------------------------------------------------------------------

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function javaHashCode(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}
const ascii = (text: string) => new Uint8Array([...text].map((c) => c.charCodeAt(0)));

// --- commit log (spec §A: v1 record, IPv4 hosts) --------------------------------------------

const segment = new Uint8Array(SEGMENT_BYTES);
const positions: number[] = [];
const sizes: number[] = [];
let at = 0;
for (const m of messages) {
  const body = ascii(m.body);
  const topic = ascii(TOPIC);
  // 4.9.7 stores properties without a trailing \u0002 (see the spec's fixtures note).
  const properties = ascii(
    `KEYS\u0001${m.keys}\u0002UNIQ_KEY\u0001${m.uniqKey}\u0002TAGS\u0001${m.tags}`,
  );
  const total = 91 + body.length + topic.length + properties.length;
  const v = new DataView(segment.buffer, at, total);
  let p = 0;
  const i32 = (x: number) => (v.setInt32(p, x), (p += 4));
  const i64 = (x: number) => (v.setBigInt64(p, BigInt(x)), (p += 8));
  const raw = (b: Uint8Array) => (segment.set(b, at + p), (p += b.length));
  i32(total); // TOTALSIZE
  i32(0xdaa320a7 | 0); // MAGICCODE, v1
  i32(crc32(body) & 0x7fffffff); // BODYCRC
  i32(m.queueId);
  i32(0); // FLAG
  i64(m.queueOffset);
  i64(at); // PHYSICALOFFSET
  i32(0); // SYSFLAG
  i64(m.bornTimestamp);
  raw(Uint8Array.of(127, 0, 0, 1));
  i32(50000); // BORNHOST port
  i64(m.storeTimestamp);
  raw(Uint8Array.of(127, 0, 0, 1));
  i32(10911); // STOREHOST port
  i32(0); // RECONSUMETIMES
  i64(0); // PREPAREDTRANSACTIONOFFSET
  i32(body.length);
  raw(body);
  (v.setUint8(p, topic.length), (p += 1));
  raw(topic);
  (v.setInt16(p, properties.length), (p += 2));
  raw(properties);
  if (p !== total) throw new Error(`record layout adds up to ${p}, not ${total}`);
  positions.push(at);
  sizes.push(total);
  at += total;
}

// --- consume queues: 20-byte units (physical offset, size, tags hash) ----------------------

const queues = new Map<number, Uint8Array>();
messages.forEach((m, i) => {
  const file = queues.get(m.queueId) ?? new Uint8Array(UNITS_PER_QUEUE_FILE * 20);
  queues.set(m.queueId, file);
  const v = new DataView(file.buffer, m.queueOffset * 20, 20);
  v.setBigInt64(0, BigInt(positions[i]!));
  v.setInt32(8, sizes[i]!);
  v.setBigInt64(12, BigInt(javaHashCode(m.tags)));
});

// --- index: 40-byte header, slots, 20-byte entries; key = topic#key; entry 0 unused ----------

const index = new Uint8Array(40 + HASH_SLOTS * 4 + INDEX_ENTRIES * 20);
const iv = new DataView(index.buffer);
let indexCount = 1;
let hashSlotCount = 0;
const beginTimestamp = messages[0]!.storeTimestamp;
messages.forEach((m, i) => {
  // RocketMQ indexes UNIQ_KEY first, then each of KEYS (split on spaces).
  for (const key of [m.uniqKey, ...m.keys.split(" ")]) {
    const hash = Math.abs(javaHashCode(`${TOPIC}#${key}`));
    const slot = hash % HASH_SLOTS;
    const slotAt = 40 + slot * 4;
    const previous = iv.getInt32(slotAt);
    if (previous === 0) hashSlotCount++;
    const entryAt = 40 + HASH_SLOTS * 4 + indexCount * 20;
    iv.setInt32(entryAt, hash);
    iv.setBigInt64(entryAt + 4, BigInt(positions[i]!));
    iv.setInt32(entryAt + 12, Math.floor((m.storeTimestamp - beginTimestamp) / 1000));
    iv.setInt32(entryAt + 16, previous);
    iv.setInt32(slotAt, indexCount);
    indexCount++;
  }
});
const last = messages.length - 1;
iv.setBigInt64(0, BigInt(beginTimestamp));
iv.setBigInt64(8, BigInt(messages[last]!.storeTimestamp));
iv.setBigInt64(16, BigInt(positions[0]!));
iv.setBigInt64(24, BigInt(positions[last]!));
iv.setInt32(32, hashSlotCount);
iv.setInt32(36, indexCount);

// --- checkpoint: 4 KiB, three timestamps (RocketMQ 4.x) -------------------------------------

const checkpoint = new Uint8Array(4096);
const cv = new DataView(checkpoint.buffer);
for (const offset of [0, 8, 16]) cv.setBigInt64(offset, BigInt(messages[last]!.storeTimestamp));

// --- write ------------------------------------------------------------------------------------

rmSync(root, { recursive: true, force: true });
const put = (path: string, bytes: Uint8Array) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), bytes);
};
put("commitlog/00000000000000000000", segment);
for (const [queueId, file] of queues)
  put(`consumequeue/${TOPIC}/${queueId}/00000000000000000000`, file);
put("index/20231114221320100", index);
put("checkpoint", checkpoint);
console.log(`wrote ${root}: records at ${positions.join(", ")} (sizes ${sizes.join(", ")})`);
