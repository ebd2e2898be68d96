// Bounds on SQL92 filter expressions (STYLE rule 2). Subscriptions arrive from any client, so a
// hostile or broken expression must not be able to exhaust the stack (deep nesting makes both the
// recursive-descent parser and the evaluator recurse) or hold much memory. RocketMQ itself sets no
// bound and relies on catching StackOverflowError; we refuse early and say why instead.
// These belong with the other limits in core/config/limits.ts once something outside this folder
// needs them.

/** Longest expression accepted, in UTF-16 code units (8 KiB of ASCII). */
export const sql92ExpressionLengthMax = 8 * 1024;

/**
 * Deepest nesting accepted: both parenthesis / prefix-operator nesting while parsing and the
 * height of the finished tree (which bounds evaluation recursion). Long AND / OR chains are kept
 * flat, so they do not count against it.
 */
export const sql92NestingDepthMax = 64;
