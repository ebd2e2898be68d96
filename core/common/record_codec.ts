// The commit log record, byte for byte as RocketMQ stores it (spec §5.2), which is also what a
// pull response carries to clients. Big-endian.
//
// | #  | offset (v4 hosts) | size   | field                        |
// |----|-------------------|--------|------------------------------|
// | 1  | 0                 | 4      | TOTALSIZE (whole record)     |
// | 2  | 4                 | 4      | MAGICCODE v1 DAA320A7 / v2 DAA320AB |
// | 3  | 8                 | 4      | BODYCRC (crc32 & 0x7fffffff) |
// | 4  | 12                | 4      | QUEUEID                      |
// | 5  | 16                | 4      | FLAG                         |
// | 6  | 20                | 8      | QUEUEOFFSET                  |
// | 7  | 28                | 8      | PHYSICALOFFSET               |
// | 8  | 36                | 4      | SYSFLAG                      |
// | 9  | 40                | 8      | BORNTIMESTAMP                |
// | 10 | 48                | 8 / 20 | BORNHOST ip + port           |
// | 11 | 56                | 8      | STORETIMESTAMP               |
// | 12 | 64                | 8 / 20 | STOREHOST ip + port          |
// | 13 | 72                | 4      | RECONSUMETIMES               |
// | 14 | 76                | 8      | PREPARED_TRANSACTION_OFFSET  |
// | 15 | 84                | 4      | BODYLENGTH                   |
// | 16 | 88                | n      | BODY                         |
// | 17 |                   | 1 / 2  | TOPICLENGTH (v1 byte, v2 short) |
// | 18 |                   | t      | TOPIC                        |
// | 19 |                   | 2      | PROPERTIESLENGTH             |
// | 20 |                   | p      | PROPERTIES                   |
//
// At a file's end a blank marker (int remaining bytes, int BLANK_MAGIC) means "continue in the
// next file". Decoding never throws on bad bytes: it returns why the bytes are not a record.

import { assert } from "./assert.ts";
import { crc32Masked } from "./checksum.ts";
import { asciiOrUtf8 } from "./short_ascii.ts";
import { BoundedMemo } from "./bounded_memo.ts";
import { readInt32 } from "./int32.ts";
import { getInt64, setInt64 } from "./int64.ts";
import { MessageSysFlag, type HostAddress } from "./message.ts";

export const MESSAGE_MAGIC_CODE_V1 = 0xdaa320a7 | 0;
export const MESSAGE_MAGIC_CODE_V2 = 0xdaa320ab | 0;
export const BLANK_MAGIC_CODE = 0xcbd43194 | 0;
export const blankMarkerBytes = 8;

/** Bytes of a v1 record with IPv4 hosts and empty body, topic and properties. */
export const recordOverheadBytesV1 =
  4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8 + 8 + 8 + 4 + 8 + 4 + 1 + 2;
assert(recordOverheadBytesV1 === 91, "v1/IPv4 record overhead is 91 bytes");

const encoder = new TextEncoder();

export interface StoredRecord {
  /** Where the record starts in the commit log (from its position, not its field). */
  position: number;
  totalSize: number;
  magicVersion: 1 | 2;
  bodyCrc: number;
  queueId: number;
  flag: number;
  queueOffset: number;
  physicalOffset: number;
  sysFlag: number;
  bornTimestamp: number;
  bornHost: HostAddress;
  storeTimestamp: number;
  storeHost: HostAddress;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  body: Uint8Array;
  topic: string;
  properties: string;
}

export type DecodeResult =
  | { kind: "record"; record: StoredRecord }
  | { kind: "blank"; size: number }
  /** All-zero bytes: space never written (the end of the data in a preallocated file). */
  | { kind: "end" }
  | { kind: "corrupt"; reason: string };

export interface DecodeOptions {
  checkCrc: boolean;
  /** Where `bytes[0]` sits in the commit log, so records report their physical position. */
  basePosition: number;
}

/**
 * Decodes the record starting at `pos` of `bytes` (which must hold the rest of the file).
 * `bytesView` may be a DataView over the whole of `bytes`, so a reader decoding many records
 * does not make one per record.
 */
export function decodeRecord(
  bytes: Uint8Array,
  pos: number,
  options: DecodeOptions,
  bytesView?: DataView,
): DecodeResult {
  const available = bytes.length - pos;
  if (available < 8)
    return available === 0 || isZero(bytes, pos, available)
      ? { kind: "end" }
      : corrupt("truncated size/magic");
  const view = bytesView ?? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert(view.byteLength === bytes.length, "the view spans the bytes exactly");
  const totalSize = view.getInt32(pos);
  const magic = view.getInt32(pos + 4);
  if (magic === BLANK_MAGIC_CODE) {
    if (totalSize !== available)
      return corrupt(`blank marker says ${totalSize} bytes left, file has ${available}`);
    return { kind: "blank", size: totalSize };
  }
  if (totalSize === 0 && magic === 0) return { kind: "end" };
  if (magic !== MESSAGE_MAGIC_CODE_V1 && magic !== MESSAGE_MAGIC_CODE_V2) {
    return corrupt(`bad magic 0x${(magic >>> 0).toString(16)}`);
  }
  if (totalSize < recordOverheadBytesV1 || totalSize > available) {
    return corrupt(`record size ${totalSize} out of range (${available} bytes left in file)`);
  }
  const version = magic === MESSAGE_MAGIC_CODE_V2 ? 2 : 1;
  return decodeFields(bytes, view, totalSize, version, pos, options);
}

