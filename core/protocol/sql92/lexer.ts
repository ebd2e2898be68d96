// Tokenizer for RocketMQ's SQL92 filter language. The token set is RocketMQ's JavaCC grammar
// (filter/.../parser/SelectorParser.jj): whitespace is space, tab, CR, LF and form feed;
// `-- ...` line comments and `/* ... */` block comments are skipped; keywords are
// case-insensitive; identifiers are ASCII `[A-Za-z_$][A-Za-z0-9_$]*` (no dots); strings are
// single-quoted with '' standing for one quote; numbers are decimal longs (optional L suffix)
// and decimal floats. Like JavaCC we always take the longest match, so "<>" is one token and
// "0123" is the two tokens "0" and "123".
// One deliberate difference: a line comment may also end at the end of the input. RocketMQ needs
// a line break after it, but only "gets away" with a trailing comment because it ignores
// trailing tokens, which we refuse (see parser.ts).

import { Sql92Error } from "./error.ts";

export const TokenKind = {
  identifier: "identifier",
  keyword: "keyword",
  string: "string",
  decimal: "decimal",
  float: "float",
  symbol: "symbol",
  end: "end",
} as const;
export type TokenKind = (typeof TokenKind)[keyof typeof TokenKind];

/**
 * Reserved words. CONTAINS, STARTSWITH and ENDSWITH arrived in RocketMQ 5.1.3 (4.9.x lacks them);
 * being reserved, they cannot name a property, exactly as on a 5.x broker.
 */
export const keywords: ReadonlySet<string> = new Set([
  "NOT",
  "AND",
  "OR",
  "BETWEEN",
  "IN",
  "TRUE",
  "FALSE",
  "NULL",
  "IS",
  "CONTAINS",
  "STARTSWITH",
  "ENDSWITH",
]);

export interface Token {
  readonly kind: TokenKind;
  /**
   * keyword: its upper-case spelling; symbol: the symbol; identifier: the name as written;
   * string: the decoded value; decimal / float: the digits as written (without an L suffix).
   */
  readonly text: string;
  /** 0-based UTF-16 offset of the first character, and one past the last. */
  readonly start: number;
  readonly end: number;
}

const twoCharSymbols: ReadonlySet<string> = new Set(["<>", "<=", ">="]);
const oneCharSymbols = "=<>(),+-";

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isIdentifierStart = (c: number) =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x24;
const isIdentifierPart = (c: number) => isIdentifierStart(c) || isDigit(c);
// JavaCC's whitespace set: no vertical tab, no Unicode spaces.
const isWhitespace = (c: number) =>
  c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c;

/** Splits an expression into tokens, ending with one `end` token; throws Sql92Error. */
export function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  for (;;) {
    at = skipBlanks(expression, at);
    if (at >= expression.length) break;
    const token = readToken(expression, at);
    tokens.push(token);
    at = token.end;
  }
  tokens.push({ kind: TokenKind.end, text: "", start: expression.length, end: expression.length });
  return tokens;
}

function skipBlanks(text: string, from: number): number {
  let at = from;
  while (at < text.length) {
    const c = text.charCodeAt(at);
    if (isWhitespace(c)) {
      at += 1;
    } else if (text.startsWith("--", at)) {
      at += 2;
      while (at < text.length && text[at] !== "\n" && text[at] !== "\r") at += 1;
    } else if (text.startsWith("/*", at)) {
      const close = text.indexOf("*/", at + 2);
      if (close < 0) throw new Sql92Error("unterminated comment", at);
      at = close + 2;
    } else {
      break;
    }
  }
  return at;
}

function readToken(text: string, start: number): Token {
  const c = text.charCodeAt(start);
  if (c === 0x27) return readString(text, start);
  if (isDigit(c) || (c === 0x2e && isDigit(text.charCodeAt(start + 1)))) {
    return readNumber(text, start);
  }
  if (isIdentifierStart(c)) {
    let end = start + 1;
    while (end < text.length && isIdentifierPart(text.charCodeAt(end))) end += 1;
    const word = text.slice(start, end);
    const upper = word.toUpperCase();
    if (keywords.has(upper)) return { kind: TokenKind.keyword, text: upper, start, end };
    return { kind: TokenKind.identifier, text: word, start, end };
  }
  const pair = text.slice(start, start + 2);
  if (twoCharSymbols.has(pair))
    return { kind: TokenKind.symbol, text: pair, start, end: start + 2 };
  if (oneCharSymbols.includes(text[start]!)) {
    return { kind: TokenKind.symbol, text: text[start]!, start, end: start + 1 };
  }
  throw new Sql92Error(`unexpected character ${JSON.stringify(text[start])}`, start);
}

function readString(text: string, start: number): Token {
  let value = "";
  let at = start + 1;
  for (;;) {
    const close = text.indexOf("'", at);
    if (close < 0) throw new Sql92Error("unterminated string", start);
    value += text.slice(at, close);
    if (text[close + 1] !== "'") {
      return { kind: TokenKind.string, text: value, start, end: close + 1 };
    }
    value += "'";
    at = close + 2;
  }
}

// FLOATING_POINT_LITERAL is digits "." digits? exponent? | "." digits exponent? | digits exponent;
// DECIMAL_LITERAL is "0" | [1-9][0-9]* [lL]?. Whichever is longer wins.
function readNumber(text: string, start: number): Token {
  const digitsEnd = skipDigits(text, start);
  let end = digitsEnd;
  let isFloat = false;
  if (text[end] === ".") {
    end = skipDigits(text, end + 1);
    isFloat = true;
  }
  const exponentEnd = exponentEndAt(text, end);
  if (exponentEnd > end) {
    end = exponentEnd;
    isFloat = true;
  }
  if (isFloat) return { kind: TokenKind.float, text: text.slice(start, end), start, end };
  if (text[start] === "0") return { kind: TokenKind.decimal, text: "0", start, end: start + 1 };
  const suffixed = text[end] === "l" || text[end] === "L";
  return {
    kind: TokenKind.decimal,
    text: text.slice(start, end),
    start,
    end: suffixed ? end + 1 : end,
  };
}

function skipDigits(text: string, from: number): number {
  let at = from;
  while (at < text.length && isDigit(text.charCodeAt(at))) at += 1;
  return at;
}

/** End of an exponent `E [+-] digits` starting at `from`, or `from` when there is none. */
function exponentEndAt(text: string, from: number): number {
  if (text[from] !== "e" && text[from] !== "E") return from;
  let at = from + 1;
  if (text[at] === "+" || text[at] === "-") at += 1;
  const digitsEnd = skipDigits(text, at);
  return digitsEnd > at ? digitsEnd : from;
}

/** How a token reads in an error message: its source text, shortened. */
export function describeToken(expression: string, token: Token): string {
  if (token.kind === TokenKind.end) return "end of expression";
  const source = expression.slice(token.start, token.end);
  const shown = source.length > 24 ? `${source.slice(0, 21)}...` : source;
  return JSON.stringify(shown);
}
