// Evaluates a compiled SQL92 tree against one message's properties, with RocketMQ's semantics
// (filter/.../expression/*.java, broker/.../filter/ExpressionMessageFilter.java):
//   - values are three-valued: a missing property is null, and most operators on null give null
//     ("unknown"); AND / OR follow SQL (false AND null = false, true OR null = true);
//   - a message matches only when the whole expression is true; null means no match;
//   - when RocketMQ's evaluation would throw (e.g. `a > 5` with a = "abc", which is not an
//     Integer) the whole expression fails and the message does not match, even inside an OR.
//     We model that as the FAULT value, which every node passes straight up.
// The walk allocates nothing: values are JS primitives, the operand kinds were fixed at compile
// time, and IN lists are Sets built once.

import type { EqualNode, OrderingNode, Sql92Node, StringTestNode } from "./ast.ts";
import {
  compareJavaDoubles,
  compareJavaValues,
  parseJavaDouble,
  type Scalar,
  ValueKind,
} from "./java_values.ts";

/** Looks up a message property by name; undefined when the message does not carry it. */
export type PropertyLookup = (name: string) => string | undefined;

/** Where RocketMQ's evaluator would have thrown: the expression fails as a whole. */
const FAULT: unique symbol = Symbol("sql92 evaluation fault");
type Fault = typeof FAULT;
type Value = Scalar | null | Fault;

/** True when the tree evaluates to true for these properties; null and faults do not match. */
export function evaluateSql92(root: Sql92Node, lookup: PropertyLookup): boolean {
  return evaluate(root, lookup) === true;
}

function evaluate(node: Sql92Node, lookup: PropertyLookup): Value {
  switch (node.type) {
    case "property":
      return lookup(node.name) ?? null;
    case "constant":
      return node.value;
    case "negate": {
      // Only a number negates to a value, and a non-constant operand never yields one.
      const operand = evaluate(node.operand, lookup);
      return operand === FAULT ? FAULT : null;
    }
    case "and":
    case "or":
      return evaluateLogic(node.type === "and", node.operands, lookup);
    case "not": {
      const operand = evaluate(node.operand, lookup);
      return operand === null || operand === FAULT ? operand : !operand;
    }
    case "booleanCast":
      // A property is a string, never a Boolean, so RocketMQ casts it to false.
      return lookup(node.operand.name) === undefined ? null : false;
    case "equal":
      return evaluateEqual(node, lookup);
    case "ordering":
      return evaluateOrdering(node, lookup);
    case "in": {
      const value = lookup(node.property.name);
      return value === undefined ? null : node.values.has(value) !== node.negated;
    }
    case "stringTest":
      return evaluateStringTest(node, lookup);
  }
}

/**
 * AND (isAnd) or OR, left to right. The first operand that decides the result (false for AND,
 * true for OR) stops the walk; otherwise any null operand makes the result null.
 */
function evaluateLogic(isAnd: boolean, operands: readonly Sql92Node[], lookup: PropertyLookup) {
  let sawNull = false;
  for (const operand of operands) {
    const value = evaluate(operand, lookup);
    if (value === FAULT) return FAULT;
    if (value === null) sawNull = true;
    else if (value !== isAnd) return value;
  }
  return sawNull ? null : isAnd;
}

/**
 * RocketMQ's equality: null = null is true; null on the left alone is null, on the right alone
 * false (the asymmetry is RocketMQ's, and shows under NOT and <>).
 */
function evaluateEqual(node: EqualNode, lookup: PropertyLookup): Value {
  const left = evaluate(node.left, lookup);
  if (left === FAULT) return FAULT;
  const right = evaluate(node.right, lookup);
  if (right === FAULT) return FAULT;
  if (left === null) return right === null ? true : null;
  if (right === null) return false;
  const order = compareJavaValues(left, node.leftKind, right, node.rightKind);
  return order === undefined ? FAULT : order === 0;
}

function evaluateOrdering(node: OrderingNode, lookup: PropertyLookup): Value {
  const left = evaluate(node.left, lookup);
  if (left === null || left === FAULT) return left;
  const right = evaluate(node.right, lookup);
  if (right === null || right === FAULT) return right;
  let order: number | undefined;
  if (node.leftKind === ValueKind.string && node.rightKind === ValueKind.string) {
    // Two strings (two properties) are ordered as doubles, or not at all.
    const leftNumber = parseJavaDouble(left as string);
    const rightNumber = parseJavaDouble(right as string);
    if (leftNumber === undefined || rightNumber === undefined) return FAULT;
    order = compareJavaDoubles(leftNumber, rightNumber);
  } else {
    order = compareJavaValues(left, node.leftKind, right, node.rightKind);
    if (order === undefined) return FAULT;
  }
  switch (node.operator) {
    case "<":
      return order < 0;
    case "<=":
      return order <= 0;
    case ">":
      return order > 0;
    case ">=":
      return order >= 0;
  }
}

/**
 * CONTAINS / STARTSWITH / ENDSWITH and their NOT forms: an empty search string, a null or a
 * non-string operand all give false, for the NOT forms too (RocketMQ 5.1.3+ semantics).
 */
function evaluateStringTest(node: StringTestNode, lookup: PropertyLookup): Value {
  if (node.search.length === 0) return false;
  const value = evaluate(node.operand, lookup);
  if (value === FAULT) return FAULT;
  if (typeof value !== "string") return false;
  let found: boolean;
  switch (node.test) {
    case "contains":
      found = value.includes(node.search);
      break;
    case "startsWith":
      found = value.startsWith(node.search);
      break;
    case "endsWith":
      found = value.endsWith(node.search);
      break;
  }
  return found !== node.negated;
}
