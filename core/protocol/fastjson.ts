// JSON as RocketMQ's Java side (fastjson) writes and reads it (spec §1.9).
//
// Reading: standard JSON plus fastjson's liberties: bare numeric or identifier object keys
// (`{0:"a"}`), single-quoted strings, and JSON objects used as map keys
// (`{{"brokerName":"b","queueId":0,"topic":"T"}:5}`). An object key comes back as the canonical
// JSON text of that object, so callers can parse it again. Nesting depth and input are bounded.
//
// Writing: `writeJson` emits values in the order callers build them; `Map` instances with numeric
// keys are written with bare keys unless `quoteNumericKeys` is set (fastjson's default vs
// BrowserCompatible). Strings are escaped as JSON.stringify does, which matches fastjson for
// control characters (\u0001, \u0002 in properties).

import { ProtocolError } from "../common/errors.ts";
import { SmallMap } from "../common/small_map.ts";

export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const depthMax = 64;

export function parseLenientJson(text: string): JsonValue {
  // The common case is standard JSON; the native parser is much faster.
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    const parser = new LenientParser(text);
    const value = parser.value(0);
    parser.skipSpace();
    if (!parser.atEnd()) parser.fail("trailing characters");
    return value;
  }
}

class LenientParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  fail(what: string): never {
    throw new ProtocolError(`bad JSON at ${this.pos}: ${what}`);
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  value(depth: number): JsonValue {
    if (depth > depthMax) this.fail("nesting too deep");
    this.skipSpace();
    const ch = this.text[this.pos];
    if (ch === "{") return this.object(depth);
    if (ch === "[") return this.array(depth);
    if (ch === '"' || ch === "'") return this.string();
    if (ch === "-" || (ch !== undefined && ch >= "0" && ch <= "9")) return this.number();
    for (const [word, value] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    return this.fail(ch === undefined ? "unexpected end" : `unexpected ${JSON.stringify(ch)}`);
  }

  private object(depth: number): JsonValue {
    this.pos++; // {
    const out: Record<string, JsonValue> = {};
    this.skipSpace();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return out;
    }
    for (;;) {
      const key = this.key(depth);
      this.skipSpace();
      if (this.text[this.pos] !== ":") this.fail("expected ':'");
      this.pos++;
      out[key] = this.value(depth + 1);
      this.skipSpace();
      const sep = this.text[this.pos++];
      if (sep === "}") return out;
      if (sep !== ",") this.fail("expected ',' or '}'");
    }
  }

  private key(depth: number): string {
    this.skipSpace();
    const ch = this.text[this.pos];
    if (ch === '"' || ch === "'") return this.string();
    if (ch === "{" || ch === "[") return JSON.stringify(this.value(depth + 1));
    const match = /^[A-Za-z0-9_$.\-]+/.exec(this.text.slice(this.pos, this.pos + 256));
    if (!match) this.fail("expected a key");
    this.pos += match[0].length;
    return match[0];
  }

  private array(depth: number): JsonValue {
    this.pos++; // [
    const out: JsonValue[] = [];
    this.skipSpace();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.skipSpace();
      const sep = this.text[this.pos++];
      if (sep === "]") return out;
      if (sep !== ",") this.fail("expected ',' or ']'");
    }
  }

  private string(): string {
    const quote = this.text[this.pos++];
    let out = "";
    for (;;) {
      if (this.atEnd()) this.fail("unterminated string");
      const ch = this.text[this.pos++]!;
      if (ch === quote) return out;
      if (ch !== "\\") {
        out += ch;
        continue;
      }
      const esc = this.text[this.pos++];
      if (esc === "u") {
        const hex = this.text.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("bad \\u escape");
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 4;
      } else {
        const simple: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
        if (esc === undefined) this.fail("unterminated escape");
        out += simple[esc] ?? esc;
      }
    }
  }

  private number(): number {
    const match = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.pos, this.pos + 64));
    if (!match) this.fail("bad number");
    this.pos += match[0].length;
    return Number(match[0]);
  }
}

/** Values the writer accepts: JSON values, plus Maps whose keys may be numbers. */
export type Writable =
  | null
  | undefined
  | boolean
  | number
  | string
  | readonly Writable[]
  | ReadonlyMap<string | number, Writable>
  | { readonly [key: string]: Writable };

export interface WriteOptions {
  /** true: `{"0":"a"}` (BrowserCompatible / standard JSON); false: `{0:"a"}` (fastjson default). */
  quoteNumericKeys: boolean;
}

/** Serializes like fastjson: undefined members are omitted (fastjson drops nulls of beans). */
export function writeJson(value: Writable, options: WriteOptions): string {
  const parts: string[] = [];
  write(value, options, parts);
  return parts.join("");
}

/** A scalar (null, string, finite number, boolean) as fastjson writes it; undefined if not one. */
export function scalarJson(value: Writable): string | undefined {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new ProtocolError("cannot write a non-finite number");
    return String(value);
  }
  if (typeof value === "boolean") return value ? "true" : "false";
  return undefined;
}

function write(value: Writable, options: WriteOptions, out: string[]): void {
  const scalar = scalarJson(value);
  if (scalar !== undefined) {
    out.push(scalar);
  } else if (Array.isArray(value)) {
    out.push("[");
    value.forEach((item, i) => {
      if (i > 0) out.push(",");
      write(item, options, out);
    });
    out.push("]");
  } else if (value instanceof Map || value instanceof SmallMap) {
    writeEntries([...value.entries()], options, out);
  } else {
    writeEntries(Object.entries(value as Record<string, Writable>), options, out);
  }
}

function writeEntries(
  entries: [string | number, Writable][],
  options: WriteOptions,
  out: string[],
): void {
  out.push("{");
  let first = true;
  for (const [key, item] of entries) {
    if (item === undefined) continue;
    if (!first) out.push(",");
    first = false;
    if (typeof key === "number" && !options.quoteNumericKeys) out.push(String(key));
    else out.push(JSON.stringify(String(key)));
    out.push(":");
    write(item, options, out);
  }
  out.push("}");
}
