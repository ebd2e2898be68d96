// shortAscii builds short ASCII strings itself and hands everything else back to TextDecoder.

import { describe, expect, test } from "bun:test";
import { heapStats } from "bun:jsc";
import { Prng } from "../../../core/common/prng.ts";
import {
  asciiLength,
  asciiOrUtf8,
  shortAscii,
  shortAsciiLengthMax,
  writeAscii,
} from "../../../core/common/short_ascii.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

describe("shortAscii", () => {
  test("common: short ascii: decodes ASCII inside a larger buffer", () => {
    const bytes = utf8("xxBenchTopic\u0000 1700000000000yy");
    expect(shortAscii(bytes, 2, 12)).toBe("BenchTopic");
    expect(shortAscii(bytes, 12, 14)).toBe("\u0000 ");
    expect(shortAscii(bytes, 14, 27)).toBe("1700000000000");
    expect(shortAscii(bytes, 3, 3)).toBe("");
  });

  test("common: short ascii: leaves non-ASCII, long and out-of-range text to the caller", () => {
    expect(shortAscii(utf8("Tópico"), 0, 7)).toBeUndefined();
    const long = utf8("a".repeat(shortAsciiLengthMax + 1));
    expect(shortAscii(long, 0, long.length)).toBeUndefined();
    expect(shortAscii(long, 0, shortAsciiLengthMax)).toBe("a".repeat(shortAsciiLengthMax));
    expect(shortAscii(utf8("abc"), 1, 4)).toBeUndefined();
    expect(shortAscii(utf8("abc"), 2, 1)).toBeUndefined();
  });

  test("common: short ascii: asciiLength and writeAscii copy ASCII byte for byte", () => {
    expect(asciiLength("queueOffset")).toBe(11);
    expect(asciiLength("")).toBe(0);
    expect(asciiLength("Tópico")).toBe(-1);
    const out = new Uint8Array(8).fill(0xff);
    expect(writeAscii(out, 2, "a\u0001b")).toBe(5);
    expect([...out]).toEqual([0xff, 0xff, 0x61, 0x01, 0x62, 0xff, 0xff, 0xff]);
  });

  test("common: short ascii: interned strings never stand in for different bytes", () => {
    // Thousands of distinct short strings share 4096 slots: every lookup must still compare.
    const prng = new Prng(11);
    const seen = new Map<string, Uint8Array>();
    for (let i = 0; i < 20_000; i++) {
      const length = 1 + prng.below(12);
      const bytes = Uint8Array.from({ length }, () => 0x21 + prng.below(4));
      const text = shortAscii(bytes, 0, length)!;
      expect(text).toBe(new TextDecoder().decode(bytes));
      seen.set(text, bytes);
    }
    for (const [text, bytes] of seen) expect(shortAscii(bytes, 0, bytes.length)).toBe(text);
  });

  test("common: short ascii: names come from the table, long numbers are made anew", () => {
    // Results are kept, so they stay counted; a collection in between could still free other
    // strings and lower the count, so a round with one (its weak sentinel cleared) runs again.
    const kept: string[] = [];
    const strings = () => heapStats().objectTypeCounts.string ?? 0;
    const decodeTimes = (text: string, times: number): number => {
      const bytes = utf8(text);
      for (let attempt = 0; attempt < 5; attempt++) {
        const sentinel = new WeakRef({});
        const before = strings();
        for (let i = 0; i < times; i++) kept.push(shortAscii(bytes, 0, bytes.length)!);
        const made = strings() - before;
        if (sentinel.deref() !== undefined) return made;
      }
      throw new Error("a collection ran during every round");
    };
    expect(decodeTimes("BenchTopic", 1)).toBeLessThanOrEqual(1);
    expect(decodeTimes("BenchTopic", 1_000)).toBeLessThan(10);
    expect(decodeTimes("7", 1_000)).toBeLessThan(10);
    expect(decodeTimes("1700000000000", 1_000)).toBeGreaterThanOrEqual(1_000);
    expect(decodeTimes("123456", 1_000)).toBeGreaterThanOrEqual(1_000);
    expect(new Set(kept)).toEqual(new Set(["BenchTopic", "7", "1700000000000", "123456"]));
  });

  test("common: short ascii: asciiOrUtf8 decodes any length as TextDecoder would", () => {
    const long =
      "UNIQ_KEY\u00017F0000010B2818B4AAC26F1A2B3C0000\u0002WAIT\u0001true\u0002TAGS\u0001A";
    const cases = ["", "T", long, long + "ü", "Tópico", "a\u0000b"];
    for (const text of cases) {
      const bytes = utf8(`xx${text}yy`);
      expect(asciiOrUtf8(bytes, 2, bytes.length - 2)).toBe(text);
    }
    // Bytes that are not UTF-8 decode with replacement characters, not an error.
    const bad = Uint8Array.of(0x41, 0xff, 0x42);
    expect(asciiOrUtf8(bad, 0, 3)).toBe(new TextDecoder().decode(bad));
  });
});
