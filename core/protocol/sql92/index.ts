// Public surface of the SQL92 property filter: what a consumer subscribing with expressionType
// "SQL92" asks the broker to apply to each message's properties (RocketMQ's filter module,
// SqlFilter.java). Compile once per subscription, when the broker first sees it (heartbeat,
// CHECK_CLIENT_CONFIG or a pull carrying it), and answer SUBSCRIPTION_PARSE_FAILED on Sql92Error;
// then call matches() per message, which never throws and allocates nothing of its own.

import type { Sql92Node } from "./ast.ts";
import { evaluateSql92, type PropertyLookup } from "./evaluate.ts";
import { parseSql92 } from "./parser.ts";

export { Sql92Error } from "./error.ts";
export { sql92ExpressionLengthMax, sql92NestingDepthMax } from "./bounds.ts";
export type { PropertyLookup } from "./evaluate.ts";
export type { Sql92Node } from "./ast.ts";

export interface Sql92Filter {
  /** The expression as the client sent it. */
  readonly expression: string;
  /**
   * True when the message whose properties `property` reads matches. RocketMQ evaluates against
   * the full property map, system properties such as TAGS and KEYS included.
   */
  matches(property: PropertyLookup): boolean;
}

/** Compiles a SQL92 filter expression; throws Sql92Error when RocketMQ would refuse it. */
export function compileSql92(expression: string): Sql92Filter {
  const root: Sql92Node = parseSql92(expression);
  return {
    expression,
    matches: (property) => evaluateSql92(root, property),
  };
}
