// Stored properties against what RocketMQ 4.9.7 stored (shared/fixtures/rocketmq-store): for every
// single-message record, the properties a client would send (the stored ones without CLUSTER,
// plus WAIT) become exactly the stored string again: same keys, same HashMap order, CLUSTER in
// its bucket's place.

import { describe, expect, test } from "bun:test";
import { storedProperties } from "../../../core/broker/stored_properties.ts";
import {
  checkedHalfProperties,
  delayedSendProperties,
  halfMessageProperties,
  sendBackProperties,
} from "../../../core/broker/restored_properties.ts";
import { createOffsetMessageId, parseMessageProperties } from "../../../core/common/message.ts";
import {
  CommitLogReader,
  RealFileIO,
  scanCommitLog,
  storePaths,
} from "../../../core/store/index.ts";
import { sharedFixturesDir, skipReason } from "../../harness/shared_fixtures.ts";
import { storeFixture, storeManifest, type StoreFixture } from "../../harness/store_fixtures.ts";

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

describeIfFixtures("broker: restored properties", () => {
  const manifest = sharedFixturesDir ? storeManifest("clean") : { messages: [] };
  const reader = sharedFixturesDir
    ? new CommitLogReader(new RealFileIO(), storePaths(storeFixture("clean")!).commitLog)
    : null;
  const storedAt = (offset: number) => {
    const found = reader!.recordAt(offset, true);
    if (found?.kind !== "record") throw new Error(`no record at ${offset}`);
    return found.record;
  };
  type Copy = { role: string; commitLogOffset: number; reconsumeTimes: number };
  const copiesWith = (role: string) =>
    (manifest.messages as { storeCopies?: Copy[] }[]).filter((m) =>
      m.storeCopies?.some((c) => c.role === role),
    );

  test("broker: restored properties: a delayed send as 4.9.7 stored it in the schedule", () => {
    let checked = 0;
    for (const message of copiesWith("delay-schedule") as any[]) {
      const copy = message.storeCopies.find((c: Copy) => c.role === "delay-schedule");
      const stored = storedAt(copy.commitLogOffset);
      const sent = parseMessageProperties(message.sentPropertiesString);
      const cluster = parseMessageProperties(stored.properties).get("CLUSTER")!;
      const realQueueId = Number(parseMessageProperties(stored.properties).get("REAL_QID"));
      expect(
        delayedSendProperties(sent, cluster, message.flags.delayLevel, message.topic, realQueueId),
      ).toBe(stored.properties);
      checked++;
    }
    expect(checked).toBe(2);
  });

  test("broker: restored properties: send-backs as 4.9.7 stored them (retry and DLQ)", () => {
    let checked = 0;
    for (const message of [...copiesWith("retry-schedule")] as { storeCopies: Copy[] }[]) {
      // Each send-back re-stores the copy the consumer failed on: the original, then a retry.
      const failed = message.storeCopies.filter((c) => c.role === "original" || c.role === "retry");
      const restored = message.storeCopies.filter(
        (c) => c.role === "retry-schedule" || c.role === "dlq",
      );
      expect(failed.length - restored.length).toBeOneOf([0, 1]); // the last retry may succeed
      restored.forEach((copy, i) => {
        const from = storedAt(failed[i]!.commitLogOffset);
        const to = storedAt(copy.commitLogOffset);
        const toDlq = copy.role === "dlq";
        expect(
          sendBackProperties(from.properties, {
            originTopic: from.topic,
            originOffsetMsgId: createOffsetMessageId(from.storeHost, from.physicalOffset),
            delayLevel: toDlq ? 0 : 3 + from.reconsumeTimes,
            retryTopic: "%RETRY%FxGroup",
            retryQueueId: 0,
          }),
        ).toBe(to.properties);
        checked++;
      });
    }
    expect(checked).toBe(7); // 6 retries, 1 dead letter
  });
});

describeIfFixtures("broker: transaction properties", () => {
  const manifest = sharedFixturesDir ? storeManifest("clean") : { messages: [] };
  test("broker: transaction properties: half and re-checked copies as 4.9.7 stored them", () => {
    let checked = 0;
    for (const message of manifest.messages as any[]) {
      const half = message.storeCopies?.find((c: any) => c.role === "tx-half");
      if (!half) continue;
      const sent = parseMessageProperties(message.sentPropertiesString);
      const stored = parseMessageProperties(half.storedPropertiesString);
      const props = halfMessageProperties(
        sent,
        stored.get("CLUSTER")!,
        stored.get("REAL_TOPIC")!,
        Number(stored.get("REAL_QID")),
      );
      expect(props).toBe(half.storedPropertiesString);
      const requeued = message.storeCopies.find((c: any) => c.role === "tx-half-requeued-by-check");
      if (requeued) expect(checkedHalfProperties(props, 1)).toBe(requeued.storedPropertiesString);
      checked++;
    }
    expect(checked).toBe(3);
  });
});
