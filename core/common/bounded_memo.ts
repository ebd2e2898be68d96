// A pure function's results kept for keys that repeat (topic names, property names, hosts):
// each is worked out once. The table is bounded: when full it is emptied and refills with the
// keys still in use, so hostile or ever-new keys cost memory up to the bound, never more.

export class BoundedMemo<K, V> {
  private readonly values = new Map<K, V>();

  constructor(
    private readonly countMax: number,
    /** Must depend on the key alone (a cached value is returned for it later). */
    private readonly compute: (key: K) => V,
  ) {}

  get(key: K): V {
    let value = this.values.get(key);
    if (value === undefined) {
      value = this.compute(key);
      if (this.values.size >= this.countMax) this.values.clear();
      this.values.set(key, value);
    }
    return value;
  }
}
