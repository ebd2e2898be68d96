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

  constructor(private readonly options: NamesrvOptions) {
    const { config, clock, log } = options;
    this.routes = new RouteTable({
      clock,
      brokerChannelExpiredTimeMs: config.brokerChannelExpiredTime,
      deleteTopicWithBrokerRegistration: config.deleteTopicWithBrokerRegistration,
      supportActingMaster: config.supportActingMaster,
    });
    this.kv = new KvConfig(options.persistKvConfig === false ? null : config.kvConfigPath);
    const processors = namesrvProcessors({
      routes: this.routes,
      kv: this.kv,
      config,
      clock,
      log,
      startedAtMs: clock.nowMs(),
      channelId: (channel) => this.idOf(channel),
      persistConfig:
        options.persistKvConfig === false
          ? undefined
          : (text) => writeFileDurably(config.configStorePath, text, { backup: false }),
    });
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
    this.scanTimer = this.options.clock.every(this.options.config.scanNotActiveBrokerInterval, () =>
      this.scanNotActiveBroker(),
    );
    return this.address;
  }

  stop(): void {
    this.scanTimer?.cancel();
    this.scanTimer = null;
    this.server.stop();
    this.address = null;
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

  private onChannelClose(channel: Channel): void {
    const id = this.channelIds.get(channel);
    if (id === undefined) return;
    this.channelsById.delete(id);
    for (const addr of this.routes.onChannelDestroy(id)) {
      this.options.log.info(`broker ${addr} removed: its connection closed`);
    }
  }
}
