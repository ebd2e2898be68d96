// An index file's hash slot table held in memory in its on-disk byte order (big-endian int32s,
// spec §5.4), so a changed page is written as a view of the table: no conversion per slot.
// Dispatch changes one slot per indexed key; a flush may write nearly every page of a table of
// millions of slots, and converting each slot there cost more than the writes.

const hostIsLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A 32-bit value with its bytes reversed (big-endian <-> little-endian). */
function swapped(value: number): number {
  return (
    ((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | (value >>> 24)
  );
}

export class SlotTable {
  /** The slots as the host reads int32s: each holds its value's big-endian bytes. */
  private readonly words: Int32Array;

  constructor(readonly length: number) {
    this.words = new Int32Array(length);
  }

  /** A table from the slot bytes of a file (shorter input leaves the rest 0). */
  static fromBytes(bytes: Uint8Array, length: number): SlotTable {
    const table = new SlotTable(length);
    const usable = Math.min(bytes.length - (bytes.length % 4), length * 4);
    new Uint8Array(table.words.buffer).set(bytes.subarray(0, usable));
    return table;
  }

  get(slot: number): number {
    const word = this.words[slot]!;
    return hostIsLittleEndian ? swapped(word) : word;
  }

  set(slot: number, value: number): void {
    this.words[slot] = hostIsLittleEndian ? swapped(value) : value;
  }

  /** Slots [first, first + count) as the bytes the file holds for them (a view, not a copy). */
  bytesOf(first: number, count: number): Uint8Array {
    return new Uint8Array(this.words.buffer, first * 4, count * 4);
  }
}
