// The Java value rules a SQL92 filter inherits from RocketMQ's evaluator: how a property string
// becomes a number or boolean (Integer/Long/Double/Boolean.valueOf) and how two values of
// possibly different types are ordered (ComparisonExpression.__compare, with
// convertStringExpressions on, which SelectorParser.parse always sets). Message properties are
// always strings, so these conversions decide almost every comparison a filter makes.
// Everything here is allocation-free on the common path; a failed conversion returns undefined,
// which the evaluator turns into "the whole expression does not match", as RocketMQ's
// ExpressionMessageFilter does when evaluation throws.

/** Static type of a value; numbers keep Java's Integer / Long / Double distinction. */
export const ValueKind = {
  string: "string",
  int: "int",
  long: "long",
  double: "double",
  boolean: "boolean",
  null: "null",
} as const;
export type ValueKind = (typeof ValueKind)[keyof typeof ValueKind];

/** A non-null value. int and long are exact: a long beyond 2^53 is held as a bigint. */
export type Scalar = string | number | bigint | boolean;

const intMin = -(2 ** 31);
const intMax = 2 ** 31 - 1;
const longMin = -(2n ** 63n);
const longMax = 2n ** 63n - 1n;
const safeMin = BigInt(Number.MIN_SAFE_INTEGER);
const safeMax = BigInt(Number.MAX_SAFE_INTEGER);
// Up to 15 decimal digits a double holds any integer exactly.
const exactDigitCountMax = 15;

/** A long held as a number when that is exact, else as a bigint. */
export function longFromBigInt(value: bigint): number | bigint {
  return value >= safeMin && value <= safeMax ? Number(value) : value;
}

/**
 * Integer.valueOf (bits 32) or Long.valueOf (bits 64): an optional sign, then ASCII digits, in
 * range. Java also accepts non-ASCII Unicode digits here; we do not (see the module report).
 */
