// Stored properties against what RocketMQ 4.9.7 stored (shared/fixtures/rocketmq-store): for every
// single-message record, the properties a client would send (the stored ones without CLUSTER,
// plus WAIT) become exactly the stored string again: same keys, same HashMap order, CLUSTER in
// its bucket's place.

import { describe, expect, test } from "bun:test";
import { storedProperties } from "../../../core/broker/processors/send.ts";
import { parseMessageProperties } from "../../../core/common/message.ts";
import { RealFileIO, scanCommitLog, storePaths } from "../../../core/store/index.ts";
import { sharedFixturesDir, skipReason } from "../../harness/shared_fixtures.ts";
import { storeFixture, type StoreFixture } from "../../harness/store_fixtures.ts";

const describeIfFixtures = sharedFixturesDir ? describe : describe.skip;
if (!sharedFixturesDir) console.warn(`skipping stored-properties tests: ${skipReason}`);

describeIfFixtures("broker: stored properties", () => {
  for (const name of ["clean", "crash"] as StoreFixture[]) {
    test(`broker: stored properties: as RocketMQ 4.9.7 stored them (${name} store)`, () => {
      const scan = scanCommitLog(new RealFileIO(), storePaths(storeFixture(name)!).commitLog, {
        checkCrc: true,
      });
      let checked = 0;
      for (let step = scan.next(); !step.done; step = scan.next()) {
        if (step.value.kind !== "record") continue;
        const stored = step.value.record.properties;
        const pairs = stored.split("\u0002").map((p) => p.split("\u0001"));
        // Batch records repeat keys (each entry's plus the batch header's): not a map. Records
        // that kept WAIT were written by the broker itself (retries, delays), not by a send.
        if (new Set(pairs.map(([k]) => k)).size !== pairs.length) continue;
        if (pairs.some(([k]) => k === "WAIT")) continue;
        const cluster = parseMessageProperties(stored).get("CLUSTER")!;
        const sent = new Map(pairs.filter(([k]) => k !== "CLUSTER") as [string, string][]);
        sent.set("WAIT", "true");
        expect(storedProperties(sent, cluster)).toBe(stored);
        checked++;
      }
      expect(checked).toBeGreaterThan(250);
    });
  }
});