function decodeFields(
  bytes: Uint8Array,
  view: DataView,
  totalSize: number,
  magicVersion: 1 | 2,
  pos: number,
  options: DecodeOptions,
): DecodeResult {
  const r = fieldReader;
  r.reset(bytes, view, pos, totalSize);
  r.skip(8);
  const bodyCrc = r.int32();
  const queueId = r.int32();
  const flag = r.int32();
  const queueOffset = r.int64();
  const physicalOffset = r.int64();
  const sysFlag = r.int32();
  const bornTimestamp = r.int64();
  const bornHost = r.host((sysFlag & MessageSysFlag.BORNHOST_V6_FLAG) !== 0);
  const storeTimestamp = r.int64();
  const storeHost = r.host((sysFlag & MessageSysFlag.STOREHOSTADDRESS_V6_FLAG) !== 0);
  const reconsumeTimes = r.int32();
  const preparedTransactionOffset = r.int64();
  const bodyLength = r.int32();
  if (r.failed || bodyLength < 0) return corrupt(r.failure ?? `negative body length ${bodyLength}`);
  const body = r.bytesView(bodyLength);
  const topicLength = magicVersion === 1 ? r.uint8() : r.uint16();
  const topicAt = r.skip(topicLength);
  const propertiesLength = r.int16();
  if (r.failed || propertiesLength < 0) {
    return corrupt(r.failure ?? `negative properties length ${propertiesLength}`);
  }
  const propertiesAt = r.skip(propertiesLength);
  if (r.failed) return corrupt(r.failure!);
  if (r.position !== totalSize) {
    return corrupt(`fields take ${r.position} bytes but TOTALSIZE says ${totalSize}`);
  }
  if (options.checkCrc && crc32Masked(body) !== bodyCrc) return corrupt("body CRC mismatch");
  return {
    kind: "record",
    record: {
      position: options.basePosition + pos,
      totalSize,
      magicVersion,
      bodyCrc,
      queueId,
      flag,
      queueOffset,
      physicalOffset,
      sysFlag,
      bornTimestamp,
      bornHost,
      storeTimestamp,
      storeHost,
      reconsumeTimes,
      preparedTransactionOffset,
      body,
      topic: asciiOrUtf8(bytes, topicAt, topicAt + topicLength),
      properties: asciiOrUtf8(bytes, propertiesAt, propertiesAt + propertiesLength),
    },
  };
}

function corrupt(reason: string): DecodeResult {
  return { kind: "corrupt", reason };
}

