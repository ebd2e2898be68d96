// SYNC_FLUSH group commit with commit log fdatasyncs that end only when the test says: when a
// flush ends, the next one starts before the puts it covered are answered (answering them runs
// their senders' next puts, and the disk would sit idle meanwhile).

import { describe, expect, test } from "bun:test";
import { gatedSyncIO } from "../../harness/commit_log_syncs.ts";
import { message, openStore, tempStoreConfig } from "../../harness/temp_store.ts";

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("store: group commit", () => {
  test("store: group commit: a flush ends; the next starts, then its puts are told", async () => {
    const events: string[] = [];
    const gated = gatedSyncIO(events);
    const { store, clock } = openStore(tempStoreConfig({ flushDiskType: "SYNC_FLUSH" }), {
      io: gated.io,
    });
    const putGroup = (name: string) => {
      const puts = [0, 1, 2].map((i) => store.put(message("G", i, `${name}${i}`)));
      // The first put's own reaction: it runs as soon as the store answers (Promise.all would
      // add turns of its own).
      void puts[0]!.then(() => events.push(`${name} answered`));
      clock.advance(0); // the drain, which starts a flush when one may start
      return puts;
    };
    const a = putGroup("a"); // the first flush
    putGroup("b"); // the second, overlapping the first
    putGroup("c"); // two in flight already: c waits for one to end
    expect(events).toEqual(["sync 1", "sync 2"]);

    gated.releaseOldest();
    await Promise.all(a);
    await turn();
    expect(events).toEqual(["sync 1", "sync 2", "sync 3", "a answered"]);

    gated.releaseOldest();
    gated.releaseOldest();
    await turn();
    await turn();
    expect(events.slice(4).sort()).toEqual(["b answered", "c answered"]);
    expect(store.commitLog.flushedPosition).toBe(store.commitLog.writePosition);
    store.shutdown();
  });
});
