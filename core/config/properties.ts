// Java .properties files (the format of RocketMQ's broker.conf and namesrv.properties), parsed
// into a plain string map. Supports the common subset: `key=value`, `key: value`, `key value`,
// `#`/`!` comments, backslash line continuation, and \t \n \r \f \uXXXX escapes. Also written
// back in place: new values for some keys, every other line (comments too) as it was.

export function parseProperties(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const entry of entries(text.split(/\r\n|\r|\n/))) {
    if (entry.key !== undefined) result.set(entry.key, unescape(entry.value));
  }
  return result;
}

/**
 * The file's lines as entries, in order: a comment or blank line alone (no key), or a key and
 * its value joined over continuation lines, with the lines it spans [first, last].
 */
function* entries(lines: string[]) {
  for (let i = 0; i < lines.length; i++) {
    const first = i;
    let line = (lines[i] ?? "").replace(/^[ \t\f]+/, "");
    if (line === "" || line.startsWith("#") || line.startsWith("!")) {
      yield { first, last: i, key: undefined, value: "" };
      continue;
    }
    while (endsWithOddBackslashes(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + (lines[++i] ?? "").replace(/^[ \t\f]+/, "");
    }
    const { key, value } = splitKeyValue(line);
    yield { first, last: i, key: unescape(key), value };
  }
}

/**
 * `text` with each key of `values` set: its lines (every one, as the last would win) become
 * `key=value`, and a key not yet there is added at the end. Other lines are kept as they are.
 */
export function setProperties(text: string, values: ReadonlyMap<string, string>): string {
  const lines = text === "" ? [] : text.replace(/(\r\n|\r|\n)$/, "").split(/\r\n|\r|\n/);
  const out: string[] = [];
  const written = new Set<string>();
  for (const { first, last, key } of entries(lines)) {
    const value = key === undefined ? undefined : values.get(key);
    if (value === undefined) out.push(...lines.slice(first, last + 1));
    else {
      out.push(`${key}=${escapeValue(value)}`);
      written.add(key!);
    }
  }
  for (const [key, value] of values) {
    if (!written.has(key)) out.push(`${key}=${escapeValue(value)}`);
  }
  // The file's own line ending, so a Windows-edited broker.conf stays one.
  const eol = /\r\n/.test(text) ? "\r\n" : "\n";
  return out.length === 0 ? "" : `${out.join(eol)}${eol}`;
}

function escapeValue(value: string): string {
  return value
    .replace(/\\/g, "\\\\")
    .replace(/\t/g, "\\t")
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\f/g, "\\f")
    .replace(/^ /, "\\ ");
}

function endsWithOddBackslashes(line: string): boolean {
  let count = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === "\\"; i--) count++;
  return count % 2 === 1;
}

function splitKeyValue(line: string): { key: string; value: string } {
  let i = 0;
  while (i < line.length) {
    const ch = line[i];
    if (ch === "\\") {
      i += 2;
      continue;
    }
    if (ch === "=" || ch === ":" || ch === " " || ch === "\t" || ch === "\f") break;
    i++;
  }
  const key = line.slice(0, i);
  let rest = line.slice(i).replace(/^[ \t\f]+/, "");
  if (rest.startsWith("=") || rest.startsWith(":")) rest = rest.slice(1).replace(/^[ \t\f]+/, "");
  return { key, value: rest };
}

function unescape(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, esc: string) => {
    if (esc.length === 5) return String.fromCharCode(parseInt(esc.slice(1), 16));
    switch (esc) {
      case "t":
        return "\t";
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "f":
        return "\f";
      default:
        return esc;
    }
  });
}
