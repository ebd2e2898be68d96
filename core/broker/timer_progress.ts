// Which timer messages were delivered (config/timerProgress.json, rmq's own file: RocketMQ 5
// keeps its timer wheel in timerwheel/timerlog, a format the spec leaves out). Timer messages
// wait in one queue in arrival order but come due in any order, so a cursor is not enough:
// `doneBelow` is the queue offset below which everything was delivered, and a bitmap marks the
// deliveries at or above it. Memory and file size are one bit per message since doneBelow.

import { CorruptionError } from "../common/errors.ts";
import type { ConfigFileCodec } from "./config_files.ts";

export class DeliveredSet {
  constructor(
    /** Every queue offset below this was delivered. */
    public doneBelow = 0,
    /** Bit i: offset doneBelow + i was delivered. */
    private bits: Uint8Array = new Uint8Array(0),
  ) {}

  has(offset: number): boolean {
    if (offset < this.doneBelow) return true;
    const i = offset - this.doneBelow;
    return ((this.bits[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
  }

  add(offset: number): void {
    if (offset < this.doneBelow) return;
    const i = offset - this.doneBelow;
    if (i >> 3 >= this.bits.length) {
      const grown = new Uint8Array(Math.max(64, (i >> 3) + 1, this.bits.length * 2));
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[i >> 3]! |= 1 << (i & 7);
    this.advance();
  }

  /** Everything below `offset` is done (the queue starts there now: older units are gone). */
  skipBelow(offset: number): void {
    if (offset <= this.doneBelow) return;
    const droppedBits = offset - this.doneBelow;
    const keep = new Uint8Array(Math.max(0, this.bits.length - (droppedBits >> 3)));
    // Shift the bitmap by whole bytes, then mark the few bits the byte shift left unmarked.
    keep.set(this.bits.subarray(droppedBits >> 3, (droppedBits >> 3) + keep.length));
    const base = this.doneBelow + (droppedBits & ~7);
    this.bits = keep;
    this.doneBelow = base;
    for (let o = base; o < offset; o++) this.add(o);
  }

  /** Moves doneBelow over whole delivered bytes at the front, dropping their bits. */
  private advance(): void {
    let fullBytes = 0;
    while (fullBytes < this.bits.length && this.bits[fullBytes] === 0xff) fullBytes++;
    if (fullBytes === 0) return;
    this.bits = this.bits.slice(fullBytes);
    this.doneBelow += fullBytes * 8;
  }

  /** The bitmap bytes that hold any mark (for persisting). */
  usedBits(): Uint8Array {
    let end = this.bits.length;
    while (end > 0 && this.bits[end - 1] === 0) end--;
    return this.bits.subarray(0, end);
  }
}

export const timerProgressJson: ConfigFileCodec<DeliveredSet> = {
  fileName: "timerProgress.json",
  empty: () => new DeliveredSet(),
  decode(text: string): DeliveredSet {
    let root: unknown;
    try {
      root = JSON.parse(text);
    } catch (error) {
      throw new CorruptionError(`timerProgress.json: not JSON: ${(error as Error).message}`);
    }
    const o = root as { doneBelow?: unknown; delivered?: unknown };
    if (
      typeof o !== "object" ||
      o === null ||
      !Number.isSafeInteger(o.doneBelow) ||
      (o.doneBelow as number) < 0 ||
      typeof o.delivered !== "string"
    ) {
      throw new CorruptionError("timerProgress.json: expected {doneBelow, delivered}");
    }
    const bits = Uint8Array.from(Buffer.from(o.delivered, "base64"));
    return new DeliveredSet(o.doneBelow as number, bits);
  },
  encode(value: DeliveredSet): string {
    const delivered = Buffer.from(value.usedBits()).toString("base64");
    return JSON.stringify({ doneBelow: value.doneBelow, delivered }) + "\n";
  },
};
