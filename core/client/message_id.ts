// Client ids and message ids as RocketMQ's Java client makes them (spec §3.1, §4.3).
//
// UNIQ_KEY: client IPv4 (4 bytes) + pid low 16 bits (2) + a per-process random (4, RocketMQ's
// class-loader hash) + ms since the start of the current month, local time (4) + a counter
// (2) = 16 bytes, upper-case hex. The first 20 hex digits are fixed per process.

import type { Clock } from "../common/clock.ts";
import type { Prng } from "../common/prng.ts";
import { networkInterfaces } from "node:os";
import { writeHexDigits } from "../common/hex_digits.ts";

export function localIpv4(): Uint8Array {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.family === "IPv4" && !entry.internal)
        return Uint8Array.from(entry.address.split(".").map(Number));
    }
  }
  return Uint8Array.of(127, 0, 0, 1);
}

export class UniqueIdGenerator {
  /** The id spelled out: the fixed 20 digits once, the rest per id (then one string). */
  private readonly spelled = Buffer.alloc(32);
  private counter = 0;

  constructor(
    private readonly clock: Clock,
    prng: Prng,
  ) {
    const fixed = new Uint8Array(10);
    fixed.set(localIpv4(), 0);
    const view = new DataView(fixed.buffer);
    view.setUint16(4, process.pid & 0xffff);
    view.setUint32(6, prng.nextUint32());
    this.spelled.write(Buffer.from(fixed).toString("hex").toUpperCase(), 0, "latin1");
  }

  next(): string {
    const nowMs = this.clock.nowMs();
    if (nowMs < this.monthStartMs || nowMs >= this.nextMonthStartMs) this.findMonth(nowMs);
    const sinceMonthStartMs = (nowMs - this.monthStartMs) >>> 0;
    const counter = this.counter;
    this.counter = (this.counter + 1) & 0xffff;
    writeHexDigits(this.spelled, 20, sinceMonthStartMs, 8);
    writeHexDigits(this.spelled, 28, counter, 4);
    return this.spelled.toString("latin1", 0, 32);
  }

  // Two Dates per id cost more than the rest of it: the month is looked up once a month.
  private monthStartMs = 0;
  private nextMonthStartMs = 0;

  private findMonth(nowMs: number): void {
    const now = new Date(nowMs);
    this.monthStartMs = new Date(now.getFullYear(), now.getMonth(), 1).getTime();
    this.nextMonthStartMs = new Date(now.getFullYear(), now.getMonth() + 1, 1).getTime();
  }
}

let instancesMade = 0;

/**
 * The default seed of a client instance: the clock's milliseconds plus a count of instances made
 * in this process, so instances made in the same millisecond still get different client ids and
 * UNIQ_KEY prefixes (two consumers of a group with one id would own the same queues).
 */
export function instanceSeed(clock: Clock): number {
  instancesMade++;
  return (clock.nowMs() % 2 ** 31) + instancesMade;
}

/** `<ip>@<pid>#<random>`: unique per client instance, as the Java client builds it. */
export function buildClientId(prng: Prng): string {
  return `${localIpv4().join(".")}@${process.pid}#${prng.nextUint32()}`;
}
