// The name server: wires the route table, KV config, processors and a remoting server, and
// drives the expiry scan from the clock (every scanNotActiveBrokerInterval, drop brokers silent
// for longer than their timeout). A broker's routes also go the moment its connection closes.

import { assert } from "../common/assert.ts";
import type { Clock, TimerHandle } from "../common/clock.ts";
import { writeFileDurably } from "../common/durable_file.ts";
import type { Logger } from "../common/log.ts";
import type { NamesrvConfig } from "../config/namesrv_config.ts";
import type { Channel } from "../remoting/channel.ts";
import { RemotingServer } from "../remoting/server.ts";
import { Controller } from "../ha/controller/controller.ts";
import { EtcdClient } from "../ha/controller/etcd_client.ts";
import { EtcdLeadership, SoleLeadership } from "../ha/controller/leadership.ts";
import {
  EtcdStateStore,
  FileStateStore,
  type ControllerStateStore,
} from "../ha/controller/state_store.ts";
import type { ElectionEvent, GroupState } from "../ha/controller/replica_groups.ts";
import { createRequest } from "../protocol/command.ts";
import { encodeSyncStateSet, masterInfoFields } from "../protocol/controller_body.ts";
import { RequestCode } from "../protocol/request_code.ts";
import { RemotingClient } from "../remoting/client.ts";
import { controllerHeartbeat, registerControllerProcessors } from "./controller_processors.ts";
import { KvConfig } from "./kv_config.ts";
import { namesrvProcessors } from "./processors.ts";
import { RouteTable } from "./route_table.ts";

export interface NamesrvOptions {
  config: NamesrvConfig;
  clock: Clock;
  log: Logger;
  /**
   * false keeps KV config and runtime config updates in memory (tests); by default they are
   * persisted to kvConfigPath and configStorePath.
   */
  persistKvConfig?: boolean;
}

export class Namesrv {
  readonly routes: RouteTable;
  readonly kv: KvConfig;
  private readonly server: RemotingServer;
  private readonly channelIds = new WeakMap<Channel, number>();
  private readonly channelsById = new Map<number, Channel>();
  private nextChannelId = 1;
  private scanTimer: TimerHandle | null = null;
  private address: { host: string; port: number } | null = null;
  /** enableControllerInNamesrv: the controller, and the replicas each connection speaks for. */
  readonly controller: Controller | null;
  private readonly replicasByChannel = new WeakMap<Channel, Map<string, number>>();
  private readonly notifier: RemotingClient | null;
  /** Settles once the controller (if any) has loaded its state. */
  controllerReady: Promise<void> = Promise.resolve();

  constructor(private readonly options: NamesrvOptions) {
    const { config, clock, log } = options;
    this.routes = new RouteTable({
      clock,
      brokerChannelExpiredTimeMs: config.brokerChannelExpiredTime,
      deleteTopicWithBrokerRegistration: config.deleteTopicWithBrokerRegistration,
      supportActingMaster: config.supportActingMaster,
    });
    this.kv = new KvConfig(options.persistKvConfig === false ? null : config.kvConfigPath);
    this.controller = config.enableControllerInNamesrv ? this.makeController(options) : null;
    this.notifier = this.controller
      ? new RemotingClient({ clock, log: log.child("notify") })
      : null;
    const controllerCtx = this.controller
      ? {
          controller: this.controller,
          address: () => `${this.address?.host ?? config.bindAddress}:${this.address?.port ?? 0}`,
          bindChannel: (channel: Channel, brokerName: string, brokerId: number) => {
            let replicas = this.replicasByChannel.get(channel);
            if (!replicas) this.replicasByChannel.set(channel, (replicas = new Map()));
            replicas.set(brokerName, brokerId);
            this.idOf(channel); // so its close is seen
          },
        }
      : null;
    const processors = namesrvProcessors({
      routes: this.routes,
      kv: this.kv,
      config,
      clock,
      log,
      startedAtMs: clock.nowMs(),
      channelId: (channel) => this.idOf(channel),
      controllerHeartbeat: controllerCtx
        ? (request, channel) => controllerHeartbeat(controllerCtx, request, channel)
        : undefined,
      persistConfig:
        options.persistKvConfig === false
          ? undefined
          : (text) => writeFileDurably(config.configStorePath, text, { backup: false }),
    });
    if (controllerCtx) registerControllerProcessors(processors, controllerCtx);
    this.controller?.onElection((event, group) => this.notifyRoleChanged(event, group));
    this.server = new RemotingServer({
      host: config.bindAddress,
      port: config.listenPort,
      processors,
      clock,
      log,
      idleTimeoutSeconds: config.serverChannelMaxIdleTimeSeconds,
      onChannelClose: (channel) => this.onChannelClose(channel),
    });
  }

