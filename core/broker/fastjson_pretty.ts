// Pretty-printed JSON in fastjson's PrettyFormat layout, as RocketMQ writes its metadata files
// (spec §5.12): tab indentation, no space after ':', and no trailing newline. Like writeJson in
// core/protocol/fastjson.ts, undefined members are left out and numeric Map keys are written bare
// (`{0:302,1:318}`), so files read back by a Java broker exactly as fastjson's own output would.
//
// fastjson's MapSerializer starts a new line only before String keys; entries with numeric keys
// follow each other on the line of the opening brace and only the closing brace gets its own
// line (`{1:1,3:7\n\t}`). We keep that quirk so our delayOffset.json is byte-identical to a
// Java broker's. Members are written in the order callers build them; callers sort.

import { SmallMap } from "../common/small_map.ts";
import { scalarJson, type Writable } from "../protocol/fastjson.ts";

export function writePrettyJson(value: Writable): string {
  const out: string[] = [];
  write(value, 0, out);
  return out.join("");
}

function write(value: Writable, depth: number, out: string[]): void {
  const scalar = scalarJson(value);
  if (scalar !== undefined) {
    out.push(scalar);
  } else if (Array.isArray(value)) {
    writeArray(value as readonly Writable[], depth, out);
  } else if (value instanceof Map || value instanceof SmallMap) {
    writeEntries([...value.entries()], depth, out);
  } else {
    writeEntries(Object.entries(value as Record<string, Writable>), depth, out);
  }
}

function writeArray(items: readonly Writable[], depth: number, out: string[]): void {
  if (items.length === 0) {
    out.push("[]");
    return;
  }
  out.push("[");
  items.forEach((item, i) => {
    if (i > 0) out.push(",");
    out.push(newline(depth + 1));
    write(item, depth + 1, out);
  });
  out.push(newline(depth), "]");
}

function writeEntries(entries: [string | number, Writable][], depth: number, out: string[]): void {
  const present = entries.filter(([, item]) => item !== undefined);
  if (present.length === 0) {
    out.push("{}");
    return;
  }
  out.push("{");
  present.forEach(([key, item], i) => {
    if (i > 0) out.push(",");
    if (typeof key === "number") {
      out.push(String(key));
    } else {
      out.push(newline(depth + 1), JSON.stringify(key));
    }
    out.push(":");
    write(item, depth + 1, out);
  });
  out.push(newline(depth), "}");
}

function newline(depth: number): string {
  return "\n" + "\t".repeat(depth);
}
