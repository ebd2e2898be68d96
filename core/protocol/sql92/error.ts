// The one error a SQL92 filter expression can raise: it is rejected when compiled, never while a
// message is being matched. The broker answers it with SUBSCRIPTION_PARSE_FAILED (spec §3.3
// PULL_MESSAGE, §3.5 CHECK_CLIENT_CONFIG).

/** An invalid SQL92 filter expression; `position` is the 0-based UTF-16 offset of the problem. */
export class Sql92Error extends Error {
  override name = "Sql92Error";
  readonly reason: string;
  readonly position: number;

  constructor(reason: string, position: number) {
    super(`${reason} at ${position}`);
    this.reason = reason;
    this.position = position;
  }
}
