// What the broker's processors share: configuration, time, the store, and the managers. The
// broker (broker.ts) builds it once; processors only read it and call into its parts.

import type { Clock } from "../common/clock.ts";
import type { DelayLevels } from "../common/delay_levels.ts";
import type { Logger } from "../common/log.ts";
import type { HostAddress } from "../common/message.ts";
import type { BrokerConfig } from "../config/broker_config.ts";
import type { RemotingCommand } from "../protocol/command.ts";
import type { DataVersion } from "../protocol/topic_config.ts";
import type { MessageStore } from "../store/message_store.ts";
import type { ClientManager } from "./clients.ts";
import type { PullHoldService } from "./long_polling.ts";
import type { QueueLocks } from "./queue_locks.ts";
import type { Replication } from "./replication.ts";
import type { SqlFilters } from "./sql_filters.ts";
import type { OpRecordBatcher } from "./transaction_ops.ts";
import type { ConsumerOffsetManager } from "./offsets.ts";
import type { SubscriptionGroupManager } from "./subscriptions.ts";
import type { TopicManager } from "./topics.ts";

/** The broker's role now: fixed by its config, or changed by the controller on a failover. */
export interface BrokerRoleState {
  brokerRole: "ASYNC_MASTER" | "SYNC_MASTER" | "SLAVE";
  /** The id registered with name servers: 0 for a master, the replica's own id otherwise. */
  brokerId: number;
}

/** Replication as runtime info shows it (`rmq inspect cluster`). */
export interface HaStatus {
  /** A slave's master. */
  masterAddr?: string;
  /** A master's replica connections and the best ack among them. */
  connections?: number;
  slaveAckOffset?: number;
  /** Controller mode: this replica's own id, the epoch it knows, the master's in-sync set. */
  replicaId?: number;
  masterEpoch?: number;
  syncStateSet?: number[];
}

export interface BrokerContext {
  config: BrokerConfig;
  role: BrokerRoleState;
  clock: Clock;
  log: Logger;
  store: MessageStore;
  topics: TopicManager;
  offsets: ConsumerOffsetManager;
  subscriptions: SubscriptionGroupManager;
  clients: ClientManager;
  pullHold: PullHoldService;
  /** brokerIP1 and the port actually bound: the store host of every record. */
  storeHost: HostAddress;
  /** "brokerIP1:port" as registered with the name servers. */
  brokerAddr: string;
  /** Op records resolving half messages, one per turn and half queue. */
  opRecords: OpRecordBatcher;
  /** This machine's RAM (the pull path's "far behind" threshold is a share of it). */
  memoryBytes: number;
  /** When this broker started (runtime info). */
  bootTimestampMs: number;
  /** Replication as runtime info shows it: a slave's master, a master's slave connections. */
  haStatus: () => HaStatus;
  /** delayOffset.json text of a master's schedule service (undefined on a slave). */
  delayOffsetsJson: () => string | undefined;
  /** Controller mode: the epoch file's entries (undefined in classic mode). */
  epochEntries: () => readonly { epoch: number; startOffset: number }[] | undefined;
  /** Controller mode: a controller's NOTIFY_BROKER_ROLE_CHANGED (null in classic mode). */
  onRoleNotice: ((request: RemotingCommand) => void) | null;
  /** SYNC_MASTER's wait for a slave (a no-op otherwise). */
  replication: Replication;
  /** Compiled SQL92 subscriptions. */
  sqlFilters: SqlFilters;
  /** Orderly consumers' queue locks. */
  queueLocks: QueueLocks;
  /** messageDelayLevel, parsed: the delay of each level. */
  delayLevels: DelayLevels;
  /** Picks a queue for sends that leave it to the broker (queueId < 0). */
  nextRandom(bound: number): number;
  /** Moves with each UPDATE_BROKER_CONFIG (GET_BROKER_CONFIG's version; caches compare it). */
  configVersion: DataVersion;
  /** Writes updated keys into the broker's config file; a no-op when it has none. */
  persistConfigUpdate(values: ReadonlyMap<string, string | number | boolean>): void;
}

/**
 * Bytes behind the commit log's end within which records are likely still in the page cache:
 * accessMessageInMemoryMaxRatio of this machine's RAM (RocketMQ's checkInDiskByCommitOffset).
 */
export function inMemoryBytes(ctx: BrokerContext): number {
  return (ctx.memoryBytes * ctx.config.accessMessageInMemoryMaxRatio) / 100;
}

/** Whether a record at `physicalOffset` lies beyond inMemoryBytes behind the log's end. */
export function farBehindEnd(ctx: BrokerContext, physicalOffset: number): boolean {
  return ctx.store.commitLog.writePosition - physicalOffset > inMemoryBytes(ctx);
}

/** "ip:port" -> HostAddress (IPv4 or IPv6); undefined for anything else. */
export function parseHostAddress(address: string): HostAddress | undefined {
  const colon = address.lastIndexOf(":");
  if (colon <= 0) return undefined;
  const host = address
    .slice(0, colon)
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/^::ffff:/, "");
  const port = Number(address.slice(colon + 1));
  if (!Number.isInteger(port)) return undefined;
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (v4) return { ip: Uint8Array.from(v4.slice(1).map(Number)), port };
  if (!host.includes(":")) return undefined;
  const [head, tail = ""] = host.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = host.includes("::")
    ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right]
    : left;
  if (groups.length !== 8) return undefined;
  const ip = new Uint8Array(16);
  groups.forEach((g, i) => {
    const value = parseInt(g, 16);
    ip[i * 2] = (value >> 8) & 0xff;
    ip[i * 2 + 1] = value & 0xff;
  });
  return { ip, port };
}
