// RocketMQ's SQL92 property filter: grammar, null semantics, Java-style number conversion and the
// bounds that keep hostile expressions cheap. Expected results follow RocketMQ's filter module
// (SelectorParser.jj, ComparisonExpression.java, ...); where RocketMQ's behaviour is surprising the
// test says so, because matching it is the point.

import { describe, expect, test } from "bun:test";
import {
  compileSql92,
  Sql92Error,
  sql92ExpressionLengthMax,
  sql92NestingDepthMax,
} from "../../../core/protocol/sql92/index.ts";

type Properties = Record<string, string>;

function matches(expression: string, properties: Properties = {}): boolean {
  return compileSql92(expression).matches((name) => properties[name]);
}

function compileError(expression: string): Sql92Error {
  try {
    compileSql92(expression);
  } catch (error) {
    if (error instanceof Sql92Error) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(expression)} to be refused`);
}

describe("filter: sql92", () => {
  test("filter: sql92: = and <> compare a property with a string", () => {
    expect(matches("a = 'x'", { a: "x" })).toBe(true);
    expect(matches("a = 'x'", { a: "y" })).toBe(false);
    expect(matches("a <> 'x'", { a: "y" })).toBe(true);
    expect(matches("a <> 'x'", { a: "x" })).toBe(false);
    expect(matches("'x' = a", { a: "x" })).toBe(true);
  });

  test("filter: sql92: < <= > >= order a property against numbers", () => {
    const a = { a: "5" };
    expect([matches("a > 4", a), matches("a > 5", a)]).toEqual([true, false]);
    expect([matches("a >= 5", a), matches("a >= 6", a)]).toEqual([true, false]);
    expect([matches("a < 6", a), matches("a < 5", a)]).toEqual([true, false]);
    expect([matches("a <= 5", a), matches("a <= 4", a)]).toEqual([true, false]);
    expect(matches("4 < a", a)).toBe(true);
  });

  test("filter: sql92: AND, OR and NOT combine conditions", () => {
    const p = { a: "1", b: "2" };
    expect(matches("a = 1 AND b = 2", p)).toBe(true);
    expect(matches("a = 1 AND b = 3", p)).toBe(false);
    expect(matches("a = 9 OR b = 2", p)).toBe(true);
    expect(matches("a = 9 OR b = 9", p)).toBe(false);
    expect(matches("NOT (a = 9)", p)).toBe(true);
    expect(matches("NOT (a = 1)", p)).toBe(false);
  });

  test("filter: sql92: IN and NOT IN test membership of a string list", () => {
    expect(matches("a IN ('x', 'y')", { a: "y" })).toBe(true);
    expect(matches("a IN ('x', 'y')", { a: "z" })).toBe(false);
    expect(matches("a NOT IN ('x', 'y')", { a: "z" })).toBe(true);
    expect(matches("a NOT IN ('x', 'y')", { a: "x" })).toBe(false);
    // Membership is exact string equality: no number conversion.
    expect(matches("a IN ('1')", { a: "01" })).toBe(false);
    const many = "a IN ('v0','v1','v2','v3','v4','v5','v6','v7','v8','v9')";
    expect([matches(many, { a: "v7" }), matches(many, { a: "v10" })]).toEqual([true, false]);
  });

  test("filter: sql92: BETWEEN and NOT BETWEEN include their bounds", () => {
    for (const [value, inside] of [
      ["-1", false],
      ["0", true],
      ["2", true],
      ["3", true],
      ["4", false],
    ] as const) {
      expect(matches("a BETWEEN 0 AND 3", { a: value })).toBe(inside);
      expect(matches("a NOT BETWEEN 0 AND 3", { a: value })).toBe(!inside);
    }
    expect(matches("a BETWEEN -5 AND -1", { a: "-3" })).toBe(true);
    expect(matches("a BETWEEN 1 AND 2 AND b = 'x'", { a: "1", b: "x" })).toBe(true);
  });

  test("filter: sql92: IS NULL and IS NOT NULL test presence", () => {
    expect(matches("a IS NULL", {})).toBe(true);
    expect(matches("a IS NULL", { a: "" })).toBe(false);
    expect(matches("a IS NOT NULL", { a: "" })).toBe(true);
    expect(matches("a IS NOT NULL", {})).toBe(false);
  });

  test("filter: sql92: CONTAINS, STARTSWITH, ENDSWITH and their NOT forms (5.1.3+)", () => {
    const p = { v: "axb" };
    expect([matches("v CONTAINS 'x'", p), matches("v CONTAINS 'q'", p)]).toEqual([true, false]);
    expect([matches("v STARTSWITH 'ax'", p), matches("v STARTSWITH 'x'", p)]).toEqual([
      true,
      false,
    ]);
    expect([matches("v ENDSWITH 'xb'", p), matches("v ENDSWITH 'x'", p)]).toEqual([true, false]);
    expect([matches("v NOT CONTAINS 'q'", p), matches("v NOT CONTAINS 'x'", p)]).toEqual([
      true,
      false,
    ]);
    expect(matches("v NOT STARTSWITH 'b'", p)).toBe(true);
    expect(matches("v NOT ENDSWITH 'a'", p)).toBe(true);
    // An empty search string or a missing property is false, for the NOT forms too.
    for (const expression of ["v CONTAINS ''", "v NOT CONTAINS ''", "w NOT CONTAINS 'x'"]) {
      expect(matches(expression, p)).toBe(false);
    }
    // A test on a missing property is false, not unknown, so NOT in front of it matches.
    expect(matches("NOT (w CONTAINS 'x')", p)).toBe(true);
    expect(matches("'axb' CONTAINS 'x'")).toBe(true);
  });

  test("filter: sql92: TRUE, FALSE and NULL literals", () => {
    expect(matches("TRUE")).toBe(true);
    expect(matches("FALSE")).toBe(false);
    expect(matches("NULL")).toBe(false);
    expect(matches("FALSE OR TRUE")).toBe(true);
    expect(matches("NULL IS NULL")).toBe(true);
  });

  test("filter: sql92: unary minus negates numbers and plus changes nothing", () => {
    expect(matches("a = -3", { a: "-3" })).toBe(true);
    expect(matches("a = - -3", { a: "3" })).toBe(true);
    expect(matches("a = +3", { a: "3" })).toBe(true);
    expect(matches("a > -2.5", { a: "-1" })).toBe(true);
    expect(matches("a > -2.5", { a: "-3" })).toBe(false);
    // Negating anything but a number yields null, which never matches.
    expect(matches("-a IS NULL", { a: "3" })).toBe(true);
    expect(matches("a = -b", { a: "3", b: "-3" })).toBe(false);
  });

  test("filter: sql92: a missing property makes comparisons unknown, which never match", () => {
    for (const expression of [
      "a = 'x'",
      "a <> 'x'",
      "a > 1",
      "a <= 1",
      "a BETWEEN 1 AND 2",
      "a NOT BETWEEN 1 AND 2",
      "a IN ('x')",
      "a NOT IN ('x')",
      "NOT (a = 'x')",
      "NOT (a > 1)",
      "a",
      "NOT a",
    ]) {
      expect(matches(expression, { b: "1" })).toBe(false);
    }
  });

  test("filter: sql92: AND and OR use three-valued logic", () => {
    // Unknown AND false is false, so NOT of it matches; unknown AND true stays unknown.
    expect(matches("NOT (a = 1 AND FALSE)")).toBe(true);
    expect(matches("NOT (a = 1 AND TRUE)")).toBe(false);
    // Unknown OR true is true; unknown OR false stays unknown.
    expect(matches("a = 1 OR TRUE")).toBe(true);
    expect(matches("NOT (a = 1 OR FALSE)")).toBe(false);
    expect(matches("a IS NULL OR a = 'hello'", {})).toBe(true);
    expect(matches("a IS NULL OR a = 'hello'", { a: "abc" })).toBe(false);
  });

  test("filter: sql92: = between two properties follows RocketMQ's null rules", () => {
    expect(matches("a = b", {})).toBe(true); // both null
    expect(matches("a = b", { a: "x", b: "x" })).toBe(true);
    expect(matches("a = b", { a: "1", b: "1.0" })).toBe(false); // strings, compared as strings
    // Left null is unknown, right null is false: NOT tells the two apart.
    expect(matches("NOT (a = b)", { b: "x" })).toBe(false);
    expect(matches("NOT (a = b)", { a: "x" })).toBe(true);
  });

  test("filter: sql92: a property alone is a boolean that is never true", () => {
    // RocketMQ casts a property to a boolean: false when present (a string is not a Boolean).
    expect(matches("a", { a: "true" })).toBe(false);
    expect(matches("NOT a", { a: "true" })).toBe(true);
    expect(matches("a OR b = 1", { a: "true", b: "1" })).toBe(true);
  });

  test("filter: sql92: an integer literal parses the property with Integer.valueOf", () => {
    expect(matches("a = 1", { a: "1" })).toBe(true);
    expect(matches("a = 1", { a: "01" })).toBe(true);
    expect(matches("a = 1", { a: "+1" })).toBe(true);
    expect(matches("a = 0", { a: "-0" })).toBe(true);
    // Not an Integer: RocketMQ's evaluation throws, and the message does not match at all.
    for (const value of ["1.0", " 1", "1e0", "abc", "", "3000000000"]) {
      expect(matches("a = 1", { a: value })).toBe(false);
      expect(matches("NOT (a = 1)", { a: value })).toBe(false);
    }
    // So "a BETWEEN 0 AND 3" does not match "1.5", nor does it with one double bound: each bound
    // is its own comparison. Two double bounds make both Double comparisons.
    expect(matches("a BETWEEN 0 AND 3", { a: "1.5" })).toBe(false);
    expect(matches("a BETWEEN 0.5 AND 3", { a: "1.5" })).toBe(false);
    expect(matches("a BETWEEN 0.5 AND 3.0", { a: "1.5" })).toBe(true);
  });

  test("filter: sql92: a failed conversion fails the whole expression, even inside OR", () => {
    expect(matches("a > 1 OR b = 'x'", { a: "abc", b: "x" })).toBe(false);
    // ... unless OR has already decided before reaching it.
    expect(matches("b = 'x' OR a > 1", { a: "abc", b: "x" })).toBe(true);
    expect(matches("b = 'y' AND a > 1", { a: "abc", b: "x" })).toBe(false);
  });

  test("filter: sql92: a long literal parses the property as a Long, exactly", () => {
    expect(matches("a > 2147483648", { a: "3000000000" })).toBe(true);
    expect(matches("a = 9007199254740993", { a: "9007199254740993" })).toBe(true);
    expect(matches("a = 9007199254740993", { a: "9007199254740992" })).toBe(false);
    expect(matches("a < 9223372036854775807", { a: "9223372036854775806" })).toBe(true);
    expect(matches("a = -9223372036854775807", { a: "-9223372036854775807" })).toBe(true);
    expect(matches("a = 5L", { a: "5" })).toBe(true);
    // Beyond a long: Long.valueOf throws.
    expect(matches("a < 9223372036854775807", { a: "9223372036854775808" })).toBe(false);
  });

  test("filter: sql92: a double literal parses the property with Double.valueOf", () => {
    expect(matches("a = 1.0", { a: "1" })).toBe(true);
    expect(matches("a = 1.0", { a: " 1.0 " })).toBe(true); // Double.valueOf trims
    expect(matches("a = 1.5", { a: "1.5d" })).toBe(true); // and ignores a type suffix
    expect(matches("a > 3.1E10", { a: "3.1415E10" })).toBe(true);
    expect(matches("a > 1.5", { a: "Infinity" })).toBe(true);
    expect(matches("a > 1.5", { a: "NaN" })).toBe(true); // NaN sorts above everything
    expect(matches("a < 1.5", { a: "NaN" })).toBe(false);
    for (const value of ["abc", "", "0x10", "1,5", "NaNd", "1.5.1"]) {
      expect(matches("a < 1.5 OR TRUE", { a: value })).toBe(false);
    }
    expect(matches("a = .5", { a: "0.5" })).toBe(true);
    expect(matches("a = 5.", { a: "5" })).toBe(true);
    expect(matches("a = 1e3", { a: "1000" })).toBe(true);
  });

  test("filter: sql92: two properties are ordered as doubles", () => {
    expect(matches("a > b", { a: "20", b: "10" })).toBe(true);
    expect(matches("a > b", { a: "10", b: "20" })).toBe(false);
    expect(matches("a > b", { a: "9", b: "10" })).toBe(false); // numbers, not strings
    expect(matches("a < b", { a: "-0.0", b: "0.0" })).toBe(true); // Double.compare
    expect(matches("a > b", { a: "x", b: "1" })).toBe(false);
  });

  test("filter: sql92: = TRUE and = FALSE read the property with Boolean.valueOf", () => {
    expect(matches("a = TRUE", { a: "true" })).toBe(true);
    expect(matches("a = TRUE", { a: "TRUE" })).toBe(true);
    expect(matches("a = TRUE", { a: "yes" })).toBe(false);
    expect(matches("a = FALSE", { a: "anything" })).toBe(true);
    expect(matches("a=TRUE OR b=FALSE", { a: "false", b: "true" })).toBe(false);
    // With the literal on the left RocketMQ throws (ClassCastException): never a match.
    expect(matches("TRUE = a", { a: "true" })).toBe(false);
  });

  test("filter: sql92: mixed number types compare by value; booleans equal none", () => {
    expect(matches("1 = 1.0")).toBe(true);
    expect(matches("2147483648 > 1")).toBe(true);
    expect(matches("1 = TRUE")).toBe(false);
    expect(matches("5 BETWEEN 1 AND 10")).toBe(true);
  });

  test("filter: sql92: string literals use '' for a quote and keep everything else", () => {
    expect(matches("a = 'it''s'", { a: "it's" })).toBe(true);
    expect(matches("a = ''", { a: "" })).toBe(true);
    expect(matches("a = ''''", { a: "'" })).toBe(true);
    expect(matches("TAGS='''''tag'''''", { TAGS: "''tag''" })).toBe(true);
    expect(matches("a = 'x AND b = 1 -- /*'", { a: "x AND b = 1 -- /*" })).toBe(true);
    expect(matches("a = 'héllo \\n 世界'", { a: "héllo \\n 世界" })).toBe(true);
    expect(matches("a = 'line\nbreak'", { a: "line\nbreak" })).toBe(true);
    expect(matches("a = 'X'", { a: "x" })).toBe(false);
  });

  test("filter: sql92: keywords are case-insensitive, property names are not", () => {
    expect(matches("a between 1 and 3 And b iS nOt NuLl oR c = tRuE", { a: "2", b: "x" })).toBe(
      true,
    );
    expect(matches("a in ('x') and b not in ('y')", { a: "x", b: "z" })).toBe(true);
    expect(matches("not (a = 1)", { a: "2" })).toBe(true);
    expect(matches("v contains 'x' AND v StartsWith 'a'", { v: "ax" })).toBe(true);
    expect(matches("A = 'x'", { a: "x" })).toBe(false);
    expect(matches("A = 'x'", { A: "x" })).toBe(true);
    expect(matches("$a_1 = 'x' AND _b = 'y'", { $a_1: "x", _b: "y" })).toBe(true);
    // A keyword inside a longer word is just a name.
    expect(matches("andy = 'x' AND notes = 'y'", { andy: "x", notes: "y" })).toBe(true);
  });

  test("filter: sql92: AND binds tighter than OR, and parentheses override", () => {
    const p = { a: "1", b: "0", c: "0" };
    expect(matches("a = 1 OR b = 1 AND c = 1", p)).toBe(true);
    expect(matches("(a = 1 OR b = 1) AND c = 1", p)).toBe(false);
    expect(matches("b = 1 AND c = 1 OR a = 1", p)).toBe(true);
    expect(matches("b = 1 AND (c = 1 OR a = 1)", p)).toBe(false);
  });

  test("filter: sql92: NOT binds tighter than comparisons, as in RocketMQ", () => {
    // "NOT a = 1" is "(NOT a) = 1": a boolean against a number, which is never equal.
    expect(matches("NOT a = 1", { a: "1" })).toBe(false);
    expect(matches("NOT a = 1", { a: "2" })).toBe(false);
    expect(matches("NOT (a = 1)", { a: "2" })).toBe(true);
    // NOT over AND / OR needs parentheses too; NOT applies to the next operand only.
    expect(matches("NOT a = 1 OR b = 1", { a: "1", b: "1" })).toBe(true);
    expect(matches("NOT (a = 1 OR b = 1)", { a: "2", b: "2" })).toBe(true);
    expect(matches("NOT NOT (a = 1)", { a: "1" })).toBe(true);
  });

  test("filter: sql92: = binds looser than < <= > >=", () => {
    expect(matches("a > 1 = TRUE", { a: "2" })).toBe(true);
    expect(matches("a > 1 = FALSE", { a: "0" })).toBe(true);
  });

  test("filter: sql92: comments and every JavaCC blank are skipped", () => {
    expect(matches("a = 1 -- a note\nAND b = 2", { a: "1", b: "2" })).toBe(true);
    expect(matches("a = 1 /* a\nnote */ AND b = 2", { a: "1", b: "2" })).toBe(true);
    expect(matches("a = 1 -- trailing note", { a: "1" })).toBe(true);
    expect(matches(" \t\r\n\fa\t=\n1\f", { a: "1" })).toBe(true);
    // Longest match, as in JavaCC: "1AND" is the number 1 then the keyword AND.
    expect(matches("a=1AND b=2", { a: "1", b: "2" })).toBe(true);
  });

  const invalid: [string, string][] = [
    ["", "unexpected end of expression at 0"],
    ["   ", "unexpected end of expression at 3"],
    ["a =", "unexpected end of expression at 3"],
    ["a = 1 AND", "unexpected end of expression at 9"],
    ["AND a = 1", 'unexpected "AND" at 0'],
    ["a = 1 b = 2", 'expected end of expression but found "b" at 6'],
    ["a = 1)", 'expected end of expression but found ")" at 5'],
    ["(a = 1", 'expected ")" but found end of expression at 6'],
    ["a == 1", 'unexpected "=" at 3'],
    ["a != 1", 'unexpected character "!" at 2'],
    ["a = 'x", "unterminated string at 4"],
    ["a = 1 /* note", "unterminated comment at 6"],
    ['a = "x"', 'unexpected character "\\"" at 4'],
    ["a.b = 1", 'unexpected character "." at 1'],
    ["a = 0x10", 'expected end of expression but found "x10" at 5'],
    ["a = 007", 'expected end of expression but found "0" at 5'],
    ["a\u00a0= 1", 'unexpected character "\u00a0" at 1'],
    ["1", "expression does not yield a boolean at 0"],
    ["'x'", "expression does not yield a boolean at 0"],
    ["-a", "expression does not yield a boolean at 0"],
    ["a = 1 AND 5", "expression does not yield a boolean at 10"],
    ["NOT 'x'", "expression does not yield a boolean at 0"],
    ["a = NULL", "NULL cannot be compared with =; use IS NULL at 2"],
    ["NULL <> a", "NULL cannot be compared with =; use IS NULL at 5"],
    ["TRUE = 1", "a boolean literal cannot be compared with a non-boolean one at 5"],
    ["a > 'x'", "only numbers can be compared with < <= > >= or BETWEEN at 2"],
    ["a < TRUE", "only numbers can be compared with < <= > >= or BETWEEN at 2"],
    ["a BETWEEN 'a' AND 'b'", "only numbers can be compared with < <= > >= or BETWEEN at 2"],
    ["a > 1 > 2", "a boolean expression cannot be compared with < <= > >= at 6"],
    ["NOT a > 1", "a boolean expression cannot be compared with < <= > >= at 6"],
    ["a BETWEEN 3 AND 1", "BETWEEN needs its lower bound first at 2"],
    ["a BETWEEN NULL AND 1", "BETWEEN bounds cannot be NULL at 2"],
    ["a BETWEEN 1", "expected AND but found end of expression at 11"],
    ["a IN (1, 2)", 'expected a string in quotes but found "1" at 6'],
    ["a IN ()", 'expected a string in quotes but found ")" at 6'],
    ["a IN 'x'", 'expected "(" but found "\'x\'" at 5'],
    ["'x' IN ('x')", "IN needs a property name on its left at 4"],
    ["NOT a IN ('x')", "IN needs a property name on its left at 6"],
    ["a CONTAINS b", 'expected a string in quotes but found "b" at 11'],
    ["a IS 5", 'expected NULL but found "5" at 5'],
    ["a > 0.0", "number 0.0 is zero or too small (RocketMQ refuses it) at 4"],
    ["a > 1e-400", "number 1e-400 is zero or too small (RocketMQ refuses it) at 4"],
    ["a > 1e400", "number 1e400 is too large at 4"],
    ["a > 9223372036854775808", "number 9223372036854775808 does not fit a long at 4"],
    ["contains = 'x'", 'unexpected "contains" at 0'],
    ["a NOT LIKE 'x'", 'expected end of expression but found "NOT" at 2'],
  ];

  test("filter: sql92: invalid expressions throw Sql92Error with the position", () => {
    for (const [expression, message] of invalid) {
      const error = compileError(expression);
      expect({ expression, message: error.message }).toEqual({ expression, message });
      expect(error.name).toBe("Sql92Error");
      expect(error).toBeInstanceOf(Error);
    }
  });

  test("filter: sql92: every prefix of a valid expression compiles or throws Sql92Error", () => {
    const expressions = [
      "region = 'e''u' AND (prio > -2.5E1 OR vip = TRUE) /* c */ AND a NOT IN ('x', 'y')",
      "NOT (a BETWEEN 1 AND 10L) OR b IS NOT NULL -- note\n OR c NOT CONTAINS 'z'",
    ];
    const properties: Properties = { region: "e'u", prio: "1", a: "5", b: "x", c: "zz" };
    for (const expression of expressions) {
      for (let length = 0; length <= expression.length; length++) {
        let filter;
        try {
          filter = compileSql92(expression.slice(0, length));
        } catch (error) {
          expect(error).toBeInstanceOf(Sql92Error);
          continue;
        }
        expect(typeof filter.matches((name) => properties[name])).toBe("boolean");
      }
      expect(compileSql92(expression).matches((name) => properties[name])).toBe(true);
    }
  });

  test("filter: sql92: an expression at the length bound compiles, one past it does not", () => {
    const atBound = "a = '" + "x".repeat(sql92ExpressionLengthMax - 6) + "'";
    expect(atBound.length).toBe(sql92ExpressionLengthMax);
    expect(matches(atBound, { a: "x".repeat(sql92ExpressionLengthMax - 6) })).toBe(true);
    const error = compileError(atBound + " ");
    expect(error.message).toContain(`more than ${sql92ExpressionLengthMax}`);
  });

  test("filter: sql92: nesting is bounded for parentheses and prefix operators", () => {
    const depth = sql92NestingDepthMax;
    const parenthesized = (n: number) => "(".repeat(n) + "a = 1" + ")".repeat(n);
    expect(matches(parenthesized(depth), { a: "1" })).toBe(true);
    expect(compileError(parenthesized(depth + 1)).message).toBe(
      `expression nests deeper than ${depth} at ${depth}`,
    );
    expect(compileError("- ".repeat(depth + 1) + "1 = a").reason).toContain("nests deeper");
    expect(compileError("NOT ".repeat(depth + 1) + "a").reason).toContain("nests deeper");
    // A left-deep chain of = nests in the tree even without parentheses.
    expect(compileError("a = TRUE" + " = TRUE".repeat(depth)).reason).toContain("nests deeper");
    // Hostile input of full length is refused quickly, without a stack overflow.
    expect(compileError("(".repeat(sql92ExpressionLengthMax)).reason).toContain("nests deeper");
  });

  test("filter: sql92: long AND / OR chains stay flat and are not bounded by depth", () => {
    const terms = Array.from({ length: 500 }, (_, i) => `p${i} = ${i}`);
    const properties: Properties = {};
    terms.forEach((_, i) => (properties[`p${i}`] = String(i)));
    expect(matches(terms.join(" AND "), properties)).toBe(true);
    expect(matches(terms.join(" OR "), { p499: "499" })).toBe(true);
    expect(matches(terms.join(" OR "), {})).toBe(false);
  });

  test("filter: sql92: realistic RocketMQ subscriptions", () => {
    expect(matches("a BETWEEN 0 AND 3", { a: "2" })).toBe(true);
    expect(matches("a BETWEEN 0 AND 3", { a: "7" })).toBe(false);
    const tags = "TAGS IS NOT NULL AND TAGS IN ('TagA','TagB')";
    expect(matches(tags, { TAGS: "TagA" })).toBe(true);
    expect(matches(tags, { TAGS: "TagC" })).toBe(false);
    expect(matches(tags, {})).toBe(false);
    const region = "region = 'eu' AND (prio > 2 OR vip = TRUE)";
    expect(matches(region, { region: "eu", prio: "3" })).toBe(true);
    expect(matches(region, { region: "eu", prio: "1", vip: "true" })).toBe(true);
    expect(matches(region, { region: "eu", vip: "true" })).toBe(true); // prio missing: unknown
    expect(matches(region, { region: "eu", prio: "1" })).toBe(false);
    expect(matches(region, { region: "us", prio: "3" })).toBe(false);
    const docs = "a=3 and b<>4 And c>5 AND d<=4";
    expect(matches(docs, { a: "3", b: "5", c: "6", d: "1" })).toBe(true);
    expect(matches(docs, { a: "4", b: "5", c: "6", d: "1" })).toBe(false);
  });

  test("filter: sql92: one compiled filter is reused across messages", () => {
    const filter = compileSql92("shop = 'a' AND amount >= 100");
    expect(filter.expression).toBe("shop = 'a' AND amount >= 100");
    const messages: Properties[] = [
      { shop: "a", amount: "150" },
      { shop: "b", amount: "150" },
      { shop: "a", amount: "99" },
      { shop: "a", amount: "lots" },
      { shop: "a" },
    ];
    const results = messages.map((m) => filter.matches((name) => m[name]));
    expect(results).toEqual([true, false, false, false, false]);
  });
});
