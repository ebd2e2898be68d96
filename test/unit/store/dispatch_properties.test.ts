// The one-pass property scan dispatch uses must agree with findMessageProperty on every input.

import { describe, expect, test } from "bun:test";
import { javaStringHashCode } from "../../../core/common/checksum.ts";
import { createOffsetMessageId, findMessageProperty } from "../../../core/common/message.ts";
import { DispatchProperties } from "../../../core/store/dispatch_properties.ts";

const p = (...pairs: [string, string][]) => pairs.map(([k, v]) => `${k}\u0001${v}\u0002`).join("");

const cases: string[] = [
  "",
  p(["TAGS", "TagA"], ["UNIQ_KEY", "AB"], ["KEYS", "k1 k2"]),
  p(["TAGS", ""], ["TAGS", "second"]), // an empty value does not count: the next one wins
  p(["KEYS", "first"], ["KEYS", "second"]), // the first wins
  p(["XTAGS", "no"], ["TAGSX", "no"], ["TAG", "no"]), // names that merely contain ours
  "TAGS\u0001tail-without-separator",
  "\u0001TAGS\u0002TAGS\u0001ok\u0002", // a segment with an empty name
  "TAGS\u0002KEYS\u0001k\u0002", // a segment without a value separator
  p(["a", "TAGS\u0001inside"]).replace("\u0002", "") + "\u0002",
  p(["UNIQ_KEY", "7F00"], ["WAIT", "true"], ["DELAY", "3"]),
  p(["TAGS", "标签-ü"]), // hashed over UTF-16 code units, as Java does
];

describe("store: dispatch properties", () => {
  test("store: dispatch properties: one pass finds what findMessageProperty finds", () => {
    const scan = new DispatchProperties();
    for (const text of cases) {
      scan.scan(text);
      for (const name of ["TAGS", "KEYS", "UNIQ_KEY", "WAIT", "DELAY", "a"]) {
        expect([text, name, scan.reader(name)]).toEqual([
          text,
          name,
          findMessageProperty(text, name),
        ]);
      }
      const tags = findMessageProperty(text, "TAGS");
      expect(scan.tags).toBe(tags);
      // Hashed where it lies in the text: the same as hashing the slice (0 without TAGS).
      expect(scan.tagsHash).toBe(tags === undefined ? 0 : javaStringHashCode(tags));
      expect(scan.keys).toBe(findMessageProperty(text, "KEYS"));
      expect(scan.uniqKey).toBe(findMessageProperty(text, "UNIQ_KEY"));
    }
  });

  test("store: dispatch properties: offset ids spell both halves of the offset", () => {
    const host = { ip: Uint8Array.of(10, 218, 145, 166), port: 10700 };
    expect(createOffsetMessageId(host, 0)).toBe("0ADA91A6000029CC0000000000000000");
    expect(createOffsetMessageId(host, 0xffff_ffff)).toBe("0ADA91A6000029CC00000000FFFFFFFF");
    expect(createOffsetMessageId(host, Number.MAX_SAFE_INTEGER)).toBe(
      "0ADA91A6000029CC001FFFFFFFFFFFFF",
    );
  });
});
