// A small map of strings to strings in insertion order, behind Map's interface, kept in two
// arrays: a command's extFields (the order a decode found and an encode writes) and a
// message's properties.
//
// Why not a Map: every request and every response carries one, built on one side and decoded
// on the other, and a broker parses every message's properties; a JSC Map is heavy for a dozen
// entries. Bytes allocated per construction (RSS growth with BUN_JSC_useGC=0, 200,000 of each):
// a Map of 5 or 13 string entries ~1,180, this class with 13 ~410. A send's round trip built
// four of them on the client and the broker.
//
// Lookups scan the names: a header holds a dozen, most of them interned by the decoder (equal
// strings are then one pointer compare), and decoders cap them at extFieldCountMax.

export class SmallMap implements Map<string, string> {
  private readonly names: string[] = [];
  private readonly texts: string[] = [];

  /** Fields from a plain object or pairs, in their order; undefined values are left out. */
  static of(
    fields: Record<string, string | number | boolean | undefined> | Iterable<[string, string]>,
  ): SmallMap {
    const out = new SmallMap();
    if (Symbol.iterator in fields) {
      for (const [name, text] of fields as Iterable<[string, string]>) out.set(name, text);
      return out;
    }
    for (const name in fields) {
      const value = (fields as Record<string, unknown>)[name];
      if (value !== undefined) out.set(name, String(value));
    }
    return out;
  }

  get size(): number {
    return this.names.length;
  }

  get(name: string): string | undefined {
    const at = this.names.indexOf(name);
    return at < 0 ? undefined : this.texts[at];
  }

  has(name: string): boolean {
    return this.names.indexOf(name) >= 0;
  }

  set(name: string, text: string): this {
    const at = this.names.indexOf(name);
    if (at >= 0) {
      this.texts[at] = text;
    } else {
      this.names.push(name);
      this.texts.push(text);
    }
    return this;
  }

  /**
   * Appends a field the caller knows is not present yet (a decoder that checked, an encoder
   * writing distinct names): no scan.
   */
  append(name: string, text: string): void {
    this.names.push(name);
    this.texts.push(text);
  }

  getOrInsert(name: string, text: string): string {
    const found = this.get(name);
    if (found !== undefined) return found;
    this.append(name, text);
    return text;
  }

  getOrInsertComputed(name: string, compute: (key: string) => string): string {
    const found = this.get(name);
    if (found !== undefined) return found;
    const text = compute(name);
    this.append(name, text);
    return text;
  }

  delete(name: string): boolean {
    const at = this.names.indexOf(name);
    if (at < 0) return false;
    this.names.splice(at, 1);
    this.texts.splice(at, 1);
    return true;
  }

  clear(): void {
    this.names.length = 0;
    this.texts.length = 0;
  }

  forEach(
    callback: (value: string, key: string, map: Map<string, string>) => void,
    thisArg?: unknown,
  ): void {
    const names = this.names;
    const texts = this.texts;
    for (let i = 0; i < names.length; i++) callback.call(thisArg, texts[i]!, names[i]!, this);
  }

  entries(): MapIterator<[string, string]> {
    return this.pairs() as MapIterator<[string, string]>;
  }

  keys(): MapIterator<string> {
    return this.names.slice().values() as MapIterator<string>;
  }

  values(): MapIterator<string> {
    return this.texts.slice().values() as MapIterator<string>;
  }

  [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return "SmallMap";
  }

  private *pairs(): Generator<[string, string]> {
    for (let i = 0; i < this.names.length; i++) yield [this.names[i]!, this.texts[i]!];
  }
}
