// The broker's replication role and what comes with it, switchable at run time:
// - a master runs the master duties (delays, timers, transaction checks), streams its log on
//   the HA port, and answers SYNC sends after the acks its config asks for;
// - a slave follows its master's HA port, copies its metadata (slave_sync.ts), refuses sends.
// Classic brokers take the role from brokerRole at start and keep it. In controller mode the
// controller decides: `becomeMaster` / `becomeSlave` switch without a restart (a new master
// first cuts an unfinished record off its tail and opens its epoch in the epoch file), and
// the broker re-registers with every name server at once so clients find the new master.

import type { FileIO } from "../store/file_io.ts";
import type { DispatchedRecord } from "../store/dispatch.ts";
import type { RemotingClient } from "../remoting/client.ts";
import { AutoSwitchMaster } from "../ha/autoswitch_master.ts";
import { AutoSwitchSlave } from "../ha/autoswitch_slave.ts";
import type { EpochFile } from "../ha/epoch_file.ts";
import { HaMaster } from "../ha/ha_master.ts";
import { HaSlave } from "../ha/ha_slave.ts";
import type { ClientManager } from "./clients.ts";
import type { BrokerContext, HaStatus } from "./context.ts";
import { MasterDuties } from "./master_duties.ts";
import type { ConsumerOffsetManager } from "./offsets.ts";
import type { Registration } from "./registration.ts";
import { classicAcks } from "./replication.ts";
import { SlaveSync } from "./slave_sync.ts";
import type { TopicManager } from "./topics.ts";

export interface HaRolesDeps {
  ctx: BrokerContext;
  io: FileIO;
  outbound: RemotingClient;
  parts: { offsets: ConsumerOffsetManager; clients: ClientManager; topics: TopicManager };
  registration: () => Registration | null;
  /** Controller mode only: the store's epoch file. */
  epochs: EpochFile | null;
}

/** The current master as the controller tells it, for a broker in controller mode. */
export interface ControllerView {
  masterId: number;
  masterAddress: string;
  masterEpoch: number;
  syncStateSet: number[];
  syncStateSetEpoch: number;
}

export class HaRoles {
  private duties: MasterDuties | null = null;
  private classicMaster: HaMaster | null = null;
  private classicSlave: HaSlave | null = null;
  private switchMaster: AutoSwitchMaster | null = null;
  private switchSlave: AutoSwitchSlave | null = null;
  private slaveSync: SlaveSync | null = null;
  private haPort = 0;
  /** Controller mode: the master this broker follows (its remoting address). */
  private following: string | null = null;
  /** Controller mode, as master: the epoch it leads and the in-sync set the controller holds. */
  private led: { epoch: number; syncStateSet: number[]; syncStateSetEpoch: number } | null = null;
  private pumpQueued = false;
  /** Controller mode: this replica's own id (what the in-sync set holds). */
  private controlledId = -1;
  /** Controller mode, as master: caught-up replicas the controller has not answered about. */
  private readonly pendingJoin = new Set<number>();
  /** Controller mode, as master: when a controller last named it master of its epoch. */
  private confirmedMs = 0;
  /** The confirmation whose lapse was last logged. */
  private fencedSinceMs = -1;
  /** When leadership was last revoked: confirmations asked for before then do not count. */
  private revokedAtMs = -Infinity;

  constructor(private readonly deps: HaRolesDeps) {}

  /** Where slaves connect: brokerIP1 and the HA port bound. */
  haServerAddr(): string {
    return `${this.deps.ctx.config.brokerIP1}:${this.haPort}`;
  }

  /** What both HA masters (classic and controller mode) are built from. */
  private haServerOptions() {
    const { config, clock, log, store } = this.deps.ctx;
    return {
      store,
      clock,
      log: log.child("ha"),
      host: config.bindAddress,
      port: this.haListenPort(),
      heartbeatIntervalMs: config.haSendHeartbeatInterval,
      housekeepingIntervalMs: config.haHousekeepingInterval,
      transferBatchBytes: config.haTransferBatchSize,
    };
  }

  /** The HA port to bind: configured, else RocketMQ's listen port + 1 (any, for port 0). */
  private haListenPort(): number {
    const { config } = this.deps.ctx;
    if (config.haListenPort >= 0) return config.haListenPort;
    return config.listenPort === 0 ? 0 : config.listenPort + 1;
  }

