// Recursive-descent parser for RocketMQ's SQL92 filter language, following the productions of
// filter/.../parser/SelectorParser.jj level by level (loosest first):
//   or        := and (OR and)*
//   and       := equality (AND equality)*
//   equality  := comparison ( "=" comparison | "<>" comparison | IS NULL | IS NOT NULL )*
//   comparison:= unary ( (">" | ">=" | "<" | "<=") unary
//                      | [NOT] BETWEEN unary AND unary
//                      | [NOT] IN "(" string ("," string)* ")"
//                      | [NOT] (CONTAINS | STARTSWITH | ENDSWITH) string )*
//   unary     := "+" unary | "-" unary | NOT unary | primary
//   primary   := literal | property | "(" or ")"
// So NOT is a prefix operator binding tighter than any comparison, exactly as in RocketMQ:
// `NOT a = 1` means `(NOT a) = 1`, which never matches; write `NOT (a = 1)`.
// One deliberate difference: RocketMQ stops after the first complete expression and silently
// ignores whatever follows ("a = 1 b = 2" filters on a = 1 alone); we reject trailing tokens,
// because dropping part of a filter delivers messages the subscriber meant to exclude.
// Nesting of parentheses and prefix operators is bounded (bounds.ts) so input cannot exhaust
// the stack.

import type { OrderingOperator, Sql92Node, StringTest } from "./ast.ts";
import * as build from "./build.ts";
import { sql92ExpressionLengthMax, sql92NestingDepthMax } from "./bounds.ts";
import { Sql92Error } from "./error.ts";
import { ValueKind } from "./java_values.ts";
import { describeToken, tokenize, TokenKind, type Token } from "./lexer.ts";

const orderingOperators: ReadonlySet<string> = new Set(["<", "<=", ">", ">="]);
const stringTests: ReadonlyMap<string, StringTest> = new Map([
  ["CONTAINS", "contains"],
  ["STARTSWITH", "startsWith"],
  ["ENDSWITH", "endsWith"],
]);
/** Keywords that may follow NOT inside a comparison (RocketMQ's LOOKAHEAD(2) NOT ...). */
const negatableKeywords: ReadonlySet<string> = new Set(["BETWEEN", "IN", ...stringTests.keys()]);

/** Parses a whole expression into a tree whose root yields a boolean; throws Sql92Error. */
export function parseSql92(expression: string): Sql92Node {
  if (expression.length > sql92ExpressionLengthMax) {
    throw new Sql92Error(
      `expression is ${expression.length} characters, more than ${sql92ExpressionLengthMax}`,
      sql92ExpressionLengthMax,
    );
  }
  const tokens = tokenize(expression);
  const parser = new Parser(expression, tokens);
  const root = parser.parseOr();
  parser.expectEnd();
  return build.asBoolean(root, tokens[0]!.start);
}

class Parser {
  private index = 0;
  private nesting = 0;

  constructor(
    private readonly expression: string,
    private readonly tokens: readonly Token[],
  ) {}

