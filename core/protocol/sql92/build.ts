// Node constructors for the SQL92 tree, with the checks RocketMQ makes while it parses. The checks
// are RocketMQ's, from ComparisonExpression.java (checkLessThanOperand, checkEqualOperand,
// checkEqualOperandCompatability, createBetween, createInFilter), ConstantExpression.java
// (createFromDecimal, createFloat) and SelectorParser.jj (asBooleanExpression); an expression
// that fails one is rejected at subscribe time, so it must be rejected here too. Each failure is a
// Sql92Error at the position of the operator or literal concerned.

import type {
  ConstantNode,
  EqualNode,
  OrderingNode,
  OrderingOperator,
  PropertyNode,
  Sql92Node,
  StringTest,
} from "./ast.ts";
import { sql92NestingDepthMax } from "./bounds.ts";
import { Sql92Error } from "./error.ts";
import { compareJavaValues, longFromBigInt, ValueKind } from "./java_values.ts";

const intMax = 2 ** 31 - 1;
const longMax = 2n ** 63n - 1n;

/** Height of a node over these children, refused beyond the nesting bound. */
function heightOver(children: readonly Sql92Node[], position: number): number {
  let height = 0;
  for (const child of children) height = Math.max(height, child.height);
  if (height + 1 > sql92NestingDepthMax) {
    throw new Sql92Error(`expression nests deeper than ${sql92NestingDepthMax}`, position);
  }
  return height + 1;
}

/** The kind of value a node yields when it is not null. */
export function kindOf(node: Sql92Node): ValueKind {
  switch (node.type) {
    case "property":
      return ValueKind.string;
    case "constant":
      return node.kind;
    case "negate":
      return ValueKind.null;
    default:
      return ValueKind.boolean;
  }
}

const isConstantLiteral = (node: Sql92Node): node is ConstantNode =>
  node.type === "constant" && node.literal;

/** TRUE, FALSE or NULL as written: RocketMQ's BooleanConstantExpression. */
const isBooleanLiteral = (node: Sql92Node) =>
  isConstantLiteral(node) && (node.kind === ValueKind.boolean || node.kind === ValueKind.null);

const isNumericKind = (kind: ValueKind) =>
  kind === ValueKind.int || kind === ValueKind.long || kind === ValueKind.double;

/** A node that yields true / false / null: RocketMQ's BooleanExpression. */
function isBooleanNode(node: Sql92Node): boolean {
  if (node.type === "constant") return isBooleanLiteral(node);
  return node.type !== "property" && node.type !== "negate";
}

export function property(name: string): PropertyNode {
  return { type: "property", name, height: 1 };
}

export function literal(kind: ValueKind, value: ConstantNode["value"]): ConstantNode {
  return { type: "constant", kind, value, literal: true, height: 1 };
}

/** DECIMAL_LITERAL: an int when it fits 32 bits, else a long; beyond a long it is refused. */
export function decimalLiteral(digits: string, position: number): ConstantNode {
  const value = BigInt(digits);
  if (value > longMax) throw new Sql92Error(`number ${digits} does not fit a long`, position);
  if (value <= intMax) return literal(ValueKind.int, Number(value));
  return literal(ValueKind.long, longFromBigInt(value));
}

/**
 * FLOATING_POINT_LITERAL: a double. RocketMQ refuses infinity and anything below Double.MIN_VALUE,
 * which (literals being unsigned) means every literal that reads as zero, "0.0" included.
 */
export function floatLiteral(text: string, position: number): ConstantNode {
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Sql92Error(`number ${text} is too large`, position);
  if (value < Number.MIN_VALUE) {
    throw new Sql92Error(`number ${text} is zero or too small (RocketMQ refuses it)`, position);
  }
  return literal(ValueKind.double, value);
}

/** Unary minus: folded when its operand is a constant; null unless that is a number. */
export function negate(operand: Sql92Node, position: number): Sql92Node {
  if (operand.type !== "constant") {
    return { type: "negate", operand, height: heightOver([operand], position) };
  }
  let value: ConstantNode["value"] = null;
  let kind: ValueKind = ValueKind.null;
  if (isNumericKind(operand.kind)) {
    const number = operand.value as number | bigint;
    kind = operand.kind;
    // Integers negate from 0 so that -0 stays 0; only a double has a negative zero.
    value = kind === ValueKind.double ? -(number as number) : negateIntegral(number);
  }
  return { type: "constant", kind, value, literal: false, height: 1 };
}

function negateIntegral(value: number | bigint): number | bigint {
  return typeof value === "bigint" ? longFromBigInt(-value) : 0 - value;
}