  /** Classic mode: the role brokerRole names, for the broker's whole life. */
  startClassic(): void {
    const { ctx } = this.deps;
    const { config, clock, log, store } = ctx;
    if (config.brokerRole === "SLAVE") {
      ctx.role = { brokerRole: "SLAVE", brokerId: config.brokerId };
      this.classicSlave = new HaSlave({
        store,
        clock,
        log: log.child("ha"),
        masterAddress: () => config.haMasterAddress || this.deps.registration()?.masterHaAddr,
        reportIntervalMs: config.haSendHeartbeatInterval,
        housekeepingIntervalMs: config.haHousekeepingInterval,
      });
      return;
    }
    ctx.role = { brokerRole: config.brokerRole as "ASYNC_MASTER" | "SYNC_MASTER", brokerId: 0 };
    this.classicMaster = new HaMaster(this.haServerOptions());
    this.haPort = this.classicMaster.start().port;
    ctx.replication.use(
      config.brokerRole,
      classicAcks(this.classicMaster, config.haSlaveFallbehindMax),
    );
    this.startDuties();
  }

  /** Runs after registration: a classic slave starts following and copying metadata. */
  afterRegistration(): void {
    if (!this.classicSlave) return;
    this.classicSlave.start();
    this.startSlaveSync(() => this.deps.registration()?.masterAddr);
  }

  /** Controller mode: bind the HA port (kept for life) and wait as a slave for a master. */
  startControlled(brokerId: number): void {
    const { ctx, epochs } = this.deps;
    if (!epochs) throw new Error("controller mode needs the epoch file");
    ctx.role = { brokerRole: "SLAVE", brokerId };
    this.controlledId = brokerId;
    this.switchMaster = new AutoSwitchMaster({
      ...this.haServerOptions(),
      epochs,
      serving: false,
      ackFrom: () => this.ackPolicy(),
      onCaughtUp: (id, ackOffset) => this.caughtUp(id, ackOffset),
    });
    this.haPort = this.switchMaster.start().port;
  }

  /** Controller mode: lead `epoch` (a no-op if already leading it). */
  becomeMaster(view: ControllerView, brokerId: number): boolean {
    const { ctx, epochs } = this.deps;
    const { store, log, config } = ctx;
    if (!epochs || !this.switchMaster) return false;
    if (this.led?.epoch === view.masterEpoch) {
      this.updateSyncStateSet(view.syncStateSet, view.syncStateSetEpoch);
      return true;
    }
    if (view.masterEpoch < epochs.lastEpoch()) {
      log.warn(`not leading epoch ${view.masterEpoch}: this log is at ${epochs.lastEpoch()}`);
      return false;
    }
    this.stopSlaveParts();
    // A master dispatches all it has: its confirmed part and the rest it takes over with.
    store.setDispatchLimit(Infinity);
    const complete = store.dispatcher.reputOffset;
    if (complete < store.commitLog.writePosition) store.truncateTo(complete);
    store.recoverQueueOffsets(); // replicated appends left the writer's counters behind
    epochs.truncateFrom(store.commitLog.writePosition + 1);
    // Leading the epoch it led before (a restart the controller saw none of): keep its entry,
    // as RocketMQ's changeToMasterWhenLastRoleIsMaster does.
    if (epochs.lastEpoch() !== view.masterEpoch) {
      epochs.append({ epoch: view.masterEpoch, startOffset: store.commitLog.writePosition });
    }
    this.pendingJoin.clear();
    this.led = {
      epoch: view.masterEpoch,
      syncStateSet: view.syncStateSet,
      syncStateSetEpoch: view.syncStateSetEpoch,
    };
    this.confirmedMs = ctx.clock.nowMs();
    ctx.role = { brokerRole: "SYNC_MASTER", brokerId: 0 };
    this.following = null;
    this.switchMaster.setServing(true);
    ctx.replication.use(
      "SYNC_MASTER",
      {
        unavailable: () => null,
        waitForAck: (offset, timeoutMs) => this.switchMaster!.waitForAck(offset, timeoutMs),
      },
      {
        inSyncCount: () => this.led?.syncStateSet.length ?? 1,
        fence: () => this.fenced(),
      },
    );
    this.duties?.stop(); // re-elected at a new epoch while leading: one set of duties
    this.startDuties();
    log.warn(
      `now MASTER of ${config.brokerName} (replica ${brokerId}), epoch ${view.masterEpoch}, ` +
        `log from ${store.commitLog.writePosition}`,
    );
    void this.deps.registration()?.registerAll();
    return true;
  }

