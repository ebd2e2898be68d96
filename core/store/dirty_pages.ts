// Which pages of a table changed since they were last written: one flag per page plus the list
// of flagged pages, so marking an item allocates nothing. (The index marked slots in a Set of
// slot numbers, which grew to a million entries between flushes on the put path.)

export class DirtyPages {
  private readonly flags: Uint8Array;
  /** Flagged pages from `head` on, oldest first (pages before `head` were taken). */
  private readonly flagged: number[] = [];
  private head = 0;

  constructor(
    itemCount: number,
    readonly itemsPerPage: number,
  ) {
    this.flags = new Uint8Array(Math.ceil(itemCount / itemsPerPage));
  }

  mark(item: number): void {
    const page = Math.floor(item / this.itemsPerPage);
    if (this.flags[page] === 0) {
      this.flags[page] = 1;
      this.flagged.push(page);
    }
  }

  get size(): number {
    return this.flagged.length - this.head;
  }

  /** Unflags and returns up to `countMax` pages, those flagged longest first. */
  take(countMax: number): number[] {
    const end = Math.min(this.flagged.length, this.head + countMax);
    const taken = this.flagged.slice(this.head, end);
    for (const page of taken) this.flags[page] = 0;
    this.head = end;
    if (this.head === this.flagged.length) {
      this.flagged.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.flagged.length) {
      this.flagged.splice(0, this.head); // keep the taken prefix from growing without bound
      this.head = 0;
    }
    return taken;
  }

  clear(): void {
    this.take(Infinity);
  }
}
