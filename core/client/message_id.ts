// Client ids and message ids as RocketMQ's Java client makes them (spec §3.1, §4.3).
//
// UNIQ_KEY: client IPv4 (4 bytes) + pid low 16 bits (2) + a per-process random (4, RocketMQ's
// class-loader hash) + ms since the start of the current month, local time (4) + a counter
// (2) = 16 bytes, upper-case hex. The first 20 hex digits are fixed per process.

import type { Clock } from "../common/clock.ts";
import type { Prng } from "../common/prng.ts";
import { networkInterfaces } from "node:os";

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
  private readonly prefix: string;
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
    this.prefix = Buffer.from(fixed).toString("hex").toUpperCase();
  }

  next(): string {
    const now = new Date(this.clock.nowMs());
    const monthStart = new Date(now.getFullYear(), now.getMonth(), 1).getTime();
    const tail = new Uint8Array(6);
    const view = new DataView(tail.buffer);
    view.setUint32(0, (now.getTime() - monthStart) >>> 0);
    view.setUint16(4, this.counter);
    this.counter = (this.counter + 1) & 0xffff;
    return this.prefix + Buffer.from(tail).toString("hex").toUpperCase();
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
