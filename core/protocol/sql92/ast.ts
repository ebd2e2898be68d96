// The tree a SQL92 filter compiles to: plain objects, built once per subscription by parser.ts
// and build.ts, then walked by evaluate.ts for every message. The node set follows RocketMQ's
// expression classes (filter/.../expression/*.java) after its own desugaring: `<>` is NOT of `=`,
// IS NULL is an unchecked `=` against NULL, BETWEEN is two comparisons under AND. Every node
// records its height so build.ts can bound the evaluator's recursion (bounds.ts).

import type { ValueKind } from "./java_values.ts";

/** A message property, looked up by its exact (case-sensitive) name. */
export interface PropertyNode {
  readonly type: "property";
  readonly name: string;
  readonly height: number;
}

/**
 * A constant. `literal` tells a value written in the expression from one folded out of a unary
 * minus: RocketMQ's parse-time checks look only at literals (ConstantExpression), never at the
 * result of a negation (UnaryExpression).
 */
export interface ConstantNode {
  readonly type: "constant";
  readonly kind: ValueKind;
  readonly value: string | number | bigint | boolean | null;
  readonly literal: boolean;
  readonly height: number;
}

/** Unary minus over something that is not a constant: it always yields null. */
export interface NegateNode {
  readonly type: "negate";
  readonly operand: Sql92Node;
  readonly height: number;
}

/** AND / OR over two or more operands, evaluated left to right with SQL's three-valued logic. */
export interface LogicNode {
  readonly type: "and" | "or";
  readonly operands: readonly Sql92Node[];
  readonly height: number;
}

export interface NotNode {
  readonly type: "not";
  readonly operand: Sql92Node;
  readonly height: number;
}

/** A property used where a boolean is expected: null if absent, else false (it is a string). */
export interface BooleanCastNode {
  readonly type: "booleanCast";
  readonly operand: PropertyNode;
  readonly height: number;
}

/** `=`; `leftKind` / `rightKind` are the static kinds of the operands' non-null values. */
export interface EqualNode {
  readonly type: "equal";
  readonly left: Sql92Node;
  readonly right: Sql92Node;
  readonly leftKind: ValueKind;
  readonly rightKind: ValueKind;
  readonly height: number;
}

export type OrderingOperator = "<" | "<=" | ">" | ">=";

export interface OrderingNode {
  readonly type: "ordering";
  readonly operator: OrderingOperator;
  readonly left: Sql92Node;
  readonly right: Sql92Node;
  readonly leftKind: ValueKind;
  readonly rightKind: ValueKind;
  readonly height: number;
}

/** `property [NOT] IN ('a', 'b', ...)`. */
export interface InNode {
  readonly type: "in";
  readonly property: PropertyNode;
  readonly values: ReadonlySet<string>;
  readonly negated: boolean;
  readonly height: number;
}

export type StringTest = "contains" | "startsWith" | "endsWith";

/** `x [NOT] CONTAINS | STARTSWITH | ENDSWITH 'search'` (RocketMQ 5.1.3 and later). */
export interface StringTestNode {
  readonly type: "stringTest";
  readonly test: StringTest;
  readonly operand: Sql92Node;
  readonly search: string;
  readonly negated: boolean;
  readonly height: number;
}

export type Sql92Node =
  | PropertyNode
  | ConstantNode
  | NegateNode
  | LogicNode
  | NotNode
  | BooleanCastNode
  | EqualNode
  | OrderingNode
  | InNode
  | StringTestNode;
