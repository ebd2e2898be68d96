// A child process for crash tests: appends to a store with SYNC_FLUSH forever and prints
// "ACK <idx> <physicalOffset> <queueOffset>" on stdout for every message the store
// acknowledged. The parent kills it with SIGKILL and checks that every acknowledged message
// survived, in the commit log and in its consume queue.
//
// Usage: bun test/harness/store_writer_child.ts <storeDir> <firstIdx> <inFlight>

import { SystemClock } from "../../core/common/clock.ts";
import { createLogger } from "../../core/common/log.ts";
import { formatMessageProperties } from "../../core/common/message.ts";
import { storeDefaults } from "../../core/config/store_config.ts";
import { MessageStore, RealFileIO, PutMessageStatus } from "../../core/store/index.ts";

export function crashBody(idx: number): string {
  return `msg-${idx}-${"abcdefghij".repeat(idx % 97)}`;
}

export const crashStoreConfig = (root: string) => ({
  ...storeDefaults(root),
  storePathRootDir: root,
  flushDiskType: "SYNC_FLUSH",
  mappedFileSizeCommitLog: 256 * 1024,
  mappedFileSizeConsumeQueue: 20 * 1000,
  maxHashSlotNum: 512,
  maxIndexNum: 2048,
});

if (import.meta.main) {
  const [root, firstArg, inFlightArg] = process.argv.slice(2);
  const store = new MessageStore({
    config: crashStoreConfig(root!),
    io: new RealFileIO(),
    clock: new SystemClock(),
    log: createLogger("child", { level: "error" }),
  });
  store.start();
  let idx = Number(firstArg);
  const inFlight = Number(inFlightArg);
  const encoder = new TextEncoder();
  const sendOne = async (): Promise<void> => {
    for (;;) {
      const mine = idx++;
      const result = await store.put({
        topic: "Crash",
        queueId: mine % 4,
        flag: 0,
        sysFlag: 0,
        bornTimestamp: 0,
        bornHost: { ip: Uint8Array.of(127, 0, 0, 1), port: 1 },
        storeHost: { ip: Uint8Array.of(127, 0, 0, 1), port: 10911 },
        reconsumeTimes: 0,
        preparedTransactionOffset: 0,
        body: encoder.encode(crashBody(mine)),
        properties: formatMessageProperties(new Map([["KEYS", `k${mine}`]])),
      });
      if (result.status === PutMessageStatus.PUT_OK) {
        const { physicalOffset, queueOffset } = result.appended[0]!;
        process.stdout.write(`ACK ${mine} ${physicalOffset} ${queueOffset}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, sendOne));
}
