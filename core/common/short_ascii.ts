// Decoding of short ASCII strings without TextDecoder. A request header carries a dozen short
// names and numbers ("b", "BenchTopic", "1700000000000"); TextDecoder costs a view and a native
// call each, about 3x the time of building such a string here (measured with Bun 1.4). Longer
// or non-ASCII text returns undefined and the caller decodes it as UTF-8.

/** Strings up to this length are built here; longer ones are left to TextDecoder. */
export const shortAsciiLengthMax = 24;

const oneCharStrings: string[] = Array.from({ length: 128 }, (_, code) =>
  String.fromCharCode(code),
);

/** bytes[start, end) as a string when it is ASCII and short, else undefined. */
export function shortAscii(bytes: Uint8Array, start: number, end: number): string | undefined {
  const length = end - start;
  if (length > shortAsciiLengthMax || length < 0 || end > bytes.length) return undefined;
  let text = "";
  for (let i = start; i < end; i++) {
    const code = bytes[i]!;
    if (code >= 0x80) return undefined;
    text += oneCharStrings[code]!;
  }
  return text;
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
