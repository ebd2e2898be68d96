// The controller (spec §9.3) as the name server runs it (`enableControllerInNamesrv`): the
// replica-group rules of replica_groups.ts, their state kept in a store (a local file, or etcd
// for replicated controllers), a scan that elects where a master went silent, and a listener
// told of every election so the name server can notify the group's brokers. It owns no
// sockets.
//
// Only the active controller (leadership.ts) changes anything; the others answer
// NotLeaderError but keep track of replica liveness from heartbeats, ready to take over.
// Changes run one at a time, and each is stored before the caller answers: a master epoch
// handed out is never handed out again after a crash. A failed store write (a full disk, or
// etcd refusing a stale leader's write) puts the state back as stored and fails the request.

import type { Clock, TimerHandle } from "../../common/clock.ts";
import type { Logger } from "../../common/log.ts";
import type { Leadership } from "./leadership.ts";
import {
  ReplicaGroups,
  type AlterResult,
  type ElectionEvent,
  type GroupState,
  type MasterView,
} from "./replica_groups.ts";
import type { ControllerStateStore } from "./state_store.ts";

export interface ControllerOptions {
  clock: Clock;
  log: Logger;
  store: ControllerStateStore;
  leadership: Leadership;
  /** A replica silent this long is dead, unless its heartbeats say otherwise. */
  heartbeatTimeoutMs: number;
  /** How often dead masters are looked for (scanNotActiveBrokerInterval). */
  scanIntervalMs: number;
  /** enableElectUncleanMaster: elect outside the in-sync set when nobody in it is alive. */
  allowUncleanElection: boolean;
}

export type ElectionListener = (event: ElectionEvent, group: GroupState) => void;

export class NotLeaderError extends Error {
  override name = "NotLeaderError";
}

export class Controller {
  groups: ReplicaGroups;
  private timer: TimerHandle | null = null;
  private readonly listeners: ElectionListener[] = [];
  private stopped = false;
  /** Leader with its state loaded: only then does it change anything. */
  private active = false;
  /** The tail of the queue of changes (one at a time). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ControllerOptions) {
    this.groups = this.freshGroups();
  }

  onElection(listener: ElectionListener): void {
    this.listeners.push(listener);
  }

  /** Resolves once a sole controller has loaded its state (replicated: at once). */
  start(): Promise<void> {
    this.timer = this.options.clock.every(this.options.scanIntervalMs, () => void this.scan());
    let loaded: () => void = () => {};
    const first = new Promise<void>((resolve) => (loaded = resolve));
    this.options.leadership.start((leading) => {
      void this.exclusive(async () => {
        this.active = false;
        if (leading) await this.takeOver();
        loaded();
      }).catch((error) => {
        this.options.log.error(`taking over failed: ${error}`);
        loaded();
      });
    });
    return this.options.leadership.isLeader() ? first : Promise.resolve();
  }

  /** Stops scanning and leading; connections closing after this elect no one. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.active = false;
    this.timer?.cancel();
    this.timer = null;
    await this.options.leadership.stop();
  }

  isActive(): boolean {
    return this.active && this.options.leadership.isLeader();
  }

  leaderAddress(): string | null {
    return this.options.leadership.leaderAddress();
  }

  /**
   * Reads the state behind every change queued before it, so an answer never shows a change
   * that is still being stored (and might not be).
   */
  read<T>(look: (groups: ReplicaGroups) => T): Promise<T> {
    return this.exclusive(async () => {
      this.requireActive();
      return look(this.groups);
    });
  }

  nextBrokerId(clusterName: string, brokerName: string): Promise<number> {
    return this.read((groups) => groups.nextBrokerId(clusterName, brokerName));
  }

  applyBrokerId(cluster: string, brokerName: string, brokerId: number, code: string) {
    return this.change(() => {
      const applied = this.groups.applyBrokerId(cluster, brokerName, brokerId, code);
      return { result: applied, changed: applied };
    });
  }

  /** CONTROLLER_REGISTER_BROKER; null when the replica never applied for its id. */
  register(
    clusterName: string,
    brokerName: string,
    brokerId: number,
    address: string,
    report: { epoch: number; maxOffset: number; electionPriority?: number },
  ): Promise<MasterView | null> {
    return this.change(() => {
      const group = this.groups.group(brokerName);
      if (!group || (!group.checkCodes.has(brokerId) && !group.replicas.has(brokerId))) {
        return { result: null, changed: false };
      }
      const outcome = this.groups.register(clusterName, brokerName, brokerId, address, report);
      // RocketMQ names the master only while it is alive; a broker told of none asks for an
      // election.
      const master =
        outcome.view.masterId === null ? undefined : group.replicas.get(outcome.view.masterId);
      const view = master?.alive
        ? outcome.view
        : { ...outcome.view, masterId: null, masterAddress: null };
      return { result: view, changed: true, elected: outcome.elected };
    });
  }

