// One buffer lent again and again for bytes its user is done with before it lends them again.
// A pull's body is read into it and copied into the answer's frame in the same turn, so a
// broker need not allocate a body per pull: at low rates a pull is per message, and a 1 KiB
// body was a fresh buffer of memory outside the heap each time (JavaScriptCore counts it
// towards its next collection all the same).

import { assert } from "./assert.ts";

export class ScratchBytes {
  private bytes: Uint8Array;

  constructor(
    initialBytes = 64 * 1024,
    /** Larger takes get a buffer of their own: one big message must not stay pinned. */
    private readonly keptBytesMax = 1024 * 1024,
  ) {
    assert(initialBytes > 0 && initialBytes <= keptBytesMax, "a scratch buffer has room");
    this.bytes = new Uint8Array(initialBytes);
  }

  /**
   * `length` bytes to fill, valid until the next take() from this scratch (whose contents are
   * then overwritten): the caller must be done with them within its own synchronous turn.
   */
  take(length: number): Uint8Array {
    assert(length >= 0, "a length is not negative");
    if (length > this.keptBytesMax) return new Uint8Array(length);
    if (length > this.bytes.length) {
      let size = this.bytes.length;
      while (size < length) size *= 2;
      this.bytes = new Uint8Array(Math.min(size, this.keptBytesMax));
    }
    return this.bytes.subarray(0, length);
  }
}
