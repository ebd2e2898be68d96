// Invariant checks. A failed assert is a bug in rmq, never a reaction to bad input:
// input is validated at the edge and turned into typed errors (see errors.ts).

export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** For switch exhaustiveness: the compiler proves `value` is `never`; at run time it is a bug. */
export function unreachable(value: never, what = "value"): never {
  throw new AssertionError(`unreachable ${what}: ${String(value)}`);
}
