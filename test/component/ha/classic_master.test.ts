// The classic HA master keeps one batch in flight per slave: an idle slave gets an append at
// once; appends made while a batch is unacknowledged wait and go out together, in one pump,
// when the slave acknowledges it. Driven by a raw TCP slave speaking the HA port protocol.

import { afterEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import type { Socket } from "bun";
import { HaMaster } from "../../../core/ha/ha_master.ts";
import {
  encodeSlaveReport,
  TransferDecoder,
  type TransferFrame,
} from "../../../core/ha/ha_codec.ts";
import { message, openStore, putNow, tempStoreConfig } from "../../harness/temp_store.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await Bun.sleep(5);
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

describe("ha: classic master", () => {
  test("ha: classic master: one batch in flight; appends meanwhile go out on its ack", async () => {
    const config = tempStoreConfig();
    const { store, clock, log } = openStore(config);
    cleanups.push(() => rmSync(config.storePathRootDir, { recursive: true, force: true }));
    const master = new HaMaster({
      store,
      clock,
      log,
      host: "127.0.0.1",
      port: 0,
      heartbeatIntervalMs: 5_000,
      housekeepingIntervalMs: 20_000,
      transferBatchBytes: 32 * 1024,
    });
    const { port } = master.start();
    cleanups.push(() => master.stop());
    store.onDispatch(() => queueMicrotask(() => master.notifyAppended()));

    const frames: TransferFrame[] = [];
    const decoder = new TransferDecoder();
    const slave: Socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_socket, chunk) => {
          frames.push(...decoder.push(chunk));
        },
      },
    });
    cleanups.push(() => slave.end());
    slave.write(encodeSlaveReport(0));
    await until(() => master.connectionCount() === 1, "the slave to connect");

    // Idle slave: the first append goes out at once.
    await putNow(store, clock, message("T", 0, "first"));
    await until(() => frames.length === 1, "the first frame");
    const first = frames[0]!;
    expect(first.offset).toBe(0);

    // Not acknowledged yet: three more appends wait.
    for (const body of ["second", "third", "fourth"]) {
      await putNow(store, clock, message("T", 0, body));
    }
    await Bun.sleep(50);
    expect(frames.length).toBe(1);

    // A partial ack is not the whole batch: still nothing.
    slave.write(encodeSlaveReport(first.data.length - 1));
    await Bun.sleep(50);
    expect(frames.length).toBe(1);

    // The ack of the batch releases everything appended meanwhile, as one frame.
    slave.write(encodeSlaveReport(first.data.length));
    await until(() => frames.length === 2, "the second frame");
    const second = frames[1]!;
    expect(second.offset).toBe(first.data.length);
    expect(second.offset + second.data.length).toBe(store.commitLog.writePosition);
    expect(master.ackOffset()).toBe(first.data.length);
  });
});
