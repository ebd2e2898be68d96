// parseMessageProperties against RocketMQ's rule written the plain way: split on \u0002, cut
// each segment at its first \u0001, skip empty names and values, a repeated name keeps its
// last value in its first place. Random strings of names, values and both separators (seeded).

import { describe, expect, test } from "bun:test";
import { parseMessageProperties } from "../../../core/common/message.ts";
import { Prng } from "../../../core/common/prng.ts";

function byTheRule(text: string): [string, string][] {
  const out = new Map<string, string>();
  for (const segment of text.split("\u0002")) {
    const cut = segment.indexOf("\u0001");
    if (cut <= 0 || cut === segment.length - 1) continue;
    out.set(segment.slice(0, cut), segment.slice(cut + 1));
  }
  return [...out];
}

describe("common: message properties", () => {
  test("common: message properties: parse follows RocketMQ's rule (seeded)", () => {
    const prng = new Prng(17);
    const alphabet = ["a", "b", "K", "\u0001", "\u0002", "ü"];
    for (let i = 0; i < 20_000; i++) {
      const length = prng.below(14);
      let text = "";
      for (let j = 0; j < length; j++) text += alphabet[prng.below(alphabet.length)];
      expect([...parseMessageProperties(text)]).toEqual(byTheRule(text));
    }
    const sent = "UNIQ_KEY\u00017F00\u0002WAIT\u0001true\u0002TAGS\u0001A\u0002TAGS\u0001B\u0002";
    expect([...parseMessageProperties(sent)]).toEqual([
      ["UNIQ_KEY", "7F00"],
      ["WAIT", "true"],
      ["TAGS", "B"],
    ]);
  });
});
