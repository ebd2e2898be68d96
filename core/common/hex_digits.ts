// Upper-case hex digits written into a byte buffer, for ids spelled in a scratch buffer and
// then made one string (Buffer#toString("latin1")): joining hex pieces with + makes a string
// per piece, and these ids are made for every message.

import { assert } from "./assert.ts";

const digitCodes = Uint8Array.from("0123456789ABCDEF", (digit) => digit.charCodeAt(0));

/** The low `digitCount` hex digits of `value` (unsigned, 32 bits at most) into out[at...]. */
export function writeHexDigits(
  out: Uint8Array,
  at: number,
  value: number,
  digitCount: number,
): void {
  assert(digitCount >= 1 && digitCount <= 8, "a 32-bit value has at most 8 hex digits");
  for (let i = at + digitCount - 1; i >= at; i--) {
    out[i] = digitCodes[value & 0xf]!;
    value >>>= 4;
  }
}
