// The small set of named error classes rmq throws (STYLE rule 6). Expected failures of the
// store and processors are values, not exceptions; these are for the edges.

export class ProtocolError extends Error {
  override name = "ProtocolError";
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export class CorruptionError extends Error {
  override name = "CorruptionError";
}

/** The peer answered with a non-success RocketMQ response code. */
export class RemoteError extends Error {
  override name = "RemoteError";
  constructor(
    readonly code: number,
    readonly remark: string | null,
    options?: { cause?: unknown },
  ) {
    super(`remote error code ${code}${remark ? `: ${remark}` : ""}`, options);
  }
}

export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/** A connection closed or failed while a request was pending or being written. */
export class ConnectionError extends Error {
  override name = "ConnectionError";
}
