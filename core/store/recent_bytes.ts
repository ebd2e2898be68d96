// The newest commit log bytes, kept in memory so reads of what was just written (a consumer
// that keeps up pulls records a few milliseconds old) cost a copy rather than a read syscall.
// RocketMQ serves them from its mmap'd segment; we write with positional writes, so without
// this every pulled record was a readSync of bytes the broker wrote a moment before.
//
// A ring of `capacityBytes`: byte at log offset o lives at o % capacity. It holds the window
// [windowStart, windowEnd) of the log; appends must continue the window, anything else (a
// segment roll skipping the unwritten tail of a segment, a truncation, a replica starting
// somewhere) starts a new, empty window there.

import { assert } from "../common/assert.ts";

export class RecentBytes {
  private ring: Uint8Array | null = null; // allocated on the first write
  private windowStart = 0;
  private windowEnd = 0;

  constructor(readonly capacityBytes: number) {
    assert(capacityBytes > 0, "recent bytes need a capacity");
  }

  /** `bytes` were written at log offset `offset`. */
  wrote(offset: number, bytes: Uint8Array): void {
    if (offset !== this.windowEnd || this.windowStart === this.windowEnd) {
      this.windowStart = this.windowEnd = offset;
    }
    const capacity = this.capacityBytes;
    // Only the last `capacity` bytes of a long write can be kept.
    const kept = bytes.length > capacity ? bytes.subarray(bytes.length - capacity) : bytes;
    const keptOffset = offset + bytes.length - kept.length;
    const ring = (this.ring ??= new Uint8Array(capacity));
    const at = keptOffset % capacity;
    const first = Math.min(kept.length, capacity - at);
    // No view for the common write that does not wrap: appends come per message.
    if (first === kept.length) ring.set(kept, at);
    else {
      ring.set(kept.subarray(0, first), at);
      ring.set(kept.subarray(first), 0);
    }
    this.windowEnd = offset + bytes.length;
    this.windowStart = Math.max(this.windowStart, this.windowEnd - capacity);
  }

  /** Forgets everything at or past `offset` (the log was cut back there). */
  truncate(offset: number): void {
    if (offset < this.windowEnd) this.windowEnd = Math.max(offset, this.windowStart);
  }

  /** Copies [from, from + length) into out at `at`; false (nothing copied) if not all held. */
  readInto(from: number, length: number, out: Uint8Array, at: number): boolean {
    const ring = this.ring;
    if (!ring || !this.holds(from, length)) return false;
    const ringAt = from % this.capacityBytes;
    const first = Math.min(length, this.capacityBytes - ringAt);
    out.set(ring.subarray(ringAt, ringAt + first), at);
    if (first < length) out.set(ring.subarray(0, length - first), at + first);
    return true;
  }

  /** A copy of [from, from + length) if the whole range is held here, else undefined. */
  read(from: number, length: number): Uint8Array | undefined {
    if (!this.holds(from, length)) return undefined;
    const out = new Uint8Array(length);
    this.readInto(from, length, out, 0);
    return out;
  }

  private holds(from: number, length: number): boolean {
    return this.ring !== null && from >= this.windowStart && from + length <= this.windowEnd;
  }
}