  /** BROKER_HEARTBEAT, on every controller; false when the replica is not known here. */
  heartbeat(
    brokerName: string,
    brokerId: number,
    report: { epoch: number; maxOffset: number; timeoutMs?: number; electionPriority?: number },
  ): boolean {
    return this.groups.heartbeat(brokerName, brokerId, report);
  }

  /** CONTROLLER_ELECT_MASTER from a broker or an operator. */
  electMaster(brokerName: string, brokerId: number, designated: boolean) {
    return this.change(() => {
      const outcome = this.groups.electMaster(brokerName, brokerId, designated);
      return { result: outcome, changed: outcome.elected !== null, elected: outcome.elected };
    });
  }

  /** The replica's connection closed: dead at once, and its group elects if it led. */
  disconnected(brokerName: string, brokerId: number): void {
    if (this.stopped) return;
    this.groups.disconnected(brokerName, brokerId);
    void this.scan();
  }

  /**
   * The broker at `address` lost its route connection to this name server. That connection can
   * be the only one a replica has here for a while: a restarted controller binds a replica's
   * heartbeat connection at its first heartbeat, and a master killed before then would
   * otherwise wait out a whole heartbeat timeout for its successor.
   */
  disconnectedAt(address: string): void {
    if (this.stopped) return;
    if (this.groups.disconnectedAt(address) > 0) void this.scan();
  }

  async alterSyncStateSet(
    brokerName: string,
    masterId: number,
    masterEpoch: number,
    newSet: number[],
    syncStateSetEpoch: number,
  ): Promise<AlterResult> {
    const result = await this.change(() => {
      const result = this.groups.alterSyncStateSet(
        brokerName,
        masterId,
        masterEpoch,
        newSet,
        syncStateSetEpoch,
      );
      return { result, changed: result.ok };
    });
    // Logged once stored, not before: a controller killed between the two must not have
    // announced a set that its restart does not know.
    if (result.ok) {
      const ids = newSet.join(",");
      this.options.log.info(
        `${brokerName}: in-sync set is now [${ids}] (epoch ${result.syncStateSetEpoch})`,
      );
    }
    return result;
  }

  /** The group's master as it stands (CONTROLLER_GET_REPLICA_INFO); undefined: no such group. */
  replicaInfo(brokerName: string): Promise<MasterView | undefined> {
    return this.read((groups) => {
      const group = groups.group(brokerName);
      return group ? groups.view(group) : undefined;
    });
  }

  /** Marks silent replicas dead and elects where a master died; public for manual clocks. */
  scan(): Promise<void> {
    if (this.stopped || !this.isActive()) return Promise.resolve();
    return this.change(() => {
      const events = this.groups.scanInactive();
      return { result: undefined, changed: events.length > 0, elected: events };
    }).catch((error) => this.options.log.warn(`election not stored: ${error}`));
  }

  /**
   * Runs `mutate` on the active controller's state, stores the state if it changed, then
   * tells listeners of elections. One change at a time; a failed store puts the state back.
   */
  private change<T>(
    mutate: () => { result: T; changed: boolean; elected?: ElectionEvent | ElectionEvent[] | null },
  ): Promise<T> {
    return this.exclusive(async () => {
      this.requireActive();
      const outcome = mutate();
      if (outcome.changed) {
        try {
          await this.options.store.save(this.groups.all().map((g) => this.groups.save(g)));
        } catch (error) {
          this.options.log.warn(`controller state not stored (${error}); reloading it`);
          await this.takeOver().catch(() => (this.active = false));
          throw error;
        }
      }
      const events = [outcome.elected ?? []].flat().filter((e): e is ElectionEvent => e !== null);
      this.announce(events);
      return outcome.result;
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private requireActive(): void {
    if (!this.isActive()) {
      const leader = this.leaderAddress();
      throw new NotLeaderError(`not the active controller${leader ? ` (${leader} is)` : ""}`);
    }
  }

  /** Loads the stored state; replicas get one heartbeat timeout to show they are alive. */
  private async takeOver(): Promise<void> {
    const saved = await this.options.store.load();
    const groups = this.freshGroups();
    for (const group of saved) groups.restore(group);
    this.groups = groups;
    this.active = this.options.leadership.isLeader();
    this.options.log.info(`controller state loaded from ${this.options.store.where}`);
  }

  private freshGroups(): ReplicaGroups {
    const { clock, heartbeatTimeoutMs, allowUncleanElection } = this.options;
    return new ReplicaGroups(clock, heartbeatTimeoutMs, allowUncleanElection);
  }

  private announce(events: ElectionEvent[]): void {
    for (const event of events) {
      const { masterId, masterEpoch, syncStateSet } = event.view;
      if (masterId === null) {
        this.options.log.warn(`${event.brokerName}: no master (${event.cause})`);
      } else {
        this.options.log.warn(
          `${event.brokerName}: broker ${masterId} elected master, epoch ${masterEpoch}, ` +
            `in-sync [${syncStateSet.join(",")}] (${event.cause})`,
        );
      }
      const group = this.groups.group(event.brokerName);
      if (!group) continue;
      for (const listener of this.listeners) listener(event, group);
    }
  }
}
