// The broker: wires the store, the managers, the processors, long polling and registration,
// and drives their timers from one clock. start() returns the address it bound; stop() is a
// clean stop (answers held pulls, unregisters, persists offsets, flushes and closes the store).

import { existsSync, readFileSync } from "node:fs";
import { totalmem } from "node:os";
import { join } from "node:path";
import { assert } from "../common/assert.ts";
import type { Clock, TimerHandle } from "../common/clock.ts";
import { DelayLevels } from "../common/delay_levels.ts";
import type { Logger } from "../common/log.ts";
import { Prng } from "../common/prng.ts";
import type { BrokerConfig } from "../config/broker_config.ts";
import { writeFileDurably } from "../common/durable_file.ts";
import { ConfigError } from "../common/errors.ts";
import { setProperties } from "../config/properties.ts";
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
import { processHeldPull } from "./processors/pull.ts";
import { QueueLocks } from "./queue_locks.ts";
import { SqlFilters } from "./sql_filters.ts";
import { OpRecordBatcher } from "./transaction_ops.ts";
import { Registration } from "./registration.ts";
import { EPOCH_FILE_NAME, EpochFile } from "../ha/epoch_file.ts";
import { ControllerClient } from "./controller_client.ts";
import { HaRoles } from "./ha_roles.ts";
import { Replication } from "./replication.ts";
import { SubscriptionGroupManager } from "./subscriptions.ts";
import { TopicManager } from "./topics.ts";

export interface BrokerOptions {
  config: BrokerConfig;
  clock: Clock;
  log: Logger;
  io: FileIO;
  /** Seed for the queue picked when a send leaves it to the broker. */
  seed?: number;
  /** The broker.conf it was started with (-c): where UPDATE_BROKER_CONFIG writes changes. */
  configFilePath?: string;
}

