// SmallMap behaves as a Map of strings in insertion order: the same answers as a Map for the
// same operations (seeded), and what JSON writing and spreading see.

import { describe, expect, test } from "bun:test";
import { Prng } from "../../../core/common/prng.ts";
import { SmallMap } from "../../../core/common/small_map.ts";
import { writeJson } from "../../../core/protocol/fastjson.ts";

describe("common: small map", () => {
  test("common: small map: agrees with a Map under random operations (seeded)", () => {
    const prng = new Prng(5);
    const fields = new SmallMap();
    const model = new Map<string, string>();
    const names = ["topic", "queueId", "a", "b", "msgId", "queueOffset", "x"];
    for (let step = 0; step < 5_000; step++) {
      const name = names[prng.below(names.length)]!;
      const roll = prng.below(10);
      if (roll < 5) {
        const text = String(prng.below(100));
        fields.set(name, text);
        model.set(name, text);
      } else if (roll < 7) {
        expect(fields.delete(name)).toBe(model.delete(name));
      } else if (roll < 8 && prng.chance(0.05)) {
        fields.clear();
        model.clear();
      } else {
        expect(fields.get(name)).toBe(model.get(name));
        expect(fields.has(name)).toBe(model.has(name));
      }
      expect(fields.size).toBe(model.size);
    }
    expect([...fields]).toEqual([...model]);
    expect([...fields.keys()]).toEqual([...model.keys()]);
    expect([...fields.values()]).toEqual([...model.values()]);
    const seen: [string, string][] = [];
    fields.forEach((value, key) => seen.push([key, value]));
    expect(seen).toEqual([...model]);
  });

  test("common: small map: built from an object in its order, undefined values left out", () => {
    const fields = SmallMap.of({ topic: "T", queueId: 3, unitMode: false, skipped: undefined });
    expect([...fields]).toEqual([
      ["topic", "T"],
      ["queueId", "3"],
      ["unitMode", "false"],
    ]);
    expect(fields.getOrInsert("topic", "other")).toBe("T");
    expect(fields.getOrInsertComputed("batch", () => "true")).toBe("true");
    expect(fields.get("batch")).toBe("true");
    expect(new Map(fields)).toEqual(new Map([...fields]));
  });

  test("common: small map: JSON writes them as an object, as it writes a Map", () => {
    const fields = SmallMap.of({ b: "2", a: "1" });
    const options = { quoteNumericKeys: true };
    expect(writeJson(fields, options)).toBe('{"b":"2","a":"1"}');
    expect(writeJson(fields, options)).toBe(writeJson(new Map([...fields]), options));
  });
});