  private peek(offset = 0): Token {
    const at = Math.min(this.index + offset, this.tokens.length - 1);
    return this.tokens[at]!;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== TokenKind.end) this.index += 1;
    return token;
  }

  private isKeyword(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === TokenKind.keyword && token.text === word;
  }

  private isSymbol(symbol: string): boolean {
    const token = this.peek();
    return token.kind === TokenKind.symbol && token.text === symbol;
  }

  private unexpected(token: Token, expected?: string): Sql92Error {
    const found = describeToken(this.expression, token);
    const reason = expected ? `expected ${expected} but found ${found}` : `unexpected ${found}`;
    return new Sql92Error(reason, token.start);
  }

  private expectKeyword(word: string): Token {
    if (!this.isKeyword(word)) throw this.unexpected(this.peek(), word);
    return this.next();
  }

  private expectSymbol(symbol: string): Token {
    if (!this.isSymbol(symbol)) throw this.unexpected(this.peek(), `"${symbol}"`);
    return this.next();
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== TokenKind.end) throw this.unexpected(token, "end of expression");
  }

  parseOr(): Sql92Node {
    const start = this.peek().start;
    const first = this.parseAnd();
    if (!this.isKeyword("OR")) return first;
    const operands = [build.asBoolean(first, start)];
    while (this.isKeyword("OR")) {
      this.next();
      const rightStart = this.peek().start;
      operands.push(build.asBoolean(this.parseAnd(), rightStart));
    }
    return build.logic("or", operands, start);
  }

  private parseAnd(): Sql92Node {
    const start = this.peek().start;
    const first = this.parseEquality();
    if (!this.isKeyword("AND")) return first;
    const operands = [build.asBoolean(first, start)];
    while (this.isKeyword("AND")) {
      this.next();
      const rightStart = this.peek().start;
      operands.push(build.asBoolean(this.parseEquality(), rightStart));
    }
    return build.logic("and", operands, start);
  }

  private parseEquality(): Sql92Node {
    let left = this.parseComparison();
    for (;;) {
      const token = this.peek();
      if (token.kind === TokenKind.symbol && (token.text === "=" || token.text === "<>")) {
        this.next();
        const equal = build.equal(left, this.parseComparison(), token.start);
        left = token.text === "=" ? equal : build.not(equal, token.start);
      } else if (this.isKeyword("IS")) {
        this.next();
        const negated = this.isKeyword("NOT");
        if (negated) this.next();
        this.expectKeyword("NULL");
        const isNull = build.isNull(left, token.start);
        left = negated ? build.not(isNull, token.start) : isNull;
      } else {
        return left;
      }
    }
  }

  private parseComparison(): Sql92Node {
    let left = this.parseUnary();
    for (;;) {
      const token = this.peek();
      if (token.kind === TokenKind.symbol && orderingOperators.has(token.text)) {
        this.next();
        const operator = token.text as OrderingOperator;
        left = build.ordering(operator, left, this.parseUnary(), token.start);
        continue;
      }
      const negated = this.isKeyword("NOT") && this.peek(1).kind === TokenKind.keyword;
      if (negated && !negatableKeywords.has(this.peek(1).text)) return left;
      const keyword = this.peek(negated ? 1 : 0);
      if (keyword.kind !== TokenKind.keyword) return left;
      if (keyword.text === "BETWEEN") {
        left = this.parseBetween(left, negated, token.start);
      } else if (keyword.text === "IN") {
        left = this.parseIn(left, negated, token.start);
      } else if (stringTests.has(keyword.text)) {
        this.index += negated ? 2 : 1;
        const search = this.parseStringLiteral();
        const test = stringTests.get(keyword.text)!;
        left = build.stringTest(test, left, search, negated, token.start);
      } else {
        return left;
      }
    }
  }

  private parseBetween(value: Sql92Node, negated: boolean, position: number): Sql92Node {
    this.index += negated ? 2 : 1;
    const low = this.parseUnary();
    this.expectKeyword("AND");
    const high = this.parseUnary();
    return negated
      ? build.notBetween(value, low, high, position)
      : build.between(value, low, high, position);
  }

  private parseIn(left: Sql92Node, negated: boolean, position: number): Sql92Node {
    this.index += negated ? 2 : 1;
    this.expectSymbol("(");
    const values = [this.parseStringLiteral()];
    while (this.isSymbol(",")) {
      this.next();
      values.push(this.parseStringLiteral());
    }
    this.expectSymbol(")");
    return build.inList(left, values, negated, position);
  }

  private parseStringLiteral(): string {
    const token = this.peek();
    if (token.kind !== TokenKind.string) throw this.unexpected(token, "a string in quotes");
    this.next();
    return token.text;
  }

  private parseUnary(): Sql92Node {
    const token = this.peek();
    const isPrefix =
      (token.kind === TokenKind.symbol && (token.text === "+" || token.text === "-")) ||
      this.isKeyword("NOT");
    if (!isPrefix) return this.parsePrimary();
    this.next();
    const operand = this.nested(token, () => this.parseUnary());
    if (token.text === "+") return operand;
    if (token.text === "-") return build.negate(operand, token.start);
    return build.not(operand, token.start);
  }

  private parsePrimary(): Sql92Node {
    const token = this.next();
    switch (token.kind) {
      case TokenKind.string:
        return build.literal(ValueKind.string, token.text);
      case TokenKind.decimal:
        return build.decimalLiteral(token.text, token.start);
      case TokenKind.float:
        return build.floatLiteral(token.text, token.start);
      case TokenKind.identifier:
        return build.property(token.text);
      case TokenKind.keyword:
        if (token.text === "TRUE") return build.literal(ValueKind.boolean, true);
        if (token.text === "FALSE") return build.literal(ValueKind.boolean, false);
        if (token.text === "NULL") return build.literal(ValueKind.null, null);
        break;
      case TokenKind.symbol:
        if (token.text === "(") {
          const inner = this.nested(token, () => this.parseOr());
          this.expectSymbol(")");
          return inner;
        }
        break;
    }
    throw this.unexpected(token);
  }

  /** Runs one level of nested parsing, refusing to go deeper than the bound. */
  private nested(token: Token, parse: () => Sql92Node): Sql92Node {
    if (this.nesting >= sql92NestingDepthMax) {
      throw new Sql92Error(`expression nests deeper than ${sql92NestingDepthMax}`, token.start);
    }
    this.nesting += 1;
    try {
      return parse();
    } finally {
      this.nesting -= 1;
    }
  }
}