  /** Loads KV config, binds, starts the expiry scan; returns the bound address. */
  start(): { host: string; port: number } {
    assert(this.address === null, "name server started twice");
    this.kv.load();
    this.address = this.server.start();
    this.controllerReady = this.controller?.start() ?? Promise.resolve();
    this.scanTimer = this.options.clock.every(this.options.config.scanNotActiveBrokerInterval, () =>
      this.scanNotActiveBroker(),
    );
    return this.address;
  }

  /** Closes everything at once; the promise settles once an etcd lease is handed back. */
  stop(): Promise<void> {
    this.scanTimer?.cancel();
    this.scanTimer = null;
    const controllerStopped = this.controller?.stop() ?? Promise.resolve();
    this.notifier?.close();
    this.server.stop();
    this.address = null;
    return controllerStopped.catch(() => undefined);
  }

  /** One expiry pass; public so tests can run it on a manual clock. */
  scanNotActiveBroker(): void {
    for (const expired of this.routes.scanNotActiveBroker()) {
      this.options.log.warn(`broker ${expired.brokerAddr} expired: no heartbeat in time`);
      if (expired.channelId !== null) {
        this.channelsById.get(expired.channelId)?.close("broker expired");
      }
    }
  }

  private idOf(channel: Channel): number {
    let id = this.channelIds.get(channel);
    if (id === undefined) {
      id = this.nextChannelId++;
      this.channelIds.set(channel, id);
      this.channelsById.set(id, channel);
    }
    return id;
  }

  /**
   * The controller with its state store and leadership: a local file and always active, or
   * (controllerEtcdEndpoints) etcd keys under controllerEtcdPrefix and a leased leader key.
   */
  private makeController(options: NamesrvOptions): Controller {
    const { config, clock, log } = options;
    const self = () => `${this.address?.host ?? config.bindAddress}:${this.address?.port ?? 0}`;
    const endpoints = config.controllerEtcdEndpoints
      .split(/[;,]/)
      .map((e) => e.trim())
      .filter(Boolean);
    const prefix = config.controllerEtcdPrefix.replace(/\/+$/, "");
    const etcd = endpoints.length > 0 ? new EtcdClient(endpoints, clock) : null;
    const store: ControllerStateStore = etcd
      ? new EtcdStateStore(etcd, `${prefix}/state`)
      : options.persistKvConfig === false
        ? { where: "memory", load: async () => [], save: async () => {} }
        : new FileStateStore(config.controllerStorePath);
    const leadership = etcd
      ? new EtcdLeadership(etcd, `${prefix}/leader`, self, config.controllerLeaseTtlMs, clock, log)
      : new SoleLeadership(self);
    return new Controller({
      clock,
      log: log.child("controller"),
      store,
      leadership,
      heartbeatTimeoutMs: config.controllerHeartBeatTimeoutMills,
      scanIntervalMs: config.scanNotActiveBrokerInterval,
      allowUncleanElection: config.enableElectUncleanMaster,
    });
  }

  /**
   * Tells every live replica of the group who leads now (NOTIFY_BROKER_ROLE_CHANGED, oneway to
   * its remoting address, as RocketMQ's controller does); a replica that misses it learns the
   * same from its next GET_REPLICA_INFO.
   */
  private notifyRoleChanged(event: ElectionEvent, group: GroupState): void {
    const { view } = event;
    if (view.masterId === null || !this.notifier || !this.options.config.notifyBrokerRoleChanged) {
      return;
    }
    const request = createRequest(RequestCode.NOTIFY_BROKER_ROLE_CHANGED, {
      oneway: true,
      extFields: masterInfoFields(view),
      body: encodeSyncStateSet(view.syncStateSet, view.syncStateSetEpoch),
    });
    for (const replica of group.replicas.values()) {
      if (!replica.alive || !replica.address) continue;
      this.notifier.invokeOneway(replica.address, request, 3_000).catch((error: Error) => {
        this.options.log.debug(`role notice to ${replica.address} failed: ${error.message}`);
      });
    }
  }

  private onChannelClose(channel: Channel): void {
    const replicas = this.replicasByChannel.get(channel);
    if (replicas && this.controller) {
      for (const [brokerName, brokerId] of replicas) {
        this.options.log.info(`replica ${brokerId} of ${brokerName}: connection closed`);
        this.controller.disconnected(brokerName, brokerId);
      }
    }
    const id = this.channelIds.get(channel);
    if (id === undefined) return;
    this.channelsById.delete(id);
    for (const addr of this.routes.onChannelDestroy(id)) {
      this.options.log.info(`broker ${addr} removed: its connection closed`);
      this.controller?.disconnectedAt(addr);
    }
  }
}
