// Logging: one line per event on stderr, so stdout stays for machine-readable output (ready
// lines, --json). Servers log why they close a connection or refuse a request.

export type LogLevel = "debug" | "info" | "warn" | "error";

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  child(component: string): Logger;
}

export interface LogSink {
  write(line: string): void;
}

const stderrSink: LogSink = { write: (line) => process.stderr.write(line + "\n") };

export function parseLogLevel(raw: string | undefined, fallback: LogLevel = "info"): LogLevel {
  if (raw === "debug" || raw === "info" || raw === "warn" || raw === "error") return raw;
  return fallback;
}

export function createLogger(
  component: string,
  options: { level?: LogLevel; sink?: LogSink } = {},
): Logger {
  const minimum = levelRank[options.level ?? parseLogLevel(process.env.RMQ_LOG_LEVEL)];
  const sink = options.sink ?? stderrSink;
  const emit = (level: LogLevel, message: string) => {
    if (levelRank[level] < minimum) return;
    sink.write(`${new Date().toISOString()} ${level.toUpperCase()} [${component}] ${message}`);
  };
  return {
    debug: (m) => emit("debug", m),
    info: (m) => emit("info", m),
    warn: (m) => emit("warn", m),
    error: (m) => emit("error", m),
    child: (sub) => createLogger(`${component}/${sub}`, options),
  };
}

/** A logger that keeps lines in memory, for tests that assert what was logged. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger("test", { level: "debug", sink: { write: (l) => lines.push(l) } });
  return Object.assign(logger, { lines });
}
