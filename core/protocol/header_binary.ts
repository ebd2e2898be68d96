// ROCKETMQ binary header codec (serialize type 1, spec §1.4). Big-endian throughout.
//
// | offset | size | field                                                        |
// |--------|------|--------------------------------------------------------------|
// | 0      | 2    | code (short)                                                 |
// | 2      | 1    | language (LanguageCode byte)                                 |
// | 3      | 2    | version (short)                                              |
// | 5      | 4    | opaque (int)                                                 |
// | 9      | 4    | flag (int)                                                   |
// | 13     | 4    | remark length (int, 0 = null)                                |
// | 17     | n    | remark, UTF-8                                                |
// | 17+n   | 4    | extFields block length (int, 0 = none)                       |
// | 21+n   | m    | entries: key length (short), key, value length (int), value  |
//
// A zero-length string decodes as null (entries with a null key or value are skipped), as
// RocketMQ does. Codes and versions above 32767 cannot be written here; callers use JSON.

import { assert } from "../common/assert.ts";
import { ProtocolError } from "../common/errors.ts";
import { asciiLength, shortAscii, writeAscii } from "../common/short_ascii.ts";
import { extFieldCountMax } from "../config/limits.ts";
import { SerializeType, type RemotingCommand } from "./command.ts";
import { SmallMap } from "../common/small_map.ts";
import { LanguageCode, languageName } from "./language_code.ts";

export const binaryHeaderFixedBytes = 2 + 1 + 2 + 4 + 4 + 4 + 4;
assert(binaryHeaderFixedBytes === 21, "fixed part of the binary header is 21 bytes");

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** True if `cmd` fits the binary header (code and version are shorts). */
export function fitsBinaryHeader(cmd: RemotingCommand): boolean {
  return isShort(cmd.code) && isShort(cmd.version);
}

function isShort(value: number): boolean {
  return value >= -32768 && value <= 32767;
}

export function encodeBinaryHeader(cmd: RemotingCommand): Uint8Array {
  const out = new Uint8Array(binaryHeaderLength(cmd));
  const end = writeBinaryHeader(cmd, out, new DataView(out.buffer), 0);
  assert(end === out.length, "binary header length matches what was written");
  return out;
}

/** The bytes encodeBinaryHeader would return for `cmd`, without encoding it. */
export function binaryHeaderLength(cmd: RemotingCommand): number {
  assert(fitsBinaryHeader(cmd), "code and version must fit a short in a binary header");
  extFieldsBytes = 0;
  cmd.extFields?.forEach(addExtFieldBytes);
  return binaryHeaderFixedBytes + (cmd.remark ? utf8Length(cmd.remark) : 0) + extFieldsBytes;
}

// Map.forEach with a module-level callback: a for-of over entries makes an array per entry,
// and this runs for every request and response.
let extFieldsBytes = 0;
function addExtFieldBytes(value: string, key: string): void {
  if (key !== "" && value !== "") extFieldsBytes += 2 + utf8Length(key) + 4 + utf8Length(value);
}

/**
 * Writes the header of `cmd` at `at` in `out` (`view` spans `out` exactly), which has room for
 * binaryHeaderLength(cmd) bytes there; returns the position after it. Names and values are
 * nearly always short ASCII, written without a TextEncoder call each.
 */
export function writeBinaryHeader(
  cmd: RemotingCommand,
  out: Uint8Array,
  view: DataView,
  at: number,
): number {
  view.setInt16(at, cmd.code);
  view.setUint8(at + 2, LanguageCode[cmd.language]);
  view.setInt16(at + 3, cmd.version);
  view.setInt32(at + 5, cmd.opaque);
  view.setInt32(at + 9, cmd.flag);
  const remarkEnd = cmd.remark ? writeUtf8(out, at + 17, cmd.remark) : at + 17;
  view.setInt32(at + 13, remarkEnd - at - 17);
  const mapStart = remarkEnd + 4;
  writingOut = out;
  writingView = view;
  writingPos = mapStart;
  cmd.extFields?.forEach(writeExtField);
  const end = writingPos;
  writingOut = emptyBytes;
  writingView = emptyView;
  view.setInt32(remarkEnd, end - mapStart);
  return end;
}

// Where writeExtField writes (set by writeBinaryHeader around its forEach).
const emptyBytes = new Uint8Array(0);
const emptyView = new DataView(emptyBytes.buffer);
let writingOut: Uint8Array = emptyBytes;
let writingView: DataView = emptyView;
let writingPos = 0;
function writeExtField(value: string, key: string): void {
  if (key === "" || value === "") return;
  const keyEnd = writeUtf8(writingOut, writingPos + 2, key);
  writingView.setInt16(writingPos, keyEnd - writingPos - 2);
  const valueEnd = writeUtf8(writingOut, keyEnd + 4, value);
  writingView.setInt32(keyEnd, valueEnd - keyEnd - 4);
  writingPos = valueEnd;
}

