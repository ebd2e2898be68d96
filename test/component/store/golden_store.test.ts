// Our readers and MessageStore against test/golden/store-small, a store built byte by byte from
// the spec by a generator that shares no code with core/ (see test/golden/README.md): every
// field of every record, the queue units, index lookups, the checkpoint, verify, and a store
// opened on a copy that serves the old messages and appends after them.

import { describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../../../core/common/clock.ts";
import { javaStringHashCode } from "../../../core/common/checksum.ts";
import { formatHost } from "../../../core/common/message.ts";
import {
  decodeCheckpoint,
  decodeRecord,
  listIndexFiles,
  queryIndex,
  readQueueUnits,
  RealFileIO,
  scanCommitLog,
  storePaths,
  verifyStore,
} from "../../../core/store/index.ts";
import { message, openStore, putNow, tempStoreConfig } from "../../harness/temp_store.ts";

const io = new RealFileIO();
const golden = join(import.meta.dir, "..", "..", "golden", "store-small");
const paths = storePaths(golden);
const TOPIC = "GoldenTopic";
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("store: golden store", () => {
  test("store: golden store: every record field as the spec lays it out", () => {
    const records = [];
    const scan = scanCommitLog(io, paths.commitLog, { checkCrc: true });
    let step = scan.next();
    for (; !step.done; step = scan.next()) {
      if (step.value.kind === "record") records.push(step.value.record);
      else throw new Error(`unexpected ${step.value.kind} at ${step.value.position}`);
    }
    expect(step.value.endOffset).toBe(514);
    // Fields every record shares: no flags, hosts 127.0.0.1:50000 (born) and :10911 (store).
    for (const r of records) {
      expect([r.topic, r.flag, r.sysFlag, r.reconsumeTimes, r.preparedTransactionOffset]).toEqual([
        TOPIC,
        0,
        0,
        0,
        0,
      ]);
      expect([formatHost(r.bornHost), formatHost(r.storeHost)]).toEqual([
        "127.0.0.1:50000",
        "127.0.0.1:10911",
      ]);
    }
    const uniq = "UNIQ_KEY\u00017F0000010000C350000000000000000";
    expect(
      records.map((r) => [
        [r.physicalOffset, r.totalSize, r.queueId, r.queueOffset],
        [r.bornTimestamp, r.storeTimestamp],
        text(r.body),
        r.properties,
      ]),
    ).toEqual([
      [
        [0, 166, 0, 0],
        [1_700_000_000_000, 1_700_000_000_100],
        "hello",
        `KEYS\u0001k0\u0002${uniq}0\u0002TAGS\u0001TagA`,
      ],
      [
        [166, 174, 1, 0],
        [1_700_000_000_001, 1_700_000_001_100],
        "world!",
        `KEYS\u0001k1 shared\u0002${uniq}1\u0002TAGS\u0001TagB`,
      ],
      [
        [340, 174, 0, 1],
        [1_700_000_000_002, 1_700_000_002_100],
        "third one",
        `KEYS\u0001shared\u0002${uniq}2\u0002TAGS\u0001TagA`,
      ],
    ]);
    // The record decoder alone, on the raw bytes of the middle record.
    const segment = readFileSync(join(paths.commitLog, "00000000000000000000"));
    const middle = decodeRecord(new Uint8Array(segment.buffer, segment.byteOffset + 166, 174), 0, {
      checkCrc: true,
      basePosition: 166,
    });
    expect(middle.kind === "record" && text(middle.record.body)).toBe("world!");
  });

  test("store: golden store: queue units, index lookups and the checkpoint", () => {
    const units = (queueId: number) =>
      [...readQueueUnits(io, join(paths.consumeQueue, TOPIC, String(queueId)))].map((u) => [
        u.queueOffset,
        u.physicalOffset,
        u.size,
        u.tagsCode,
      ]);
    const tagA = javaStringHashCode("TagA");
    expect(units(0)).toEqual([
      [0, 0, 166, tagA],
      [1, 340, 174, tagA],
    ]);
    expect(units(1)).toEqual([[0, 166, 174, javaStringHashCode("TagB")]]);

    const { files, problems } = listIndexFiles(io, paths.index);
    expect(problems).toEqual([]);
    expect(files.map((f) => [f.geometry, f.header.indexCount, f.header.hashSlotCount])).toEqual([
      [{ hashSlotNum: 4, indexNum: 16 }, 8, 4],
    ]);
    const find = (key: string) =>
      queryIndex(io, files, `${TOPIC}#${key}`, 0, Number.MAX_SAFE_INTEGER, 10).sort(
        (a, b) => a - b,
      );
    expect([find("k0"), find("k1"), find("shared"), find("nothing")]).toEqual([
      [0],
      [166],
      [166, 340],
      [],
    ]);
    expect(find("7F0000010000C3500000000000000002")).toEqual([340]);

    const checkpoint = decodeCheckpoint(readFileSync(paths.checkpoint));
    expect([
      checkpoint.physicMsgTimestamp,
      checkpoint.logicsMsgTimestamp,
      checkpoint.indexMsgTimestamp,
      checkpoint.rmqDurablePhyOffset,
    ]).toEqual([1_700_000_002_100, 1_700_000_002_100, 1_700_000_002_100, undefined]);

    const report = verifyStore(io, golden);
    expect(report).toMatchObject({ records: 3, commitLogEndOffset: 514, units: 3, problems: [] });
    expect(report.indexEntries).toBe(7);
  });

  test("store: golden store: a store opened on a copy serves it and appends after it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rmq-golden-"));
    try {
      const root = join(dir, "store");
      cpSync(golden, root, { recursive: true });
      const config = tempStoreConfig({
        storePathRootDir: root,
        mappedFileSizeCommitLog: 4096,
        mappedFileSizeConsumeQueue: 120,
        maxHashSlotNum: 4,
        maxIndexNum: 16,
      });
      const clock = new ManualClock(1_700_000_010_000);
      const { store, started } = openStore(config, { clock });
      expect(started).toEqual({ abnormal: false, recoveredEnd: 514 });
      const got = store.getMessage(TOPIC, 0, 0, 10, 1 << 20);
      expect(got.messages.map((m) => [m.queueOffset, m.physicalOffset])).toEqual([
        [0, 0],
        [1, 340],
      ]);
      const put = await putNow(store, clock, message(TOPIC, 0, "fourth", { KEYS: "shared" }));
      expect(put.appended.map((a) => [a.physicalOffset, a.queueOffset])).toEqual([[514, 2]]);
      expect(
        store.queryMessage(TOPIC, "shared", 10, 0, Number.MAX_SAFE_INTEGER).map((r) => r.position),
      ).toEqual(expect.arrayContaining([166, 340, 514]));
      store.shutdown();
      expect(verifyStore(io, root).problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
