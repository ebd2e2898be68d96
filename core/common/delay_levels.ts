// Delay levels (spec §6.1): messageDelayLevel = "1s 5s 10s 30s 1m ..." names the delay of each
// level, 1-based. A message with DELAY=n waits delay(n); levels above the last are clamped to it.

import { ConfigError } from "./errors.ts";

export const defaultMessageDelayLevel =
  "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";

const unitMs: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export class DelayLevels {
  /** delaysMs[level - 1] is the delay of `level`. */
  private constructor(readonly delaysMs: readonly number[]) {}

  /** Parses RocketMQ's messageDelayLevel; throws ConfigError naming the bad token. */
  static parse(text: string): DelayLevels {
    const tokens = text.trim().split(/\s+/).filter(Boolean);
    if (tokens.length === 0) throw new ConfigError("messageDelayLevel names no delay levels");
    const delaysMs = tokens.map((token) => {
      const match = /^(\d+)([smhd])$/.exec(token);
      if (!match) {
        throw new ConfigError(
          `messageDelayLevel: "${token}" is not a delay (a number and one of s, m, h, d)`,
        );
      }
      return Number(match[1]) * unitMs[match[2]!]!;
    });
    return new DelayLevels(delaysMs);
  }

  get maxLevel(): number {
    return this.delaysMs.length;
  }

  /** The level a requested one becomes: above the last is the last; 0 and below: no delay. */
  clamp(level: number): number {
    return level > this.maxLevel ? this.maxLevel : level;
  }

  /** Delay of a level in ms (clamped; 0 for no delay). */
  delayMs(level: number): number {
    const clamped = this.clamp(level);
    return clamped > 0 ? this.delaysMs[clamped - 1]! : 0;
  }
}