function utf8Length(text: string): number {
  const ascii = asciiLength(text);
  return ascii >= 0 ? ascii : Buffer.byteLength(text, "utf8");
}

/** Writes `text` as UTF-8 at `at`; returns the position after it. */
function writeUtf8(out: Uint8Array, at: number, text: string): number {
  if (asciiLength(text) >= 0) return writeAscii(out, at, text);
  return at + encoder.encodeInto(text, out.subarray(at)).written;
}

/**
 * The command the binary header in bytes[start, end) describes, with no body yet (the frame
 * decoder adds it): one object per request, not a header object and then a copy with a body.
 */
export function decodeBinaryHeader(
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
): RemotingCommand {
  const reader = sharedReader.reset(bytes, start, end);
  const code = reader.int16();
  const languageByte = reader.uint8();
  const language = languageName(languageByte);
  if (language === undefined) throw new ProtocolError(`unknown language byte ${languageByte}`);
  const version = reader.int16();
  const opaque = reader.int32();
  const flag = reader.int32();
  const remark = reader.string(reader.length("remark"));
  const mapLength = reader.length("extFields block");
  const extFields = mapLength === 0 ? null : decodeMap(reader, mapLength);
  if (!reader.atEnd()) throw new ProtocolError("binary header has trailing bytes");
  return {
    code,
    language,
    version,
    opaque,
    flag,
    remark,
    extFields,
    body: null,
    serializeType: SerializeType.ROCKETMQ,
  };
}

/** The extFields block of `length` bytes at the reader's position (it ends just past it). */
function decodeMap(reader: BinaryReader, length: number): SmallMap {
  const headerEnd = reader.narrow(length);
  const fields = new SmallMap();
  while (!reader.atEnd()) {
    if (fields.size >= extFieldCountMax) throw new ProtocolError("too many extFields");
    const key = reader.string(reader.uint16());
    const value = reader.string(reader.length("extFields value"));
    // A repeated name keeps its last value, as a Java HashMap would.
    if (key !== null && value !== null) fields.set(key, value);
  }
  reader.widen(headerEnd);
  return fields;
}

/** Bounds-checked big-endian reads; every overrun is a ProtocolError, never a RangeError. */
// Reads bytes by hand rather than through a DataView: one header is decoded per request and per
// response, and a view is an allocation each. For the same reason there is one reader, reset
// for each header (a decode runs start to end without yielding, so nothing else uses it then).
class BinaryReader {
  private bytes: Uint8Array = new Uint8Array(0);
  private pos = 0;
  /** Reads stop here: the header's end, or the extFields block's while decoding it. */
  private end = 0;

  /** Reads bytes[start, end) from now on. */
  reset(bytes: Uint8Array, start: number, end: number): this {
    assert(0 <= start && start <= end && end <= bytes.length, "a header lies inside its bytes");
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
    return this;
  }

  atEnd(): boolean {
    return this.pos === this.end;
  }

  /** Confines reads to the next `count` bytes (checked); returns what widen() restores. */
  narrow(count: number): number {
    this.need(count, "a block");
    const previous = this.end;
    this.end = this.pos + count;
    return previous;
  }

  widen(end: number): void {
    assert(this.pos === this.end && end >= this.end, "widen after the narrowed block");
    this.end = end;
  }

  private need(count: number, what: string): void {
    if (this.pos + count > this.end) {
      throw new ProtocolError(`binary header truncated reading ${what}`);
    }
  }

  uint8(): number {
    this.need(1, "a byte");
    return this.bytes[this.pos++]!;
  }

  int16(): number {
    this.need(2, "a short");
    const b = this.bytes;
    const value = ((b[this.pos]! << 24) | (b[this.pos + 1]! << 16)) >> 16;
    this.pos += 2;
    return value;
  }

  uint16(): number {
    this.need(2, "a key length");
    const b = this.bytes;
    const value = (b[this.pos]! << 8) | b[this.pos + 1]!;
    this.pos += 2;
    return value;
  }

  int32(): number {
    this.need(4, "an int");
    const b = this.bytes;
    const p = this.pos;
    const value = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
    this.pos += 4;
    return value;
  }

  /** A length prefix: never negative, never past the end of the header. */
  length(what: string): number {
    const value = this.int32();
    if (value < 0) throw new ProtocolError(`negative ${what} length ${value}`);
    this.need(value, what);
    return value;
  }

  slice(count: number): Uint8Array {
    this.need(count, "a block");
    const out = this.bytes.subarray(this.pos, this.pos + count);
    this.pos += count;
    return out;
  }

  string(count: number): string | null {
    if (count === 0) return null;
    this.need(count, "a string");
    const short = shortAscii(this.bytes, this.pos, this.pos + count);
    if (short !== undefined) {
      this.pos += count;
      return short;
    }
    const bytes = this.slice(count);
    try {
      return decoder.decode(bytes);
    } catch {
      throw new ProtocolError("binary header string is not valid UTF-8");
    }
  }
}

const sharedReader = new BinaryReader();
