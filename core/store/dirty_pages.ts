// Which pages of a table changed since they were last written: one flag per page plus the list
// of flagged pages, so marking an item allocates nothing. (The index marked slots in a Set of
// slot numbers, which grew to a million entries between flushes on the put path.)

export class DirtyPages {
  private readonly flags: Uint8Array;
  private readonly flagged: number[] = [];

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
    return this.flagged.length;
  }

  /** Flagged pages in the order they were first marked. */
  pages(): readonly number[] {
    return this.flagged;
  }

  clear(): void {
    for (const page of this.flagged) this.flags[page] = 0;
    this.flagged.length = 0;
  }
}
