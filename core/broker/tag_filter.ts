// Tag subscriptions (spec §3.5, §4.5): "*" or "" takes everything; "TagA || TagB" takes the
// listed tags, matched on the broker by String.hashCode (clients re-check the tag string).

import { javaStringHashCode } from "../common/checksum.ts";

export interface TagFilter {
  subString: string;
  tags: string[];
  codes: Set<number>;
  all: boolean;
}

export function parseTagExpression(expression: string | undefined): TagFilter {
  const text = (expression ?? "").trim();
  if (text === "" || text === "*") return { subString: "*", tags: [], codes: new Set(), all: true };
  const tags = text
    .split("||")
    .map((t) => t.trim())
    .filter(Boolean);
  return {
    subString: text,
    tags,
    codes: new Set(tags.map(javaStringHashCode)),
    all: tags.length === 0,
  };
}

export function filterFromCodes(subString: string, codeSet: number[]): TagFilter {
  const all = subString.trim() === "" || subString.trim() === "*";
  return { subString, tags: [], codes: new Set(codeSet), all };
}

export function acceptsTagsCode(filter: TagFilter, tagsCode: number): boolean {
  return filter.all || filter.codes.has(tagsCode);
}