export function parseJavaIntegral(text: string, bits: 32 | 64): number | bigint | undefined {
  const length = text.length;
  let digitsStart = 0;
  const first = text.charCodeAt(0);
  if (first === 0x2b || first === 0x2d) digitsStart = 1;
  if (length <= digitsStart) return undefined;
  for (let at = digitsStart; at < length; at++) {
    const c = text.charCodeAt(at);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  if (length - digitsStart <= exactDigitCountMax) {
    // `+ 0` turns "-0" into 0: Java has no negative integer zero.
    const value = Number(text) + 0;
    if (bits === 32 && (value < intMin || value > intMax)) return undefined;
    return value;
  }
  const big = BigInt(text);
  if (bits === 32) return big < intMin || big > intMax ? undefined : Number(big);
  return big < longMin || big > longMax ? undefined : longFromBigInt(big);
}

/**
 * Double.valueOf: surrounding characters <= U+0020 trimmed, an optional sign, then NaN, Infinity
 * or decimal digits with an optional point and exponent, then an optional f/F/d/D suffix.
 * Hexadecimal floats ("0x1p3") are not accepted (see the module report).
 */
export function parseJavaDouble(text: string): number | undefined {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start += 1;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end -= 1;
  if (!isJavaFloatText(text, start, end)) return undefined;
  const last = text.charCodeAt(end - 1);
  // f, F, d, D: a type suffix that parseDouble ignores (never after NaN or Infinity).
  if (last === 0x66 || last === 0x46 || last === 0x64 || last === 0x44) end -= 1;
  return Number(start === 0 && end === text.length ? text : text.slice(start, end));
}

function isJavaFloatText(text: string, start: number, end: number): boolean {
  let at = start;
  const sign = text.charCodeAt(at);
  if (sign === 0x2b || sign === 0x2d) at += 1;
  if (text.startsWith("NaN", at)) return at + 3 === end;
  if (text.startsWith("Infinity", at)) return at + 8 === end;
  const mantissaStart = at;
  at = skipDigits(text, at, end);
  let digitCount = at - mantissaStart;
  if (at < end && text[at] === ".") {
    const fractionStart = at + 1;
    at = skipDigits(text, fractionStart, end);
    digitCount += at - fractionStart;
  }
  if (digitCount === 0) return false;
  if (at < end && (text[at] === "e" || text[at] === "E")) {
    at += 1;
    if (at < end && (text[at] === "+" || text[at] === "-")) at += 1;
    const exponentStart = at;
    at = skipDigits(text, at, end);
    if (at === exponentStart) return false;
  }
  const c = text.charCodeAt(at);
  const suffixed = c === 0x66 || c === 0x46 || c === 0x64 || c === 0x44;
  return at === end || (suffixed && at + 1 === end);
}

function skipDigits(text: string, from: number, end: number): number {
  let at = from;
  while (at < end && isDigit(text.charCodeAt(at))) at += 1;
  return at;
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** Boolean.valueOf: true exactly when the text is "true" in any letter case. */
export function javaBooleanValueOf(text: string): boolean {
  return (
    text.length === 4 &&
    (text.charCodeAt(0) | 0x20) === 0x74 &&
    (text.charCodeAt(1) | 0x20) === 0x72 &&
    (text.charCodeAt(2) | 0x20) === 0x75 &&
    (text.charCodeAt(3) | 0x20) === 0x65
  );
}

/** Double.compare: -0.0 sorts below 0.0, NaN above everything and equal to itself. */
export function compareJavaDoubles(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) {
    if (a !== 0) return 0;
    const aNegative = 1 / a < 0;
    return aNegative === 1 / b < 0 ? 0 : aNegative ? -1 : 1;
  }
  const aIsNaN = a !== a;
  const bIsNaN = b !== b;
  return aIsNaN === bIsNaN ? 0 : aIsNaN ? 1 : -1;
}

/** Exact order of two int / long values, each a number or a bigint. */
function compareIntegral(a: number | bigint, b: number | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareStrings(a: string, b: string): number {
  // JS orders strings by UTF-16 code unit, as String.compareTo does.
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareBooleans(a: boolean, b: boolean): number {
  return a === b ? 0 : a ? 1 : -1;
}

/**
 * RocketMQ's __compare(left, right) for two non-null values: the sign of left - right, or
 * undefined when Java would throw (a property that is not a number of the constant's type, or the
 * ClassCastException RocketMQ hits when a boolean constant is on the left of a string). Values of
 * types that cannot be converted compare as -1 (so they are never equal), as in RocketMQ.
 */
export function compareJavaValues(
  left: Scalar,
  leftKind: ValueKind,
  right: Scalar,
  rightKind: ValueKind,
): number | undefined {
  if (leftKind === rightKind) return compareSameKind(left, right, leftKind);
  switch (leftKind) {
    case ValueKind.boolean:
      return rightKind === ValueKind.string ? undefined : -1;
    case ValueKind.int:
    case ValueKind.long:
      return compareIntegralWith(left as number | bigint, right, rightKind, leftKind);
    case ValueKind.double:
      return compareDoubleWith(left as number, right, rightKind);
    case ValueKind.string:
      return compareStringWith(left as string, right, rightKind);
    default:
      return -1;
  }
}

function compareSameKind(left: Scalar, right: Scalar, kind: ValueKind): number {
  switch (kind) {
    case ValueKind.string:
      return compareStrings(left as string, right as string);
    case ValueKind.boolean:
      return compareBooleans(left as boolean, right as boolean);
    case ValueKind.double:
      return compareJavaDoubles(left as number, right as number);
    default:
      return compareIntegral(left as number | bigint, right as number | bigint);
  }
}

function compareIntegralWith(
  left: number | bigint,
  right: Scalar,
  rightKind: ValueKind,
  leftKind: ValueKind,
): number | undefined {
  switch (rightKind) {
    case ValueKind.int:
    case ValueKind.long:
      return compareIntegral(left, right as number | bigint);
    case ValueKind.double:
      return compareJavaDoubles(Number(left), right as number);
    case ValueKind.string: {
      const parsed = parseJavaIntegral(right as string, leftKind === ValueKind.int ? 32 : 64);
      return parsed === undefined ? undefined : compareIntegral(left, parsed);
    }
    default:
      return -1;
  }
}

function compareDoubleWith(left: number, right: Scalar, rightKind: ValueKind): number | undefined {
  switch (rightKind) {
    case ValueKind.int:
    case ValueKind.long:
      return compareJavaDoubles(left, Number(right));
    case ValueKind.string: {
      const parsed = parseJavaDouble(right as string);
      return parsed === undefined ? undefined : compareJavaDoubles(left, parsed);
    }
    default:
      return -1;
  }
}

function compareStringWith(left: string, right: Scalar, rightKind: ValueKind): number | undefined {
  switch (rightKind) {
    case ValueKind.boolean:
      return compareBooleans(javaBooleanValueOf(left), right as boolean);
    case ValueKind.int:
    case ValueKind.long: {
      const parsed = parseJavaIntegral(left, rightKind === ValueKind.int ? 32 : 64);
      return parsed === undefined ? undefined : compareIntegral(parsed, right as number | bigint);
    }
    case ValueKind.double: {
      const parsed = parseJavaDouble(left);
      return parsed === undefined ? undefined : compareJavaDoubles(parsed, right as number);
    }
    default:
      return -1;
  }
}
