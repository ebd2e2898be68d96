// Seeded pseudo-random numbers (STYLE rule 8): tests and simulations replay exactly from a seed.
// The generator is SplitMix32-style mulberry32: small, fast, good enough for fuzzing and choices.

import { assert } from "./assert.ts";

export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    assert(Number.isInteger(seed), "seed must be an integer");
    this.state = seed >>> 0;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [0, bound). */
  below(bound: number): number {
    assert(Number.isInteger(bound) && bound > 0 && bound <= 2 ** 32, "bound out of range");
    return Math.floor((this.nextUint32() / 2 ** 32) * bound);
  }

  /** Uniform integer in [min, max]. */
  between(min: number, max: number): number {
    assert(max >= min, "empty range");
    return min + this.below(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.nextUint32() / 2 ** 32 < probability;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.nextUint32() & 0xff;
    return out;
  }
}

/** A seed for a new random run: from RMQ_SEED when set, else fresh entropy. */
export function seedFromEnv(env: Record<string, string | undefined> = process.env): number {
  const raw = env.RMQ_SEED;
  if (raw !== undefined && raw !== "") {
    const seed = Number(raw);
    assert(Number.isInteger(seed), `RMQ_SEED must be an integer, got ${raw}`);
    return seed;
  }
  return Math.floor(Math.random() * 2 ** 32);
}
