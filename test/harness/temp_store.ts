// A message store on a temp directory with small files, a manual clock and a quiet logger, for
// component tests. Puts resolve after the clock moves (the store drains on a 0 ms timer).

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../../core/common/clock.ts";
import { memoryLogger } from "../../core/common/log.ts";
import { formatMessageProperties } from "../../core/common/message.ts";
import { storeDefaults, type StoreConfig } from "../../core/config/store_config.ts";
import {
  MessageStore,
  RealFileIO,
  type FileIO,
  type MessageInput,
  type PutResult,
} from "../../core/store/index.ts";

export function tempStoreConfig(overrides: Partial<StoreConfig> = {}): StoreConfig {
  const root = overrides.storePathRootDir ?? mkdtempSync(join(tmpdir(), "rmq-store-"));
  return {
    ...storeDefaults(root),
    storePathRootDir: root,
    mappedFileSizeCommitLog: 64 * 1024,
    mappedFileSizeConsumeQueue: 20 * 50,
    maxHashSlotNum: 64,
    maxIndexNum: 256,
    maxMessageSize: 16 * 1024,
    ...overrides,
  };
}

export function openStore(config: StoreConfig, options: { io?: FileIO; clock?: ManualClock } = {}) {
  const clock = options.clock ?? new ManualClock();
  const log = memoryLogger();
  const store = new MessageStore({ config, io: options.io ?? new RealFileIO(), clock, log });
  const started = store.start();
  return { store, clock, log, started };
}

export function message(
  topic: string,
  queueId: number,
  body: string,
  props: Record<string, string> = {},
): MessageInput {
  return {
    topic,
    queueId,
    flag: 0,
    sysFlag: 0,
    bornTimestamp: 1_700_000_000_000,
    bornHost: { ip: Uint8Array.of(127, 0, 0, 1), port: 40000 },
    storeHost: { ip: Uint8Array.of(127, 0, 0, 1), port: 10911 },
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    body: new TextEncoder().encode(body),
    properties: formatMessageProperties(new Map(Object.entries(props))),
  };
}

/** Puts and moves the manual clock so the store drains (and a sync flush runs). */
export async function putNow(
  store: MessageStore,
  clock: ManualClock,
  messages: MessageInput | MessageInput[],
  wait = true,
): Promise<PutResult> {
  const promise = Array.isArray(messages)
    ? store.putBatch(messages, wait)
    : store.put(messages, wait);
  clock.advance(0);
  clock.advance(0);
  return promise;
}

/**
 * Moves the clock in `stepMs` steps, letting timers, drains and their promises run at each (a
 * service's tick continues in a microtask, so one big step would skip the wake-ups it asks for).
 */
export async function advanceInSteps(
  clock: ManualClock,
  ms: number,
  stepMs: number,
): Promise<void> {
  for (let left = ms; ; left -= stepMs) {
    clock.advance(Math.max(0, Math.min(stepMs, left)));
    for (let i = 0; i < 8; i++) await Promise.resolve();
    clock.advance(0);
    for (let i = 0; i < 8; i++) await Promise.resolve();
    if (left <= stepMs) break;
  }
}

/** The bodies (as text) a queue holds, in queue order. */
export function queueBodies(store: MessageStore, topic: string, queueId: number): string[] {
  return store.getMessage(topic, queueId, 0, 100_000, 1 << 26).messages.map((m) => {
    return new TextDecoder().decode(store.lookMessageByOffset(m.physicalOffset)!.body);
  });
}
