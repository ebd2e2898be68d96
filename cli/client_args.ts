// Shared by the client commands: name server addresses (-n, NAMESRV_ADDR, 127.0.0.1:9876) and
// durations like "5s", "500ms", "2m".

import { ConfigError } from "../core/common/index.ts";

export function namesrvAddrsFrom(flag: string | undefined): string[] {
  const raw = flag ?? process.env.NAMESRV_ADDR ?? "127.0.0.1:9876";
  const addrs = raw
    .split(";")
    .map((a) => a.trim())
    .filter(Boolean);
  for (const addr of addrs) {
    if (!/^[^:\s]+:\d+$/.test(addr) && !/^\[[0-9a-fA-F:]+\]:\d+$/.test(addr)) {
      throw new ConfigError(`bad name server address "${addr}": expected host:port`);
    }
  }
  if (addrs.length === 0) throw new ConfigError("no name server address given");
  return addrs;
}

export function parseDurationMs(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match)
    throw new ConfigError(`--${flag} expects a duration like 500ms, 5s or 2m, got "${text}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[
    (match[2] ?? "s") as "ms" | "s" | "m" | "h"
  ];
  return Math.round(Number(match[1]) * unit);
}

export function positiveInt(
  value: string | number | undefined,
  flag: string,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new ConfigError(`--${flag} expects a positive whole number`);
  return n;
}
