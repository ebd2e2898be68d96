// Message store configuration: RocketMQ's MessageStoreConfig keys (spec §5, §10.1) that the
// store honours, with RocketMQ's defaults. Key names stay RocketMQ's; where they lack units the
// doc says them.

import { homedir } from "node:os";
import { join } from "node:path";
import type { ConfigOf, Schema } from "./config_schema.ts";
import { GiB, KiB, MiB } from "../common/units.ts";
import { defaultMessageDelayLevel } from "../common/delay_levels.ts";

export const storeSchema = {
  storePathRootDir: { kind: "string", doc: "store root directory" },
  storePathCommitLog: { kind: "string", doc: "commit log directory (default <root>/commitlog)" },
  mappedFileSizeCommitLog: { kind: "int", min: 4096, doc: "bytes per commit log segment" },
  mappedFileSizeConsumeQueue: {
    kind: "int",
    min: 20,
    doc: "bytes per consume queue file (a multiple of 20)",
  },
  flushDiskType: { kind: "string", oneOf: ["ASYNC_FLUSH", "SYNC_FLUSH"], doc: "flush policy" },
  flushIntervalCommitLog: { kind: "int", min: 1, doc: "ms between async commit log flushes" },
  flushCommitLogLeastPages: { kind: "int", min: 0, doc: "4 KiB pages before an async flush" },
  flushCommitLogThoroughInterval: { kind: "int", min: 1, doc: "ms between forced full flushes" },
  syncFlushTimeout: { kind: "int", min: 1, doc: "ms a SYNC_FLUSH send waits for fsync" },
  flushIntervalConsumeQueue: { kind: "int", min: 1, doc: "ms between queue/index flushes" },
  maxMessageSize: { kind: "int", min: 1, max: 64 * MiB, doc: "max body bytes" },
  messageIndexEnable: { kind: "bool", doc: "build the key index" },
  maxHashSlotNum: { kind: "int", min: 1, doc: "hash slots per index file" },
  maxIndexNum: { kind: "int", min: 2, doc: "entries per index file" },
  checkCRCOnRecover: { kind: "bool", doc: "verify body CRCs during recovery" },
  fileReservedTime: { kind: "int", min: 0, doc: "hours a commit log file is kept" },
  deleteWhen: { kind: "string", doc: "hours of day for deletion, ';'-separated" },
  diskMaxUsedSpaceRatio: { kind: "int", min: 10, max: 95, doc: "% disk use that forces deletion" },
  diskSpaceCleanForciblyRatio: {
    kind: "int",
    min: 10,
    max: 95,
    doc: "% disk use that deletes files even before they expire",
  },
  diskSpaceWarningLevelRatio: {
    kind: "int",
    min: 10,
    max: 99,
    doc: "% disk use above which writes are refused",
  },
  cleanResourceInterval: { kind: "int", min: 1, doc: "ms between retention passes" },
  deleteFileBatchMax: { kind: "int", min: 1, doc: "commit log files deleted per pass at most" },
  messageDelayLevel: { kind: "string", doc: "delay of each delay level, 1-based (1s 5s ... 2h)" },
  flushDelayOffsetInterval: { kind: "int", min: 1, doc: "ms between delayOffset.json writes" },
  haListenPort: {
    kind: "int",
    min: -1,
    max: 65535,
    doc: "HA port (-1: listenPort + 1; 0 picks one)",
  },
  haMasterAddress: {
    kind: "string",
    doc: "slave: the master's HA address (default: from the name server)",
  },
  haSendHeartbeatInterval: { kind: "int", min: 1, doc: "ms between HA heartbeats and reports" },
  haHousekeepingInterval: { kind: "int", min: 1, doc: "ms of HA silence before a reconnect" },
  haTransferBatchSize: { kind: "int", min: 1024, doc: "bytes per HA frame at most" },
  haSlaveFallbehindMax: {
    kind: "int",
    min: 0,
    doc: "SYNC_MASTER: bytes a slave may lag and count",
  },
  slaveTimeout: { kind: "int", min: 1, doc: "SYNC_MASTER: ms a send waits for a slave's ack" },
  maxTransferCountOnMessageInMemory: {
    kind: "int",
    min: 1,
    doc: "messages a pull answer carries at most from memory",
  },
  maxTransferBytesOnMessageInMemory: {
    kind: "int",
    min: 1,
    doc: "bytes a pull answer carries at most from memory (past its first message)",
  },
  maxTransferCountOnMessageInDisk: {
    kind: "int",
    min: 1,
    doc: "messages, once they lie beyond accessMessageInMemoryMaxRatio of RAM behind the end",
  },
  maxTransferBytesOnMessageInDisk: {
    kind: "int",
    min: 1,
    doc: "bytes, once they lie beyond accessMessageInMemoryMaxRatio of RAM behind the end",
  },
  offsetCheckInSlave: {
    kind: "bool",
    doc: "a SLAVE moves a pull's out-of-range offset (off: keeps it and says retry)",
  },
  timerWheelEnable: { kind: "bool", doc: "deliver messages at any time (TIMER_DELIVER_MS ...)" },
  timerMaxDelaySec: { kind: "int", min: 1, doc: "longest timer delay accepted, seconds" },
  timerPrecisionMs: { kind: "int", min: 1, doc: "timer delivery times are rounded down to this" },
} as const satisfies Schema;

export type StoreConfig = ConfigOf<typeof storeSchema>;

/** Old spellings RocketMQ renamed; rmq accepts both (RocketMQ silently ignores the old ones). */
export const storeKeyAliases = {
  mapedFileSizeCommitLog: "mappedFileSizeCommitLog",
  mapedFileSizeConsumeQueue: "mappedFileSizeConsumeQueue",
} as const;

export function storeDefaults(home: string = homedir()): StoreConfig {
  return {
    storePathRootDir: join(home, "store"),
    storePathCommitLog: "",
    mappedFileSizeCommitLog: 1 * GiB,
    mappedFileSizeConsumeQueue: 300_000 * 20,
    flushDiskType: "ASYNC_FLUSH",
    flushIntervalCommitLog: 500,
    flushCommitLogLeastPages: 4,
    flushCommitLogThoroughInterval: 10_000,
    syncFlushTimeout: 5_000,
    flushIntervalConsumeQueue: 1_000,
    maxMessageSize: 4 * MiB,
    messageIndexEnable: true,
    maxHashSlotNum: 5_000_000,
    maxIndexNum: 20_000_000,
    checkCRCOnRecover: true,
    fileReservedTime: 72,
    deleteWhen: "04",
    diskMaxUsedSpaceRatio: 75,
    diskSpaceCleanForciblyRatio: 85,
    diskSpaceWarningLevelRatio: 90,
    cleanResourceInterval: 10_000,
    deleteFileBatchMax: 10,
    messageDelayLevel: defaultMessageDelayLevel,
    flushDelayOffsetInterval: 10_000,
    haListenPort: -1,
    haMasterAddress: "",
    haSendHeartbeatInterval: 5_000,
    haHousekeepingInterval: 20_000,
    haTransferBatchSize: 32 * 1024,
    haSlaveFallbehindMax: 256 * MiB,
    slaveTimeout: 3_000,
    maxTransferCountOnMessageInMemory: 32,
    maxTransferBytesOnMessageInMemory: 256 * KiB,
    maxTransferCountOnMessageInDisk: 8,
    maxTransferBytesOnMessageInDisk: 64 * KiB,
    offsetCheckInSlave: false,
    timerWheelEnable: true,
    timerMaxDelaySec: 3 * 24 * 3600,
    timerPrecisionMs: 1_000,
  };
}
