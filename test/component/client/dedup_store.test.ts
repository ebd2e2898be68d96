// The consumer's de-duplication helper: DedupStore (a TTL'd set of handled keys in an
// append-only, checksummed file) and idempotentHandler wrapped around a handler. Real files in
// a temp folder, a ManualClock for time, and one real kill -9 of a child process.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEDUP_FILE_MAGIC, DedupStore, encodeDedupLine } from "../../../core/client/dedup_store.ts";
import { idempotentHandler, keyOfKeys, keyOfProperty } from "../../../core/client/idempotent.ts";
import type { ReceivedMessage } from "../../../core/client/received_message.ts";
import { ManualClock } from "../../../core/common/clock.ts";
import { ConfigError } from "../../../core/common/errors.ts";

let dir: string;
let fileCount = 0;
const freshPath = () => join(dir, `dedup-${fileCount++}`, "dedup.log");

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rmq-dedup-"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function message(msgId: string, extra: Partial<ReceivedMessage> = {}): ReceivedMessage {
  return {
    topic: "T",
    queueId: 0,
    queueOffset: 0,
    commitLogOffset: 0,
    msgId,
    offsetMsgId: msgId,
    tags: undefined,
    keys: [],
    properties: new Map(),
    body: new Uint8Array(0),
    bornTimestamp: 0,
    storeTimestamp: 0,
    bornHost: "127.0.0.1:1",
    storeHost: "127.0.0.1:2",
    reconsumeTimes: 0,
    sysFlag: 0,
    ...extra,
  };
}

