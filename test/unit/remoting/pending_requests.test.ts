// The pending-request table against a plain Map: the same entries come back for the same
// opaques, whether an entry sits in its slot or spilled over because an older request still held
// the slot (a long poll outliving thousands of later requests).

import { describe, expect, test } from "bun:test";
import { Prng } from "../../../core/common/prng.ts";
import { PendingRequests } from "../../../core/remoting/pending_requests.ts";

interface Entry {
  opaque: number;
  name: string;
}

const entry = (name: string): Entry => ({ opaque: 0, name });

describe("remoting: pending requests", () => {
  test("remoting: pending requests: agrees with a Map under random traffic (seeded)", () => {
    const prng = new Prng(11);
    const table = new PendingRequests<Entry>();
    const model = new Map<number, Entry>();
    let nextOpaque = 1;
    for (let step = 0; step < 60_000; step++) {
      const roll = prng.below(100);
      if (roll < 52) {
        const e = entry(`r${nextOpaque}`);
        table.add(nextOpaque, e);
        model.set(nextOpaque, e);
        nextOpaque++;
      } else if (roll < 97 && model.size > 0) {
        // Mostly the oldest answer first; a few held requests stay for a long time.
        const ids = [...model.keys()];
        const id = prng.chance(0.8) ? ids[0]! : ids[prng.below(ids.length)]!;
        if (id % 97 === 0 && prng.chance(0.9)) continue; // a long poll keeps waiting
        expect(table.take(id)).toBe(model.get(id)!);
        model.delete(id);
      } else {
        const probe = 1 + prng.below(nextOpaque + 10);
        expect(table.get(probe)).toBe(model.get(probe));
        expect(table.take(nextOpaque + 5)).toBeUndefined();
      }
      expect(table.size).toBe(model.size);
    }
    const all = table.takeAll();
    expect(new Set(all)).toEqual(new Set(model.values()));
    expect(table.size).toBe(0);
    for (const id of model.keys()) expect(table.has(id)).toBe(false);
  });

  test("remoting: pending requests: a request still held a whole ring later spills over", () => {
    const table = new PendingRequests<Entry>();
    const held = entry("long poll");
    table.add(1, held);
    // Cycle enough requests through that opaque 1's slot comes round again several times.
    for (let opaque = 2; opaque < 20_000; opaque++) {
      table.add(opaque, entry(`r${opaque}`));
      expect(table.take(opaque)!.opaque).toBe(opaque);
    }
    expect(table.size).toBe(1);
    expect(table.take(1)).toBe(held);
    expect(table.take(1)).toBeUndefined();
    expect(table.size).toBe(0);
  });

  test("remoting: pending requests: an opaque is pending at most once", () => {
    const table = new PendingRequests<Entry>();
    table.add(7, entry("a"));
    expect(() => table.add(7, entry("b"))).toThrow(/at most once/);
  });
});