  /** Controller mode: follow the master at `view.masterAddress`. */
  becomeSlave(view: ControllerView, brokerId: number): boolean {
    const { ctx, epochs } = this.deps;
    const { config, clock, log, store } = ctx;
    if (!epochs || !this.switchMaster) return false;
    if (this.following === view.masterAddress && this.switchSlave) return true;
    const wasMaster = this.led !== null;
    this.stopMasterParts();
    this.stopSlaveParts();
    this.led = null;
    ctx.role = { brokerRole: "SLAVE", brokerId };
    ctx.replication.use("SLAVE", null);
    this.following = view.masterAddress;
    const master = view.masterAddress;
    this.switchSlave = new AutoSwitchSlave({
      store,
      epochs,
      clock,
      log: log.child("ha"),
      brokerId,
      masterAddress: () => {
        const registration = this.deps.registration();
        if (registration?.masterAddr === master) return registration.masterHaAddr;
        registration?.registerSoon(); // learn the new master's HA address from a name server
        return undefined;
      },
      reportIntervalMs: config.haSendHeartbeatInterval,
      housekeepingIntervalMs: config.haHousekeepingInterval,
    });
    this.switchSlave.start();
    this.startSlaveSync(() => master);
    log.warn(
      `${wasMaster ? "stepped down: " : ""}now SLAVE (replica ${brokerId}) of ${master}, ` +
        `epoch ${view.masterEpoch}`,
    );
    void this.deps.registration()?.registerAll();
    return true;
  }

  /** Controller mode, as slave: the master's remoting address it follows. */
  followingAddress(): string | null {
    return this.following;
  }

  /**
   * A controller's answer to a request sent at `sentAtMs` named this broker master of the
   * epoch it leads. The lease runs from when the question left, not when the answer came.
   */
  confirmLeadership(sentAtMs: number): void {
    if (!this.led || sentAtMs < this.revokedAtMs) return;
    this.confirmedMs = Math.max(this.confirmedMs, sentAtMs);
  }

  /**
   * The connection to the controller that confirmed this master closed: that controller may be
   * electing another master right now (a closed connection is a death to it), so writes stop
   * until a controller confirms this one again.
   */
  revokeLeadership(why: string): void {
    if (!this.led) return;
    this.revokedAtMs = this.deps.ctx.clock.nowMs();
    this.confirmedMs = -Infinity;
    this.deps.ctx.log.warn(`writes paused: ${why}`);
  }

  /**
   * Why this master must not take writes now, or null. A master the controller has not
   * confirmed for controllerHeartBeatTimeoutMills may have been replaced behind a partition
   * (the controller elects after that much silence): it stops writing rather than accept
   * messages for an epoch that is over.
   */
  private fenced(): string | null {
    const leaseMs = this.deps.ctx.config.controllerHeartBeatTimeoutMills;
    const sinceMs = this.deps.ctx.clock.nowMs() - this.confirmedMs;
    if (!this.led || sinceMs <= leaseMs) return null;
    if (!Number.isFinite(sinceMs)) return "the connection to the controller closed";
    const epoch = this.led.epoch;
    const why = `no controller has confirmed this master for ${sinceMs} ms (epoch ${epoch})`;
    if (this.fencedSinceMs !== this.confirmedMs) {
      this.fencedSinceMs = this.confirmedMs; // once per lapse
      this.deps.ctx.log.warn(`${why}: refusing writes until one does`);
    }
    return why;
  }

  /** How long ago a controller last confirmed this master (controller mode, as master). */
  sinceConfirmedMs(): number {
    return this.deps.ctx.clock.nowMs() - this.confirmedMs;
  }

  /** The controller accepted a new in-sync set (or told of one). */
  updateSyncStateSet(syncStateSet: number[], syncStateSetEpoch: number): void {
    if (!this.led || syncStateSetEpoch < this.led.syncStateSetEpoch) return;
    this.led = { ...this.led, syncStateSet, syncStateSetEpoch };
    this.switchMaster?.recheckWaiters();
  }

  /** Controller mode, as master: the epochs an ALTER_SYNC_STATE_SET must name. */
  leadership(): { epoch: number; syncStateSet: number[]; syncStateSetEpoch: number } | null {
    return this.led;
  }

  /** Controller mode, as master: each connected replica's ack and when it last caught up. */
  replicaStates(): { brokerId: number; ackOffset: number; caughtUpMs: number }[] {
    return this.switchMaster?.replicaStates() ?? [];
  }

