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

/** Slots per 4 KiB page: a lazy table reads a file's slots a page at a time, writes go by page. */
export const slotsPerPage = 1024;

/** Reads the file's bytes of slots [first, first + count); fewer at the end of the file. */
export type SlotReader = (first: number, count: number) => Uint8Array;

export class SlotTable {
  /** The slots as the host reads int32s: each holds its value's big-endian bytes. */
  private readonly words: Int32Array;
  /** Lazy tables: 1 for each page already read from the file. */
  private readonly pageLoaded: Uint8Array | null = null;

  constructor(
    readonly length: number,
    private readonly reader?: SlotReader,
  ) {
    this.words = new Int32Array(length);
    if (reader) this.pageLoaded = new Uint8Array(Math.ceil(length / slotsPerPage));
  }

  /**
   * A table of a file's slots that reads each 4 KiB page when first used: reading a 20 MB
   * table whole stalled the first put after a restart for 130 ms.
   */
  static lazy(length: number, reader: SlotReader): SlotTable {
    return new SlotTable(length, reader);
  }

  get(slot: number): number {
    if (this.pageLoaded !== null) this.loadPage(slot);
    const word = this.words[slot]!;
    return hostIsLittleEndian ? swapped(word) : word;
  }

  set(slot: number, value: number): void {
    if (this.pageLoaded !== null) this.loadPage(slot);
    this.words[slot] = hostIsLittleEndian ? swapped(value) : value;
  }

  /** Slots [first, first + count) as the bytes the file holds for them (a view, not a copy). */
  bytesOf(first: number, count: number): Uint8Array {
    if (this.pageLoaded !== null) {
      for (let slot = first; slot < first + count; slot += slotsPerPage) this.loadPage(slot);
      if (count > 0) this.loadPage(first + count - 1);
    }
    return new Uint8Array(this.words.buffer, first * 4, count * 4);
  }

  private loadPage(slot: number): void {
    const page = Math.floor(slot / slotsPerPage);
    if (this.pageLoaded![page] === 1) return;
    const first = page * slotsPerPage;
    const count = Math.min(slotsPerPage, this.length - first);
    this.fill(first, this.reader!(first, count), count);
    this.pageLoaded![page] = 1;
  }

  /** Copies file bytes of up to `count` slots from `first` (shorter input leaves zeros). */
  private fill(first: number, bytes: Uint8Array, count: number): void {
    const usable = Math.min(bytes.length - (bytes.length % 4), count * 4);
    new Uint8Array(this.words.buffer, first * 4, usable).set(bytes.subarray(0, usable));
  }
}
