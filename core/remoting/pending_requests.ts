// A channel's requests awaiting answers, by opaque. Opaques are handed out in sequence, so a
// ring of slots indexed by the opaque's low bits holds them with no hashing and no table churn;
// a request still waiting when its slot comes round again (a long poll outlived `slotCount`
// later requests) goes to an overflow Map instead.
//
// Why not a Map alone: one set and one delete per request kept a JSC Map's storage changing
// under the collector, and the client's full collections followed it. Measured with W3 at
// 15,000 msgs/s (1 KiB, 5 s, BUN_JSC_logGC=1): 17-20 full and 74-83 eden collections in the
// client, 250-270 ms of pauses; with slots 0-1 full and 52-68 eden, 105-115 ms.

import { assert } from "../common/assert.ts";

export interface Pending {
  /** The request's opaque (set by the table). */
  opaque: number;
}

/** Slots in the ring: more than the sends a producer keeps in flight (W1 keeps 1,024). */
const slotCount = 4096;
const slotMask = slotCount - 1;

export class PendingRequests<T extends Pending> {
  private readonly slots: (T | undefined)[] = new Array<T | undefined>(slotCount).fill(undefined);
  private readonly overflow = new Map<number, T>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds `entry` under `opaque`, which must not be pending already. */
  add(opaque: number, entry: T): void {
    assert(!this.has(opaque), "an opaque is pending at most once");
    entry.opaque = opaque;
    const at = opaque & slotMask;
    if (this.slots[at] === undefined) this.slots[at] = entry;
    else this.overflow.set(opaque, entry);
    this.count++;
  }

  has(opaque: number): boolean {
    return this.get(opaque) !== undefined;
  }

  get(opaque: number): T | undefined {
    const entry = this.slots[opaque & slotMask];
    if (entry !== undefined && entry.opaque === opaque) return entry;
    return this.overflow.size > 0 ? this.overflow.get(opaque) : undefined;
  }

  /** Removes and returns the entry of `opaque`, or undefined when it is not pending. */
  take(opaque: number): T | undefined {
    const at = opaque & slotMask;
    const entry = this.slots[at];
    if (entry !== undefined && entry.opaque === opaque) {
      this.slots[at] = undefined;
      this.count--;
      return entry;
    }
    if (this.overflow.size === 0) return undefined;
    const spilled = this.overflow.get(opaque);
    if (spilled === undefined) return undefined;
    this.overflow.delete(opaque);
    this.count--;
    return spilled;
  }

  /** Removes every entry and returns them. */
  takeAll(): T[] {
    const all: T[] = [];
    for (let at = 0; at < slotCount; at++) {
      const entry = this.slots[at];
      if (entry !== undefined) all.push(entry);
    }
    for (const entry of this.overflow.values()) all.push(entry);
    this.slots.fill(undefined);
    this.overflow.clear();
    this.count = 0;
    return all;
  }
}