/** RocketMQ's asBooleanExpression: booleans pass, a property is cast, anything else is refused. */
export function asBoolean(node: Sql92Node, position: number): Sql92Node {
  if (isBooleanNode(node)) return node;
  if (node.type === "property") return { type: "booleanCast", operand: node, height: 2 };
  throw new Sql92Error("expression does not yield a boolean", position);
}

export function not(operand: Sql92Node, position: number): Sql92Node {
  const checked = asBoolean(operand, position);
  return { type: "not", operand: checked, height: heightOver([checked], position) };
}

/** AND / OR over operands already passed through asBoolean. */
export function logic(type: "and" | "or", operands: Sql92Node[], position: number): Sql92Node {
  if (operands.length === 1) return operands[0]!;
  return { type, operands, height: heightOver(operands, position) };
}

/** `=` with RocketMQ's checks: no NULL literal, and no TRUE/FALSE literal = other literal. */
export function equal(left: Sql92Node, right: Sql92Node, position: number): EqualNode {
  for (const side of [left, right]) {
    if (isConstantLiteral(side) && side.kind === ValueKind.null) {
      throw new Sql92Error("NULL cannot be compared with =; use IS NULL", position);
    }
  }
  if (isConstantLiteral(left) && isConstantLiteral(right)) {
    if (isBooleanLiteral(left) && !isBooleanLiteral(right)) {
      throw new Sql92Error("a boolean literal cannot be compared with a non-boolean one", position);
    }
  }
  return equalUnchecked(left, right, position);
}

/** `=` without checks: what IS NULL builds (RocketMQ's doCreateEqual). */
export function equalUnchecked(left: Sql92Node, right: Sql92Node, position: number): EqualNode {
  const height = heightOver([left, right], position);
  return { type: "equal", left, right, leftKind: kindOf(left), rightKind: kindOf(right), height };
}

export function isNull(operand: Sql92Node, position: number): EqualNode {
  return equalUnchecked(operand, literal(ValueKind.null, null), position);
}

/** RocketMQ's checkLessThanOperand: a literal must be a number; booleans cannot be ordered. */
function checkOrderable(node: Sql92Node, position: number): void {
  if (isConstantLiteral(node)) {
    if (isNumericKind(node.kind)) return;
    throw new Sql92Error("only numbers can be compared with < <= > >= or BETWEEN", position);
  }
  if (isBooleanNode(node)) {
    throw new Sql92Error("a boolean expression cannot be compared with < <= > >=", position);
  }
}

export function ordering(
  operator: OrderingOperator,
  left: Sql92Node,
  right: Sql92Node,
  position: number,
): OrderingNode {
  checkOrderable(left, position);
  checkOrderable(right, position);
  const height = heightOver([left, right], position);
  const leftKind = kindOf(left);
  return { type: "ordering", operator, left, right, leftKind, rightKind: kindOf(right), height };
}

/** `x BETWEEN low AND high` is `x >= low AND x <= high`; literal bounds must be in order. */
export function between(
  value: Sql92Node,
  low: Sql92Node,
  high: Sql92Node,
  position: number,
): Sql92Node {
  if (isConstantLiteral(low) && isConstantLiteral(high)) {
    if (low.value === null || high.value === null) {
      throw new Sql92Error("BETWEEN bounds cannot be NULL", position);
    }
    const order = compareJavaValues(high.value, high.kind, low.value, low.kind);
    if (order === undefined || order < 0) {
      throw new Sql92Error("BETWEEN needs its lower bound first", position);
    }
  }
  const operands = [ordering(">=", value, low, position), ordering("<=", value, high, position)];
  return logic("and", operands, position);
}

/** `x NOT BETWEEN low AND high` is `x < low OR x > high`, with no check on the bounds' order. */
export function notBetween(
  value: Sql92Node,
  low: Sql92Node,
  high: Sql92Node,
  position: number,
): Sql92Node {
  const operands = [ordering("<", value, low, position), ordering(">", value, high, position)];
  return logic("or", operands, position);
}

/** `property [NOT] IN (...)`: the left side must be a bare property. */
export function inList(
  left: Sql92Node,
  values: string[],
  negated: boolean,
  position: number,
): Sql92Node {
  if (left.type !== "property") {
    throw new Sql92Error("IN needs a property name on its left", position);
  }
  const height = heightOver([left], position);
  return { type: "in", property: left, values: new Set(values), negated, height };
}

export function stringTest(
  test: StringTest,
  operand: Sql92Node,
  search: string,
  negated: boolean,
  position: number,
): Sql92Node {
  const height = heightOver([operand], position);
  return { type: "stringTest", test, operand, search, negated, height };
}
