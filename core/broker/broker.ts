// The broker: wires the store, the managers, the processors, long polling and registration,
// and drives their timers from one clock. start() returns the address it bound; stop() is a
// clean stop (answers held pulls, unregisters, persists offsets, flushes and closes the store).

import { totalmem } from "node:os";
import { assert } from "../common/assert.ts";
import type { Clock, TimerHandle } from "../common/clock.ts";
import { DelayLevels } from "../common/delay_levels.ts";
import type { Logger } from "../common/log.ts";
import { Prng } from "../common/prng.ts";
import type { BrokerConfig } from "../config/broker_config.ts";
import { ConfigError } from "../common/errors.ts";
import { RemotingClient } from "../remoting/client.ts";
import { RemotingServer } from "../remoting/server.ts";
import type { FileIO } from "../store/file_io.ts";
import { MessageStore } from "../store/message_store.ts";
import { ClientManager } from "./clients.ts";
import { parseHostAddress, type BrokerContext } from "./context.ts";
import { PullHoldService } from "./long_polling.ts";
import { ConsumerOffsetManager } from "./offsets.ts";
import { brokerProcessors } from "./processor_table.ts";
import { notifyConsumerIdsChanged } from "./processors/client.ts";
import { processPull } from "./processors/pull.ts";
import { QueueLocks } from "./queue_locks.ts";
import { SqlFilters } from "./sql_filters.ts";
import { OpRecordBatcher } from "./transaction_ops.ts";
import { Registration } from "./registration.ts";
import { HaMaster } from "../ha/ha_master.ts";
import { HaSlave } from "../ha/ha_slave.ts";
import { MasterDuties } from "./master_duties.ts";
import { Replication } from "./replication.ts";
import { SlaveSync } from "./slave_sync.ts";
import { SubscriptionGroupManager } from "./subscriptions.ts";
import { TopicManager } from "./topics.ts";

export interface BrokerOptions {
  config: BrokerConfig;
  clock: Clock;
  log: Logger;
  io: FileIO;
  /** Seed for the queue picked when a send leaves it to the broker. */
  seed?: number;
}

/** How often held pulls are checked against their deadlines. */
const pullHoldCheckIntervalMs = 1_000;
/** How often idle clients are looked for (RocketMQ's ClientHousekeepingService: 10 s). */
const clientScanIntervalMs = 10_000;

export function parseNamesrvAddrs(value: string): string[] {
  return value
    .split(";")
    .map((a) => a.trim())
    .filter(Boolean);
}

export class Broker {
  readonly store: MessageStore;
  readonly topics: TopicManager;
  readonly offsets: ConsumerOffsetManager;
  readonly clients = new ClientManager();
  private server: RemotingServer | null = null;
  private registration: Registration | null = null;
  private readonly outbound: RemotingClient;
  private readonly timers: TimerHandle[] = [];
  private ctx: BrokerContext | null = null;
  private duties: MasterDuties | null = null;
  private haMaster: HaMaster | null = null;
  private haSlave: HaSlave | null = null;
  private slaveSync: SlaveSync | null = null;
  private stopping = false;
  address: string | null = null;

  constructor(private readonly options: BrokerOptions) {
    const { config, clock, log, io } = options;
    this.store = new MessageStore({ config, io, clock, log: log.child("store") });
    this.topics = new TopicManager(config, io, clock, log.child("topics"));
    this.offsets = new ConsumerOffsetManager(io, config.storePathRootDir, log.child("offsets"));
    this.outbound = new RemotingClient({ clock, log: log.child("out") });
  }

