// Our store readers against stores Apache RocketMQ 4.9.7 wrote (shared/fixtures/rocketmq-store):
// every record copy the manifest lists decodes at its offset with the recorded fields, scans
// and verify agree with the manifest's independent scan, index lookups find what the broker's
// QUERY_MESSAGE found, and damage is reported at the right offset.

import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { openSync, writeSync, closeSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { formatHost } from "../../../core/common/message.ts";
import { DelayLevels, defaultMessageDelayLevel } from "../../../core/common/delay_levels.ts";
import { DispatchProperties } from "../../../core/store/dispatch_properties.ts";
import { SCHEDULE_TOPIC_XXXX, unitTagsCode } from "../../../core/store/dispatch.ts";
import { readQueueUnits } from "../../../core/store/consume_queue_read.ts";
import {
  CommitLogReader,
  decodeCheckpoint,
  listIndexFiles,
  queryIndex,
  RealFileIO,
  scanCommitLog,
  storePaths,
  verifyStore,
  indexKeysOf,
} from "../../../core/store/index.ts";
import {
  scratchStoreCopy,
  storeFixture,
  storeManifest,
  type StoreFixture,
} from "../../harness/store_fixtures.ts";
import { sharedFixturesDir, skipReason } from "../../harness/shared_fixtures.ts";

const io = new RealFileIO();
const describeIfFixtures = sharedFixturesDir ? describe : describe.skip;
if (!sharedFixturesDir) console.warn(`skipping RocketMQ store tests: ${skipReason}`);

function scanAll(root: string) {
  const items = [];
  const scan = scanCommitLog(io, storePaths(root).commitLog, { checkCrc: true });
  let step = scan.next();
  for (; !step.done; step = scan.next()) items.push(step.value);
  return { items, end: step.value };
}

describeIfFixtures("store: rocketmq 4.9.7 stores", () => {
  for (const name of ["clean", "crash"] as StoreFixture[]) {
    test(`store: rocketmq stores: ${name}: every manifest copy decodes with its fields`, () => {
      const root = storeFixture(name)!;
      const manifest = storeManifest(name);
      const reader = new CommitLogReader(io, storePaths(root).commitLog);
      let copies = 0;
      for (const message of manifest.messages) {
        const copiesOfMessage =
          message.storeCopies ?? (message.storeCopy ? [message.storeCopy] : []);
        for (const copy of copiesOfMessage) {
          const found = reader.recordAt(copy.commitLogOffset, true);
          expect(found?.kind).toBe("record");
          if (found?.kind !== "record") continue;
          const r = found.record;
          expect({
            topic: r.topic,
            queueId: r.queueId,
            queueOffset: r.queueOffset,
            storeSize: r.totalSize,
            sysFlag: r.sysFlag,
            flag: r.flag,
            bodyCRC: r.bodyCrc,
            bornTimestamp: r.bornTimestamp,
            bornHost: formatHost(r.bornHost),
            storeTimestamp: r.storeTimestamp,
            storeHost: formatHost(r.storeHost),
            reconsumeTimes: r.reconsumeTimes,
            preparedTransactionOffset: r.preparedTransactionOffset,
            storedBodyLen: r.body.length,
            storedBodySha256: createHash("sha256").update(r.body).digest("hex"),
            storedPropertiesString: r.properties,
          }).toEqual({
            topic: copy.topic,
            queueId: copy.queueId,
            queueOffset: copy.queueOffset,
            storeSize: copy.storeSize,
            sysFlag: copy.sysFlag,
            flag: copy.flag,
            bodyCRC: copy.bodyCRC,
            bornTimestamp: copy.bornTimestamp,
            bornHost: copy.bornHost,
            storeTimestamp: copy.storeTimestamp,
            storeHost: copy.storeHost,
            reconsumeTimes: copy.reconsumeTimes,
            preparedTransactionOffset: copy.preparedTransactionOffset,
            storedBodyLen: copy.storedBodyLen,
            storedBodySha256: copy.storedBodySha256,
            storedPropertiesString: copy.storedPropertiesString,
          });
          expect(r.physicalOffset).toBe(copy.commitLogOffset);
          copies++;
        }
      }
      expect(copies).toBeGreaterThanOrEqual(name === "clean" ? 1540 : 302);
      // Every send the broker acknowledged is stored where its offset message id says.
      for (const message of manifest.messages) {
        if (message.sendStatus !== "SEND_OK" || message.commitLogOffsetFromOffsetMsgId == null)
          continue;
        const found = reader.recordAt(message.commitLogOffsetFromOffsetMsgId);
        expect(found?.kind).toBe("record");
      }
    });

    test(`store: rocketmq stores: ${name}: scan and verify agree with the manifest`, () => {
      const root = storeFixture(name)!;
      const scan = storeManifest(name).storeScan;
      const { items, end } = scanAll(root);
      const byQueue: Record<string, number> = {};
      for (const item of items) {
        if (item.kind !== "record") continue;
        const key = `${item.record.topic}/${item.record.queueId}`;
        byQueue[key] = (byQueue[key] ?? 0) + 1;
      }
      expect(byQueue).toEqual(scan.commitlog.messagesByTopicQueue);
      expect(end.endOffset).toBe(scan.commitlog.maxPhyOffset);
      const blanks = items.filter((i) => i.kind === "blank").map((i) => i.position);
      expect(blanks).toEqual(
        scan.commitlog.blankMarkers.map((b: { physOffset: number }) => b.physOffset),
      );
      const report = verifyStore(io, root);
      expect(report.problems).toEqual([]);
      expect(report.units).toBe(scan.commitlog.messages);
      const indexEntries = scan.index.reduce(
        (n: number, f: { entries: number }) => n + f.entries,
        0,
      );
      expect(report.indexEntries).toBe(indexEntries);
    });
  }

  test("store: rocketmq stores: index lookups find what the broker's QUERY_MESSAGE found", () => {
    const root = storeFixture("clean")!;
    const paths = storePaths(root);
    const { files, problems } = listIndexFiles(io, paths.index);
    expect(problems).toEqual([]);
    expect(files.map((f) => f.geometry)).toEqual([
      { hashSlotNum: 1024, indexNum: 4096 },
      { hashSlotNum: 1024, indexNum: 4096 },
    ]);
    const reader = new CommitLogReader(io, paths.commitLog);
    for (const query of storeManifest("clean").queryByKey) {
      const key = `${query.topic}#${query.key}`;
      const offsets = queryIndex(io, files, key, 0, Number.MAX_SAFE_INTEGER, 64).filter((o) => {
        const found = reader.recordAt(o);
        return found?.kind === "record" && indexKeysOf(found.record).includes(key);
      });
      const expected = query.results.map((r: { commitLogOffset: number }) => r.commitLogOffset);
      expect(offsets.sort((a, b) => a - b)).toEqual(expected.sort((a: number, b: number) => a - b));
    }
  });

  test("store: rocketmq stores: checkpoint fields decode (clean) and all-zero (crash)", () => {
    const clean = decodeCheckpoint(io.map(storePaths(storeFixture("clean")!).checkpoint));
    expect(clean).toMatchObject({
      physicMsgTimestamp: 1795608086672,
      logicsMsgTimestamp: 1795608089586,
      indexMsgTimestamp: 1795608074899,
    });
    const crash = decodeCheckpoint(io.map(storePaths(storeFixture("crash")!).checkpoint));
    expect(crash.physicMsgTimestamp).toBe(0);
  });

  test("store: rocketmq stores: a flipped body byte is reported at its record", () => {
    const root = scratchStoreCopy("clean");
    const target = storeManifest("clean").messages[0].storeCopies[0];
    const segment = join(storePaths(root).commitLog, target.segment);
    const fd = openSync(segment, "r+");
    const bodyAt = target.commitLogOffset - Number(target.segment) + 88; // v1/IPv4 body start
    writeSync(fd, Uint8Array.of(0x5a ^ 0xff), 0, 1, bodyAt);
    closeSync(fd);
    const report = verifyStore(io, root);
    expect(report.problems[0]).toMatchObject({
      offset: target.commitLogOffset,
      reason: "body CRC mismatch",
    });
  });

  test("store: rocketmq stores: a torn last segment stops the scan at the torn record", () => {
    const root = scratchStoreCopy("crash");
    const last = join(storePaths(root).commitLog, "00000000000001048576");
    truncateSync(last, 1078352 - 1048576 - 100); // cut into the last record
    const { items, end } = scanAll(root);
    const corrupt = items.find((i) => i.kind === "corrupt");
    expect(corrupt?.kind).toBe("corrupt");
    expect(end.stoppedAt).toBe("corrupt");
    expect(end.endOffset).toBeLessThan(1078352);
    expect(items.filter((i) => i.kind === "record")).toHaveLength(301);
  });
});

describeIfFixtures("store: rocketmq 4.9.7 delayed units", () => {
  test("store: rocketmq stores: SCHEDULE_TOPIC_XXXX units carry the due time we compute", () => {
    const root = storeFixture("clean")!;
    const paths = storePaths(root);
    const reader = new CommitLogReader(io, paths.commitLog);
    const levels = DelayLevels.parse(defaultMessageDelayLevel);
    const properties = new DispatchProperties();
    let checked = 0;
    for (let queueId = 0; queueId < 18; queueId++) {
      const dir = join(paths.consumeQueue, SCHEDULE_TOPIC_XXXX, String(queueId));
      if (!io.exists(dir)) continue;
      for (const unit of readQueueUnits(io, dir)) {
        const found = reader.recordAt(unit.physicalOffset, true);
        if (found?.kind !== "record") throw new Error(`no record at ${unit.physicalOffset}`);
        const record = { ...found.record, position: found.record.physicalOffset };
        properties.scan(record.properties);
        expect(unitTagsCode(record, properties, levels)).toBe(unit.tagsCode);
        checked++;
      }
    }
    expect(checked).toBe(8); // 1 at level 1, 7 at level 3 (README: 1 delay + 6 retries)
  });
});
