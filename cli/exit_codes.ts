// Exit codes of every rmq subcommand. Stable: scripts depend on them; never change a meaning.

export const ExitCode = {
  OK: 0,
  /** The operation failed (a remote error, a refused request, data not found). */
  FAILURE: 1,
  /** The command line was wrong: unknown flag, missing argument, bad value. */
  USAGE: 2,
  /** A config file or config value was invalid. */
  CONFIG: 3,
  /** A server could not start: port in use, unreadable state files. */
  STARTUP: 4,
  /** rmq tx: the transaction was rolled back, or is still unknown when rmq tx stops waiting. */
  NOT_COMMITTED: 5,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