/** Lets every pending promise callback run (no timers involved). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe("client: dedup", () => {
  test("client: dedup: a repeated delivery of a handled key is skipped", async () => {
    const clock = new ManualClock();
    using store = DedupStore.open(freshPath(), { clock });
    const handled: string[] = [];
    const skipped: string[] = [];
    const handler = idempotentHandler(store, (m) => void handled.push(m.msgId), undefined, {
      onSkip: (_m, key) => skipped.push(key),
    });
    await handler(message("A"));
    await handler(message("B"));
    await handler(message("A"));
    await handler(message("A", { reconsumeTimes: 1, queueId: 3 }));
    expect(handled).toEqual(["A", "B"]);
    expect(skipped).toEqual(["A", "A"]);
  });

  test("client: dedup: a failed handler leaves the key unrecorded so the retry runs", async () => {
    const clock = new ManualClock();
    using store = DedupStore.open(freshPath(), { clock });
    let callCount = 0;
    const handler = idempotentHandler(store, () => {
      callCount++;
      if (callCount === 1) throw new Error("downstream unavailable");
    });
    await expect(handler(message("A"))).rejects.toThrow("downstream unavailable");
    await settle();
    expect(store.has("A")).toBe(false);
    await handler(message("A")); // the retry
    expect(store.has("A")).toBe(true);
    await handler(message("A")); // a third delivery: skipped
    expect(callCount).toBe(2);
  });

  test("client: dedup: a key expires after ttlMs on the manual clock", async () => {
    const clock = new ManualClock();
    const path = freshPath();
    const store = DedupStore.open(path, { clock, ttlMs: 60_000 });
    let callCount = 0;
    const handler = idempotentHandler(store, () => void callCount++);
    await handler(message("A"));
    clock.advance(59_999);
    await handler(message("A"));
    expect(callCount).toBe(1);
    clock.advance(1);
    expect(store.has("A")).toBe(false);
    await handler(message("A"));
    expect(callCount).toBe(2);
    store.close();
    // An expired record is not brought back by a reopen either.
    clock.advance(60_000);
    using reopened = DedupStore.open(path, { clock, ttlMs: 60_000 });
    expect(reopened.has("A")).toBe(false);
    expect(reopened.stats().liveCount).toBe(0);
  });

  test("client: dedup: handled keys survive close and reopen", async () => {
    const clock = new ManualClock();
    const path = freshPath();
    const store = DedupStore.open(path, { clock });
    for (const key of ["A", "B", "C"]) store.add(key);
    store.close();
    expect(readFileSync(path, "utf8").startsWith(`${DEDUP_FILE_MAGIC}\n`)).toBe(true);
    using reopened = DedupStore.open(path, { clock });
    expect(["A", "B", "C", "D"].map((k) => reopened.has(k))).toEqual([true, true, true, false]);
    let callCount = 0;
    await idempotentHandler(reopened, () => void callCount++)(message("B"));
    expect(callCount).toBe(0);
  });

  test("client: dedup: records survive kill -9 of the process without close", () => {
    const path = freshPath();
    const script = join(dir, "kill9.ts");
    const storeModule = join(import.meta.dir, "../../../core/client/dedup_store.ts");
    const clockModule = join(import.meta.dir, "../../../core/common/clock.ts");
    writeFileSync(
      script,
      [
        `import { DedupStore } from ${JSON.stringify(storeModule)};`,
        `import { ManualClock } from ${JSON.stringify(clockModule)};`,
        // A long fsync interval: survival must come from write(2) alone, not from fsync.
        `const store = DedupStore.open(${JSON.stringify(path)}, { clock: new ManualClock(), ` +
          `fsyncIntervalMs: 3_600_000 });`,
        `for (let i = 0; i < 100; i++) store.add("key-" + i);`,
        `process.kill(process.pid, "SIGKILL");`,
      ].join("\n"),
    );
    const child = Bun.spawnSync([process.execPath, script], { stderr: "pipe" });
    expect(child.signalCode).toBe("SIGKILL");
    using store = DedupStore.open(path, { clock: new ManualClock() });
    expect(store.stats().liveCount).toBe(100);
    expect(store.has("key-0") && store.has("key-99")).toBe(true);
  });

  test("client: dedup: a torn last line and garbage are dropped, valid records kept", () => {
    const clock = new ManualClock();
    const path = freshPath();
    const store = DedupStore.open(path, { clock });
    for (const key of ["A", "B", "C"]) store.add(key);
    store.close();
    const nowMs = clock.nowMs();
    appendFileSync(path, "\u0000\u0000garbage\u00ff\tnot a record\n");
    appendFileSync(path, encodeDedupLine("D", nowMs));
    // A crash in the middle of an append: the line has no LF (and its CRC is cut short).
    appendFileSync(path, encodeDedupLine("E", nowMs).slice(0, -4));
    const repaired = DedupStore.open(path, { clock });
    expect(repaired.stats().skippedLineCount).toBe(1);
    expect(repaired.stats().droppedTailBytes).toBeGreaterThan(0);
    expect(["A", "B", "C", "D", "E"].map((k) => repaired.has(k))).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
    // Open rewrote the file, so a new append cannot continue the torn line.
    repaired.add("F");
    repaired.close();
    using again = DedupStore.open(path, { clock });
    expect(again.stats().skippedLineCount).toBe(0);
    expect(again.stats().droppedTailBytes).toBe(0);
    expect(["A", "D", "E", "F"].map((k) => again.has(k))).toEqual([true, true, false, true]);
  });

  test("client: dedup: a record whose checksum fails is skipped, never misread", () => {
    const clock = new ManualClock();
    const path = freshPath();
    const store = DedupStore.open(path, { clock });
    store.add("order-17");
    store.add("order-18");
    store.close();
    // One flipped character turns order-17 into order-19; the CRC no longer matches.
    writeFileSync(path, readFileSync(path, "utf8").replace("order-17", "order-19"));
    using reopened = DedupStore.open(path, { clock });
    expect(reopened.stats().skippedLineCount).toBe(1);
    expect(reopened.has("order-19")).toBe(false);
    expect(reopened.has("order-17")).toBe(false);
    expect(reopened.has("order-18")).toBe(true);
  });

  test("client: dedup: a torn header opens empty; a foreign file is a ConfigError", () => {
    const clock = new ManualClock();
    const torn = freshPath();
    DedupStore.open(torn, { clock }).close();
    writeFileSync(torn, DEDUP_FILE_MAGIC.slice(0, 4));
    const store = DedupStore.open(torn, { clock });
    expect(store.stats().liveCount).toBe(0);
    store.add("A");
    store.close();
    expect(DedupStore.open(torn, { clock }).has("A")).toBe(true);

    const foreign = join(dir, "offsets.json");
    writeFileSync(foreign, '{"offsetTable": {}}\n');
    expect(() => DedupStore.open(foreign, { clock })).toThrow(ConfigError);
    expect(readFileSync(foreign, "utf8")).toBe('{"offsetTable": {}}\n');
  });

  test("client: dedup: compaction keeps the live records and drops the dead", () => {
    const clock = new ManualClock();
    const path = freshPath();
    const options = { clock, ttlMs: 10_000, compactLineCountMin: 20 };
    const store = DedupStore.open(path, options);
    for (let i = 0; i < 15; i++) store.add(`old-${i}`);
    clock.advance(5_000);
    for (let i = 0; i < 4; i++) store.add(`new-${i}`);
    expect(store.stats().compactionCount).toBe(0);
    clock.advance(5_000); // the old ones expire; the new ones have 5 s left
    store.add("newest"); // 20 records in the file, 5 live: compact
    expect(store.stats().compactionCount).toBe(1);
    expect(store.stats().fileLineCount).toBe(5);
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(6); // magic + 5 records
    store.close();
    using reopened = DedupStore.open(path, options);
    expect(reopened.has("old-0")).toBe(false);
    expect(["new-0", "new-3", "newest"].every((k) => reopened.has(k))).toBe(true);
    expect(reopened.stats().liveCount).toBe(5);
  });

  test("client: dedup: compaction also runs from the clock tick", () => {
    const clock = new ManualClock();
    const options = { clock, ttlMs: 1_000, compactLineCountMin: 10, fsyncIntervalMs: 500 };
    using store = DedupStore.open(freshPath(), options);
    for (let i = 0; i < 10; i++) store.add(`k-${i}`);
    expect(store.stats().compactionCount).toBe(0);
    clock.advance(1_000); // the timer ticks: all expired, the file is rewritten empty
    expect(store.stats().compactionCount).toBe(1);
    expect(store.stats().fileLineCount).toBe(0);
    store.close();
    expect(clock.pendingTimerCount()).toBe(0);
  });

  test("client: dedup: maxEntries forgets the oldest keys first", () => {
    const clock = new ManualClock();
    const path = freshPath();
    const store = DedupStore.open(path, { clock, maxEntries: 3 });
    for (const key of ["A", "B", "C"]) {
      store.add(key);
      clock.advance(1);
    }
    store.add("B"); // handled again: now the youngest
    store.add("D"); // over the limit: A, the oldest, goes
    expect(["A", "B", "C", "D"].map((k) => store.has(k))).toEqual([false, true, true, true]);
    store.add("E"); // C goes
    expect(["B", "C", "D", "E"].map((k) => store.has(k))).toEqual([true, false, true, true]);
    expect(store.stats().evictedCount).toBe(2);
    store.close();
    // The file still holds every record; the limit holds on reopen too, and a smaller one wins.
    using reopened = DedupStore.open(path, { clock, maxEntries: 2 });
    expect(["B", "C", "D", "E"].map((k) => reopened.has(k))).toEqual([false, false, true, true]);
  });

  test("client: dedup: concurrent duplicate deliveries run the handler once", async () => {
    const clock = new ManualClock();
    using store = DedupStore.open(freshPath(), { clock });
    const gate = Promise.withResolvers<void>();
    let callCount = 0;
    let skipCount = 0;
    const inner = async () => {
      callCount++;
      await gate.promise;
    };
    // Two handlers over one store, as two consumers of a group in one process would have.
    const first = idempotentHandler(store, inner, undefined, { onSkip: () => skipCount++ });
    const second = idempotentHandler(store, inner, undefined, { onSkip: () => skipCount++ });
    const runs = [first(message("A")), second(message("A", { queueId: 1 })), first(message("A"))];
    await settle();
    expect(callCount).toBe(1); // the others wait for the running one
    gate.resolve();
    await Promise.all(runs);
    expect(callCount).toBe(1);
    expect(skipCount).toBe(2);
    expect(store.has("A")).toBe(true);
  });

  test("client: dedup: a waiting duplicate runs the handler when the first fails", async () => {
    const clock = new ManualClock();
    using store = DedupStore.open(freshPath(), { clock });
    const gate = Promise.withResolvers<void>();
    let callCount = 0;
    const handler = idempotentHandler(store, async () => {
      callCount++;
      if (callCount === 1) {
        await gate.promise;
        throw new Error("first attempt failed");
      }
    });
    const first = handler(message("A"));
    const second = handler(message("A", { queueId: 1 }));
    const third = handler(message("A", { queueId: 2 }));
    await settle();
    expect(callCount).toBe(1);
    gate.resolve();
    await expect(first).rejects.toThrow("first attempt failed");
    await second; // took over after the failure and succeeded
    await third; // waited for the second, then skipped
    expect(callCount).toBe(2);
    expect(store.has("A")).toBe(true);
  });

  test("client: dedup: business keys come from a property or the KEYS", async () => {
    const clock = new ManualClock();
    using store = DedupStore.open(freshPath(), { clock });
    const handled: string[] = [];
    const byOrder = idempotentHandler(store, (m) => void handled.push(m.msgId), keyOfProperty("o"));
    // Same order from two producer sends: different UNIQ_KEYs, one business key.
    await byOrder(message("U1", { properties: new Map([["o", "order-1"]]) }));
    await byOrder(message("U2", { properties: new Map([["o", "order-1"]]) }));
    // No key at all: nothing to de-duplicate by, so it always runs.
    await byOrder(message("U3"));
    await byOrder(message("U3"));
    expect(handled).toEqual(["U1", "U3", "U3"]);
    expect(store.has("order-1")).toBe(true);

    const byKeys = idempotentHandler(store, (m) => void handled.push(m.msgId), keyOfKeys);
    await byKeys(message("U4", { keys: ["k1", "k2"] }));
    await byKeys(message("U5", { keys: ["k1", "k2"] }));
    expect(handled.slice(3)).toEqual(["U4"]);
    expect(store.has("k1 k2")).toBe(true);
  });

  test("client: dedup: keys with tabs, newlines, percent signs and great length round-trip", () => {
    const clock = new ManualClock();
    const path = freshPath();
    const odd = ["a\tb", "line\nbreak\r", "100%", "%09", "ключ-键", "x".repeat(5_000)];
    const store = DedupStore.open(path, { clock });
    for (const key of odd) store.add(key);
    store.close();
    const text = readFileSync(path, "utf8");
    expect(text.split("\n")).toHaveLength(odd.length + 2); // magic, records, final ""
    expect(text.length).toBeLessThan(2_000); // the long key is stored as its SHA-256
    using reopened = DedupStore.open(path, { clock });
    expect(reopened.stats().skippedLineCount).toBe(0);
    expect(odd.every((k) => reopened.has(k))).toBe(true);
    expect(reopened.has("a b")).toBe(false);
    expect(reopened.has("x".repeat(4_999))).toBe(false);
  });

  test("client: dedup: invalid options are a ConfigError", () => {
    const clock = new ManualClock();
    expect(() => DedupStore.open(freshPath(), { clock, ttlMs: 0 })).toThrow(ConfigError);
    expect(() => DedupStore.open(freshPath(), { clock, maxEntries: -1 })).toThrow(ConfigError);
    expect(() => DedupStore.open(freshPath(), { clock, fsyncIntervalMs: 1.5 })).toThrow(
      ConfigError,
    );
  });
});
