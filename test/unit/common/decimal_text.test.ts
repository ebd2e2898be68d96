// decimalText must spell every integer exactly as String does (it replaces String(n) on the
// hot paths), and hand anything that is not a safe integer to String.

import { describe, expect, test } from "bun:test";
import { decimalText } from "../../../core/common/decimal_text.ts";

describe("common: decimal text", () => {
  test("common: decimal text: the same text as String for integers and the rest", () => {
    const values = [0, 7, 9, 10, 11, 99, 100, 12345, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 1796586688135];
    values.push(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, -1, -10, -(2 ** 31));
    values.push(-0, 0.5, -2.25, 2 ** 53, 1e21, NaN, Infinity, -Infinity);
    for (let n = -1_000; n <= 1_000; n++) values.push(n, n * 7919, n * 1_000_003);
    for (const value of values) expect([value, decimalText(value)]).toEqual([value, String(value)]);
  });
});
