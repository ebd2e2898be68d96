// Decoding of short ASCII strings without TextDecoder. A request header carries a dozen short
// names and numbers ("b", "BenchTopic", "1700000000000"); TextDecoder costs a view and a native
// call each. Most of them repeat from one request to the next (every name, the group, the
// topic, "0", "false"), so decoded strings are interned in a small table keyed by a hash of the
// bytes: a repeat costs one scan and one compare, and allocates nothing. Longer or non-ASCII
// text returns undefined and the caller decodes it as UTF-8.
//
// Numbers of more than a few digits are not interned: offsets and timestamps are new in every
// request, so each would take a slot from an older one. The table is old by the collector's
// reckoning, so what it holds outlives the next young collection, and a string it then drops
// is garbage only a full collection frees. Interned, the pulls' offsets alone came to one such
// string per pull (an in-process broker, a young collection forced every 100 pulls).

/** Strings up to this length are built here; longer ones are left to TextDecoder. */
export const shortAsciiLengthMax = 48;
/** Only strings this short are interned (longer ones are ids and rarely repeat). */
const internedLengthMax = 24;
/** Digit strings longer than this are not interned (queue ids and flags repeat, offsets do not). */
const internedDigitsMax = 3;
const internSlotCount = 4096;
const interned: (string | undefined)[] = new Array(internSlotCount).fill(undefined);

// Latin-1 of ASCII bytes is the string itself; Buffer's slice is native and works on any
// Uint8Array (it respects byteOffset).
const latin1Slice = (
  Buffer.prototype as unknown as {
    latin1Slice(this: Uint8Array, start: number, end: number): string;
  }
).latin1Slice;

/** bytes[start, end) as a string when it is ASCII and short, else undefined. */
export function shortAscii(bytes: Uint8Array, start: number, end: number): string | undefined {
  const length = end - start;
  if (length > shortAsciiLengthMax || length < 0 || end > bytes.length) return undefined;
  let hash = length;
  let digits = true;
  for (let i = start; i < end; i++) {
    const code = bytes[i]!;
    if (code >= 0x80) return undefined;
    hash = (Math.imul(hash, 31) + code) | 0;
    if (code < 0x30 || code > 0x39) digits = false;
  }
  if (length > internedLengthMax || (digits && length > internedDigitsMax)) {
    return latin1Slice.call(bytes, start, end);
  }
  const slot = (hash ^ (hash >>> 12)) & (internSlotCount - 1);
  const cached = interned[slot];
  if (cached !== undefined && cached.length === length && sameAscii(cached, bytes, start)) {
    return cached;
  }
  const text = latin1Slice.call(bytes, start, end);
  interned[slot] = text;
  return text;
}

/**
 * bytes[start, end) as text: built directly when it is ASCII (any length), else decoded as
 * UTF-8 with replacement characters. No view of the bytes is made for ASCII text.
 */
export function asciiOrUtf8(bytes: Uint8Array, start: number, end: number): string {
  const short = shortAscii(bytes, start, end);
  if (short !== undefined) return short;
  for (let i = start; i < end; i++) {
    if (bytes[i]! >= 0x80) return lenientUtf8.decode(bytes.subarray(start, end));
  }
  return latin1Slice.call(bytes, start, end);
}

const lenientUtf8 = new TextDecoder("utf-8");

function sameAscii(text: string, bytes: Uint8Array, start: number): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}

/** The length of `text` when it is all ASCII (one byte a character in UTF-8), else -1. */
export function asciiLength(text: string): number {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return -1;
  return text.length;
}

/** Writes ASCII `text` (asciiLength(text) >= 0) at `at`; returns the position after it. */
export function writeAscii(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  return at + text.length;
}
