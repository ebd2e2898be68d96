// Retention on a manual clock (in-memory files): expired commit log files go at deleteWhen,
// the queue and index files that only pointed at them follow, min offsets advance, and a full
// disk refuses writes without touching what is stored.

import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../../core/common/clock.ts";
import { hourMs } from "../../../core/common/units.ts";
import { GetMessageStatus, PutMessageStatus, parseDeleteWhen } from "../../../core/store/index.ts";
import { MemoryFileIO } from "../../harness/memory_file_io.ts";
import { message, openStore, putNow, tempStoreConfig } from "../../harness/temp_store.ts";

const root = "/mem/retention";

function setup(overrides = {}) {
  // 02:00 local time on some day: not a deleteWhen hour ("04").
  const start = new Date(2026, 10, 25, 2, 0, 0).getTime();
  const clock = new ManualClock(start);
  const io = new MemoryFileIO();
  io.now = () => clock.nowMs();
  io.mkdirs(root);
  const config = tempStoreConfig({
    storePathRootDir: root,
    mappedFileSizeCommitLog: 4096,
    mappedFileSizeConsumeQueue: 20 * 10,
    fileReservedTime: 72,
    deleteWhen: "04",
    ...overrides,
  });
  const { store } = openStore(config, { io, clock });
  return { store, clock, io };
}

describe("store: retention", () => {
  test("store: retention: deleteWhen parses RocketMQ's hour lists", () => {
    expect([...parseDeleteWhen("04")]).toEqual([4]);
    expect([...parseDeleteWhen("01;02; 03;25;x")]).toEqual([1, 2, 3]);
  });

  test("store: retention: expired files go at deleteWhen; queues and index follow", async () => {
    const { store, clock } = setup();
    for (let i = 0; i < 60; i++) {
      await putNow(
        store,
        clock,
        message("Old", 0, `old-${i}-${"x".repeat(200)}`, { KEYS: `o${i}` }),
      );
    }
    store.flush();
    const segmentsBefore = store.commitLog.files.segmentStarts().length;
    expect(segmentsBefore).toBeGreaterThan(3);
    clock.advance(73 * hourMs); // now 03:00, three days later: expired but not the hour
    expect(store.retention.run().deletedCommitLogFiles).toBe(0);
    expect(store.commitLog.files.segmentStarts()).toHaveLength(segmentsBefore);
    clock.advance(hourMs); // 04:00: the pass on the clock deletes all but the newest file
    expect(store.commitLog.files.segmentStarts()).toHaveLength(1);
    expect(store.queues.get("Old", 0)!.files.segmentStarts()).toHaveLength(1);
    for (let i = 0; i < 3; i++) await putNow(store, clock, message("New", 0, `new-${i}`));
    const min = store.minOffsetInQueue("Old", 0);
    expect(min).toBeGreaterThan(0);
    expect(store.getMessage("Old", 0, 0, 1, 1 << 20)).toMatchObject({
      status: GetMessageStatus.OFFSET_TOO_SMALL,
      nextBeginOffset: min,
    });
    expect(store.getMessage("Old", 0, min, 100, 1 << 20).status).toBe(GetMessageStatus.FOUND);
    expect(store.getMessage("New", 0, 0, 10, 1 << 20).messages).toHaveLength(3);
    expect(store.queryMessage("Old", "o0", 10, 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
    store.shutdown();
  });

  test("store: retention: files not yet expired stay, unless the disk is nearly full", async () => {
    const { store, clock, io } = setup();
    for (let i = 0; i < 40; i++) await putNow(store, clock, message("T", 0, "y".repeat(300)));
    store.flush();
    store.retention.requestDeletion();
    expect(store.retention.run().deletedCommitLogFiles).toBe(0); // requested, but nothing expired
    io.space = { totalBytes: 100, freeBytes: 10 }; // 90 % used: forcible deletion
    const pass = store.retention.run();
    expect(pass.deletedCommitLogFiles).toBeGreaterThan(0);
    expect(pass.diskFull).toBe(true);
    store.shutdown();
  });

  test("store: retention: a full disk refuses writes; reads go on; writes resume", async () => {
    const { store, clock, io } = setup({ fileReservedTime: 10_000 });
    const kept = await putNow(store, clock, message("F", 0, "kept"));
    io.space = { totalBytes: 1000, freeBytes: 50 };
    clock.advance(10_000); // a retention pass runs on the clock
    const refused = await putNow(store, clock, message("F", 0, "no room"));
    expect(refused).toMatchObject({
      status: PutMessageStatus.SERVICE_NOT_AVAILABLE,
      remark: "disk is full",
    });
    expect(store.getMessage("F", 0, 0, 10, 1 << 20).messages).toHaveLength(1);
    io.space = { totalBytes: 1000, freeBytes: 800 };
    clock.advance(10_000);
    expect((await putNow(store, clock, message("F", 0, "room again"))).status).toBe("PUT_OK");
    expect(kept.status).toBe("PUT_OK");
    store.shutdown();
  });
});