function isZero(bytes: Uint8Array, pos: number, length: number): boolean {
  for (let i = pos; i < pos + length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Bounds-checked reads inside one record; the first overrun marks the reader failed. Positions
 * are the record's own (0 = its first byte). One reader serves every decode (each is synchronous
 * and resets it), not one object per record.
 */
class FieldReader {
  position = 0;
  failed = false;
  failure: string | null = null;
  private bytes: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(this.bytes.buffer);
  private start = 0;
  private limit = 0;

  reset(bytes: Uint8Array, view: DataView, start: number, limit: number): void {
    this.bytes = bytes;
    this.view = view;
    this.start = start;
    this.limit = limit;
    this.position = 0;
    this.failed = false;
    this.failure = null;
  }

  /** Steps over `count` bytes; returns where they start in the whole buffer. */
  skip(count: number): number {
    return this.start + this.take(count);
  }

  private take(count: number): number {
    const at = this.position;
    if (this.failed) return 0;
    if (count < 0 || at + count > this.limit) {
      this.failed = true;
      this.failure = `field at ${at} overruns the record (${this.limit} bytes)`;
      return 0;
    }
    this.position += count;
    return at;
  }

  int32(): number {
    const at = this.take(4);
    return this.failed ? 0 : this.view.getInt32(this.start + at);
  }
  int16(): number {
    const at = this.take(2);
    return this.failed ? 0 : this.view.getInt16(this.start + at);
  }
  uint16(): number {
    const at = this.take(2);
    return this.failed ? 0 : this.view.getUint16(this.start + at);
  }
  uint8(): number {
    const at = this.take(1);
    return this.failed ? 0 : this.view.getUint8(this.start + at);
  }
  int64(): number {
    const at = this.take(8);
    if (this.failed) return 0;
    const value = getInt64(this.view, this.start + at);
    if (value === undefined) {
      this.failed = true;
      this.failure = `64-bit field at ${at} is beyond 2^53`;
      return 0;
    }
    return value;
  }
  /** A view of the next `count` bytes (empty after a failure). */
  bytesView(count: number): Uint8Array {
    const at = this.take(count);
    if (this.failed) return new Uint8Array(0);
    return this.bytes.subarray(this.start + at, this.start + at + count);
  }
  host(v6: boolean): HostAddress {
    const length = v6 ? 16 : 4;
    const at = this.take(length);
    let ip: Uint8Array;
    if (this.failed) ip = new Uint8Array(length);
    else if (v6) ip = this.bytes.slice(this.start + at, this.start + at + length);
    else ip = ipv4Bytes.get(readInt32(this.bytes, this.start + at) >>> 0);
    return { ip, port: this.int32() };
  }
}

const fieldReader = new FieldReader();

// The few IPv4 addresses records carry (a broker's and its producers'), each as one shared
// array: a consumer decodes two per message, and a slice each cost as much as the body's copy.
// Shared, so never written to (nothing writes a decoded address).
const ipv4Bytes = new BoundedMemo(4096, (address: number) =>
  Uint8Array.of(address >>> 24, (address >>> 16) & 0xff, (address >>> 8) & 0xff, address & 0xff),
);

/** What a writer provides; queueOffset, physicalOffset and storeTimestamp are set at append. */
export interface RecordFields {
  queueId: number;
  flag: number;
  queueOffset: number;
  physicalOffset: number;
  sysFlag: number;
  bornTimestamp: number;
  bornHost: HostAddress;
  storeTimestamp: number;
  storeHost: HostAddress;
  reconsumeTimes: number;
  preparedTransactionOffset: number;
  body: Uint8Array;
  topic: Uint8Array;
  properties: Uint8Array;
}

/** v2 only when the topic needs more than a byte of length (RocketMQ's automatic choice). */
export function magicVersionFor(topicBytes: number): 1 | 2 {
  return topicBytes > 127 ? 2 : 1;
}

export function recordSize(
  fields: Pick<RecordFields, "bornHost" | "storeHost" | "body" | "topic" | "properties">,
): number {
  const v = magicVersionFor(fields.topic.length);
  return (
    recordOverheadBytesV1 +
    (fields.bornHost.ip.length - 4) +
    (fields.storeHost.ip.length - 4) +
    fields.body.length +
    (v === 2 ? 1 : 0) +
    fields.topic.length +
    fields.properties.length
  );
}

/**
 * Writes the record at `pos` of `out`; returns its size. `outView` may be a DataView over the
 * whole of `out`, so a writer encoding many records does not make one per record.
 */
export function encodeRecord(
  out: Uint8Array,
  pos: number,
  fields: RecordFields,
  outView?: DataView,
): number {
  const size = recordSize(fields);
  const version = magicVersionFor(fields.topic.length);
  assert(pos + size <= out.length, "record fits the buffer");
  assert(fields.properties.length <= 32767, "properties fit a short");
  assert(fields.topic.length <= 32767, "topic fits a short");
  const view = outView ?? new DataView(out.buffer, out.byteOffset, out.byteLength);
  let at = pos;
  view.setInt32(at, size);
  view.setInt32(at + 4, version === 2 ? MESSAGE_MAGIC_CODE_V2 : MESSAGE_MAGIC_CODE_V1);
  view.setInt32(at + 8, crc32Masked(fields.body));
  view.setInt32(at + 12, fields.queueId);
  view.setInt32(at + 16, fields.flag);
  setInt64(view, at + 20, fields.queueOffset);
  setInt64(view, at + 28, fields.physicalOffset);
  view.setInt32(at + 36, fields.sysFlag);
  setInt64(view, at + 40, fields.bornTimestamp);
  at += 48;
  out.set(fields.bornHost.ip, at);
  at += fields.bornHost.ip.length;
  view.setInt32(at, fields.bornHost.port);
  setInt64(view, at + 4, fields.storeTimestamp);
  at += 12;
  out.set(fields.storeHost.ip, at);
  at += fields.storeHost.ip.length;
  view.setInt32(at, fields.storeHost.port);
  view.setInt32(at + 4, fields.reconsumeTimes);
  setInt64(view, at + 8, fields.preparedTransactionOffset);
  view.setInt32(at + 16, fields.body.length);
  at += 20;
  out.set(fields.body, at);
  at += fields.body.length;
  if (version === 2) {
    view.setInt16(at, fields.topic.length);
    at += 2;
  } else {
    view.setUint8(at, fields.topic.length);
    at += 1;
  }
  out.set(fields.topic, at);
  at += fields.topic.length;
  view.setInt16(at, fields.properties.length);
  at += 2;
  out.set(fields.properties, at);
  at += fields.properties.length;
  assert(at - pos === size, "encoded size equals the computed record size");
  return size;
}

/** The 8-byte end-of-file marker: remaining bytes, BLANK_MAGIC. */
export function encodeBlankMarker(out: Uint8Array, pos: number, remainingBytes: number): void {
  assert(remainingBytes >= blankMarkerBytes, "a blank marker needs 8 bytes");
  const view = new DataView(out.buffer, out.byteOffset + pos, blankMarkerBytes);
  view.setInt32(0, remainingBytes);
  view.setInt32(4, BLANK_MAGIC_CODE);
}

export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}