  async start(): Promise<{ host: string; port: number }> {
    assert(this.server === null, "broker started twice");
    const { config, clock, log, io } = this.options;
    if (config.brokerRole === "SLAVE" && config.brokerId <= 0)
      throw new ConfigError("a SLAVE needs brokerId > 0 (0 is the master's)");
    if (config.brokerRole !== "SLAVE" && config.brokerId !== 0)
      throw new ConfigError(`a ${config.brokerRole} has brokerId 0, not ${config.brokerId}`);
    io.mkdirs(config.storePathRootDir);
    const recovered = this.store.start();
    log.info(
      `store ready at ${config.storePathRootDir} ` +
        `(${recovered.abnormal ? "recovered after an unclean stop" : "clean start"}), ` +
        `commit log end ${recovered.recoveredEnd}`,
    );
    this.topics.load();
    this.offsets.load();
    const subscriptions = new SubscriptionGroupManager(
      io,
      config.storePathRootDir,
      config.autoCreateSubscriptionGroup,
      clock,
      log.child("groups"),
    );
    subscriptions.load();
    const prng = new Prng(this.options.seed ?? clock.nowMs() % 2 ** 31);
    const ctx: BrokerContext = {
      config,
      clock,
      log,
      store: this.store,
      topics: this.topics,
      offsets: this.offsets,
      subscriptions,
      clients: this.clients,
      pullHold: new PullHoldService(clock, (pull) => {
        const answer = processPull(ctx, pull.request, pull.channel, false);
        if (answer) pull.channel.send(answer);
      }),
      storeHost: { ip: Uint8Array.of(127, 0, 0, 1), port: 0 },
      brokerAddr: "",
      nextRandom: (bound) => prng.below(Math.max(1, bound)),
      delayLevels: DelayLevels.parse(config.messageDelayLevel),
      queueLocks: new QueueLocks(clock, config.rebalanceLockMaxLiveTime),
      sqlFilters: new SqlFilters(),
      replication: new Replication(config.brokerRole, null, config, () => 0),
      delayOffsetsJson: () => this.duties?.delayOffsetsJson(),
      bootTimestampMs: clock.nowMs(),
      memoryBytes: totalmem(),
      opRecords: new OpRecordBatcher(
        this.store,
        () => ctx.storeHost,
        () => clock.nowMs(),
      ),
      haStatus: () =>
        this.haMaster
          ? {
              connections: this.haMaster.connectionCount(),
              slaveAckOffset: this.haMaster.ackOffset(),
            }
          : { masterAddr: this.registration?.masterAddr },
    };
    this.ctx = ctx;
    this.server = new RemotingServer({
      host: config.bindAddress,
      port: config.listenPort,
      processors: brokerProcessors(ctx),
      clock,
      log: log.child("remoting"),
      idleTimeoutSeconds: config.serverChannelMaxIdleTimeSeconds,
      onChannelClose: (channel) => {
        const left = this.clients.onChannelClose(channel);
        // A stopping broker closes every connection: its clients are not leaving their groups,
        // and a notice to the members still connected would have them rebalance on a route
        // without this broker while the others keep their queues.
        if (this.stopping) return;
        for (const group of left) notifyConsumerIdsChanged(ctx, group);
      },
    });
    const bound = this.server.start();
    ctx.brokerAddr = `${config.brokerIP1}:${config.advertisedPort || bound.port}`;
    const storeHost = parseHostAddress(ctx.brokerAddr);
    if (!storeHost) throw new ConfigError(`brokerIP1 "${config.brokerIP1}" is not an IP address`);
    ctx.storeHost = storeHost;
    this.address = ctx.brokerAddr;
    const slave = config.brokerRole === "SLAVE";
    if (!slave) this.duties = new MasterDuties(ctx, io, this);
    const duties = this.duties;
    // HA: a master streams its commit log to slaves; a slave appends what its master sends.
    let haPort = 0;
    if (slave) {
      this.haSlave = new HaSlave({
        store: this.store,
        clock,
        log: log.child("ha"),
        masterAddress: () => config.haMasterAddress || this.registration?.masterHaAddr,
        reportIntervalMs: config.haSendHeartbeatInterval,
        housekeepingIntervalMs: config.haHousekeepingInterval,
      });
    } else {
      this.haMaster = new HaMaster({
        store: this.store,
        clock,
        log: log.child("ha"),
        host: config.bindAddress,
        port:
          // RocketMQ's default is the configured listen port + 1; a listen port of 0 (any)
          // makes the HA port any too, not the bound port + 1, which may be taken.
          config.haListenPort >= 0
            ? config.haListenPort
            : config.listenPort === 0
              ? 0
              : config.listenPort + 1,
        heartbeatIntervalMs: config.haSendHeartbeatInterval,
        housekeepingIntervalMs: config.haHousekeepingInterval,
        transferBatchBytes: config.haTransferBatchSize,
      });
      haPort = this.haMaster.start().port;
    }
    ctx.replication = new Replication(
      config.brokerRole,
      this.haMaster,
      config,
      () => this.store.commitLog.writePosition,
    );
    const haMaster = this.haMaster;
    let haPumpQueued = false;
    this.store.onDispatch((r) => {
      duties?.onDispatch(r);
      ctx.pullHold.notifyMessageArriving(r.topic, r.queueId, r.queueOffset + 1, r.tagsCode);
      if (haMaster && !haPumpQueued) {
        // Once per drain: every record of it is in the log by the time this runs.
        haPumpQueued = true;
        queueMicrotask(() => {
          haPumpQueued = false;
          haMaster.notifyAppended();
        });
      }
    });
    duties?.start();
    ctx.pullHold.start(pullHoldCheckIntervalMs);
    this.timers.push(clock.every(config.flushConsumerOffsetInterval, () => this.offsets.persist()));
    this.timers.push(clock.every(clientScanIntervalMs, () => this.closeIdleClients()));
    this.registration = new Registration(
      config,
      parseNamesrvAddrs(config.namesrvAddr),
      this.outbound,
      this.topics,
      clock,
      log.child("registration"),
      () => ctx.brokerAddr,
      () => `${config.brokerIP1}:${haPort}`,
    );
    await this.registration.start();
    this.haSlave?.start();
    if (slave) {
      this.slaveSync = new SlaveSync(ctx, io, this.outbound, () => this.registration?.masterAddr);
      this.slaveSync.start();
    }
    return bound;
  }

  private closeIdleClients(): void {
    const { clock, config, log } = this.options;
    for (const channel of this.clients.expired(clock.nowMs(), config.channelExpiredTimeout)) {
      log.info(
        `closing ${channel.remoteAddress}: no heartbeat in ${config.channelExpiredTimeout} ms`,
      );
      channel.close("client heartbeat expired");
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers.splice(0)) timer.cancel();
    await this.registration?.stop();
    this.ctx?.pullHold.stop();
    this.server?.stop();
    this.server = null;
    this.duties?.stop();
    this.slaveSync?.stop();
    this.haSlave?.stop();
    this.haMaster?.stop();
    this.offsets.persist();
    this.store.shutdown();
    this.outbound.close();
  }
}