  /**
   * A replica has everything acknowledged so far: from now on sends wait for it too (it is
   * counted as in sync while the controller is asked, as RocketMQ's markSynchronizing does), so
   * nothing acknowledged after this moment can be missing from it if it is elected.
   */
  private caughtUp(brokerId: number, ackOffset: number): void {
    const led = this.led;
    if (!led || led.syncStateSet.includes(brokerId) || this.pendingJoin.has(brokerId)) return;
    if (ackOffset < this.epochStart()) return; // it must hold this epoch's start at least
    this.pendingJoin.add(brokerId);
    this.onJoinable?.();
  }

  /** Controller mode, as master: replicas counted as in sync until the controller answers. */
  pendingJoins(): number[] {
    return [...this.pendingJoin];
  }

  /** The controller answered about these joins (accepted or refused). */
  settleJoins(ids: number[]): void {
    for (const id of ids) this.pendingJoin.delete(id);
  }

  /** Called when a replica became joinable (the controller client asks the controller). */
  onJoinable: (() => void) | null = null;

  /** Whom SYNC sends wait for in controller mode (allAckInSyncStateSet or inSyncReplicas). */
  private ackPolicy(): { ids: readonly number[] | null; count: number } {
    const { config } = this.deps.ctx;
    const set = [...new Set([...(this.led?.syncStateSet ?? []), ...this.pendingJoin])];
    if (config.allAckInSyncStateSet) {
      // The master stands for itself; route ids show it as 0, the set holds its own id.
      const others = set.filter((id) => id !== this.selfId());
      return { ids: others, count: others.length };
    }
    return { ids: null, count: Math.max(0, config.inSyncReplicas - 1) };
  }

  private selfId(): number {
    return this.controlledId;
  }

  /** The newest epoch in the epoch file (0: none), what heartbeats report. */
  lastEpoch(): number {
    return this.deps.epochs?.lastEpoch() ?? 0;
  }

  /** Where the epoch this broker leads began (a replica must have that much to join). */
  epochStart(): number {
    const entries = this.deps.epochs?.entries() ?? [];
    return entries[entries.length - 1]?.startOffset ?? 0;
  }

  /** Dispatch saw a record: duties look at it, and replicas get the new bytes once per drain. */
  onDispatch(record: DispatchedRecord): void {
    this.duties?.onDispatch(record);
    const master = this.classicMaster ?? (this.led ? this.switchMaster : null);
    if (!master || this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      // Every record of the drain is in the log by the time this runs.
      this.pumpQueued = false;
      master.notifyAppended();
    });
  }

  delayOffsetsJson(): string | undefined {
    return this.duties?.delayOffsetsJson();
  }

  /** Runtime info: a slave's master, a master's replica connections, controller epochs. */
  status(): HaStatus {
    const controlled: HaStatus = this.deps.epochs
      ? { replicaId: this.controlledId, masterEpoch: this.deps.epochs.lastEpoch() }
      : {};
    if (this.classicMaster) {
      return {
        connections: this.classicMaster.connectionCount(),
        slaveAckOffset: this.classicMaster.ackOffset(),
      };
    }
    if (this.led && this.switchMaster) {
      const states = this.switchMaster.replicaStates();
      return {
        ...controlled,
        connections: states.length,
        slaveAckOffset: Math.max(-1, ...states.map((s) => s.ackOffset)),
        syncStateSet: [...this.led.syncStateSet].sort((a, b) => a - b),
      };
    }
    return { ...controlled, masterAddr: this.following ?? this.deps.registration()?.masterAddr };
  }

  stop(): void {
    this.stopMasterParts();
    this.stopSlaveParts();
    this.classicMaster?.stop();
    this.switchMaster?.stop();
  }

  private startDuties(): void {
    const { ctx, io, parts } = this.deps;
    this.duties = new MasterDuties(ctx, io, parts);
    this.duties.start();
  }

  private startSlaveSync(masterAddr: () => string | undefined): void {
    const { ctx, io, outbound } = this.deps;
    this.slaveSync = new SlaveSync(ctx, io, outbound, masterAddr);
    this.slaveSync.start();
  }

  private stopMasterParts(): void {
    this.duties?.stop();
    this.duties = null;
    this.switchMaster?.setServing(false);
  }

  private stopSlaveParts(): void {
    this.slaveSync?.stop();
    this.slaveSync = null;
    this.classicSlave?.stop();
    this.switchSlave?.stop();
    this.switchSlave = null;
  }
}