/** How often held pulls are checked against their deadlines and their queues' ends. */
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
  private roles: HaRoles | null = null;
  private controller: ControllerClient | null = null;
  /** Controller mode: which epoch wrote which part of the log (store/epochFileCheckpoint). */
  private readonly epochs: EpochFile | null;
  private stopping = false;
  address: string | null = null;

  constructor(private readonly options: BrokerOptions) {
    const { config, clock, log, io } = options;
    this.store = new MessageStore({ config, io, clock, log: log.child("store") });
    this.topics = new TopicManager(config, io, clock, log.child("topics"));
    this.offsets = new ConsumerOffsetManager(io, config.storePathRootDir, log.child("offsets"));
    this.outbound = new RemotingClient({
      clock,
      log: log.child("out"),
      // A name server that restarted has forgotten this broker: tell it again at once rather
      // than at the next period (controller heartbeats reconnect within a second).
      onConnected: (address) => {
        if (this.registration?.isNamesrv(address)) this.registration.registerSoon();
      },
      onDisconnected: (address) => this.controller?.connectionLost(address),
    });
    this.epochs = config.enableControllerMode
      ? new EpochFile(join(config.storePathRootDir, EPOCH_FILE_NAME))
      : null;
  }

  async start(): Promise<{ host: string; port: number }> {
    assert(this.server === null, "broker started twice");
    const { config, clock, log, io } = this.options;
    if (config.enableControllerMode) {
      if (!config.controllerAddr)
        throw new ConfigError("enableControllerMode needs controllerAddr");
    } else if (config.brokerRole === "SLAVE" && config.brokerId <= 0) {
      throw new ConfigError("a SLAVE needs brokerId > 0 (0 is the master's)");
    } else if (config.brokerRole !== "SLAVE" && config.brokerId !== 0) {
      throw new ConfigError(`a ${config.brokerRole} has brokerId 0, not ${config.brokerId}`);
    }
    io.mkdirs(config.storePathRootDir);
    const recovered = this.store.start();
    log.info(
      `store ready at ${config.storePathRootDir} ` +
        `(${recovered.abnormal ? "recovered after an unclean stop" : "clean start"}), ` +
        `commit log end ${recovered.recoveredEnd}`,
    );
    this.epochs?.load();
    this.topics.load();
    this.offsets.load();
    const subscriptions = new SubscriptionGroupManager(
      io,
      config.storePathRootDir,
      () => config.autoCreateSubscriptionGroup,
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
      pullHold: new PullHoldService(
        clock,
        (pull) => {
          // Sent at once: the answer's body is a view the next pull overwrites (pull.ts).
          const answer = processHeldPull(ctx, pull);
          if (answer) pull.channel.send(answer);
        },
        (topic, queueId) => this.store.maxOffsetInQueue(topic, queueId),
      ),
      storeHost: { ip: Uint8Array.of(127, 0, 0, 1), port: 0 },
      brokerAddr: "",
      nextRandom: (bound) => prng.below(Math.max(1, bound)),
      delayLevels: DelayLevels.parse(config.messageDelayLevel),
      queueLocks: new QueueLocks(clock, config.rebalanceLockMaxLiveTime),
      sqlFilters: new SqlFilters(),
      role: { brokerRole: "SLAVE", brokerId: config.brokerId },
      replication: new Replication(config, () => this.store.commitLog.writePosition),
      delayOffsetsJson: () => this.roles?.delayOffsetsJson(),
      bootTimestampMs: clock.nowMs(),
      memoryBytes: totalmem(),
      opRecords: new OpRecordBatcher(
        this.store,
        () => ctx.storeHost,
        () => clock.nowMs(),
      ),
      haStatus: () => this.roles?.status() ?? {},
      onRoleNotice: null,
      epochEntries: () => this.epochs?.entries(),
      configVersion: { counter: 0, stateVersion: 0, timestamp: clock.nowMs() },
      persistConfigUpdate: (values) => {
        const path = this.options.configFilePath;
        if (!path) return;
        // The -c file is the user's, outside the store: plain files, not the store's FileIO.
        const text = existsSync(path) ? readFileSync(path, "utf8") : "";
        const asText = new Map([...values].map(([key, value]) => [key, String(value)]));
        writeFileDurably(path, setProperties(text, asText), { backup: false });
      },
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
    this.roles = new HaRoles({
      ctx,
      io,
      outbound: this.outbound,
      parts: this,
      registration: () => this.registration,
      epochs: this.epochs,
    });
    const roles = this.roles;
    this.store.onDispatch((r) => {
      roles.onDispatch(r);
      ctx.pullHold.notifyMessageArriving(r.topic, r.queueId, r.queueOffset + 1, r.tagsCode);
    });
    if (config.enableControllerMode) {
      const controller = new ControllerClient(ctx, this.outbound, roles);
      this.controller = controller;
      ctx.onRoleNotice = (request) => controller.onNotice(request);
      roles.startControlled(await this.controller.resolveBrokerId());
    } else {
      roles.startClassic();
    }
    ctx.pullHold.start(pullHoldCheckIntervalMs);
    this.timers.push(
      clock.every(config.flushConsumerOffsetInterval, () => this.offsets.persistInBackground()),
    );
    this.timers.push(clock.every(clientScanIntervalMs, () => this.closeIdleClients()));
    this.registration = new Registration(
      config,
      parseNamesrvAddrs(config.namesrvAddr),
      this.outbound,
      this.topics,
      clock,
      log.child("registration"),
      () => ctx.brokerAddr,
      () => roles.haServerAddr(),
      () => ctx.role.brokerId,
    );
    if (this.controller) {
      // A broker in controller mode registers with name servers once it knows its role.
      await this.controller.start();
      await this.registration.start();
    } else {
      await this.registration.start();
      roles.afterRegistration();
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
    this.controller?.stop();
    this.roles?.stop();
    this.offsets.persist();
    this.store.shutdown();
    this.outbound.close();
  }
}
