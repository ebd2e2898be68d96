// What both fuzz scripts start with: the RMQ_FUZZ gate (they run for minutes and are not in CI),
// the RocketMQ-written fixtures they mutate, and a seeded random source (RMQ_SEED replays one).

import { Prng } from "../core/common/prng.ts";
import { sharedFixturesDir } from "../test/harness/shared_fixtures.ts";

export function fuzzSetup(name: string, needs: string) {
  if (process.env.RMQ_FUZZ !== "1") {
    console.log(`${name}: set RMQ_FUZZ=1 to run (it takes minutes)`);
    process.exit(0);
  }
  if (!sharedFixturesDir) {
    console.log(`${name}: ../shared/fixtures is absent: no ${needs}`);
    process.exit(1);
  }
  const seed = Number(process.env.RMQ_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const prng = new Prng(seed);
  const pick = <T>(items: readonly T[]): T => items[prng.below(items.length)]!;
  return { seed, prng, pick };
}
