// The controller's state (spec §9.3), kept apart from any transport so its rules are tested on
// a manual clock: per broker group, the replicas (id, address, liveness from heartbeats, last
// reported epoch and max offset, election priority), the master id and its epoch, and the
// in-sync replica set (SyncStateSet) with its own epoch.
//
// Rules, as RocketMQ's ReplicasInfoManager and DefaultElectPolicy apply them:
// - ids are handed out per group from 1 up (brokerId in controller mode is the replica's own
//   id; routes still show the master as 0);
// - the first replica to register in a group without a master becomes master, epoch 1;
// - when the master's heartbeat is older than the timeout (or its channel closed), a new master
//   is elected among the ALIVE members of the SyncStateSet (all alive replicas if unclean
//   elections are allowed), best first by (epoch desc, max offset desc, priority asc, id asc);
//   the master epoch goes up and the SyncStateSet becomes the new master alone;
// - the master changes the SyncStateSet only with the current master and set epochs (fencing);
//   a stale request is refused, so a deposed master cannot shrink or grow anything.

import type { Clock } from "../../common/clock.ts";

export interface ReplicaInfo {
  brokerId: number;
  address: string;
  lastHeartbeatMs: number;
  /** Silence after which it is dead: its heartbeat's heartbeatTimeoutMills, else the default. */
  timeoutMs: number;
  /** The epoch and max offset the replica last reported (its data's recency). */
  epoch: number;
  maxOffset: number;
  /** Lower wins (RocketMQ's electionPriority). */
  electionPriority: number;
  alive: boolean;
}

export interface GroupState {
  clusterName: string;
  brokerName: string;
  nextBrokerId: number;
  /** registerCheckCode of every id handed out (APPLY_BROKER_ID), so a retry gets its own back. */
  checkCodes: Map<number, string>;
  replicas: Map<number, ReplicaInfo>;
  masterId: number | null;
  masterEpoch: number;
  syncStateSet: Set<number>;
  syncStateSetEpoch: number;
}

export interface SavedGroup {
  clusterName: string;
  brokerName: string;
  nextBrokerId: number;
  replicas: {
    brokerId: number;
    address: string;
    registerCheckCode: string;
    epoch: number;
    maxOffset: number;
  }[];
  masterId: number | null;
  masterEpoch: number;
  syncStateSet: number[];
  syncStateSetEpoch: number;
}

export interface MasterView {
  masterId: number | null;
  masterAddress: string | null;
  masterEpoch: number;
  syncStateSet: number[];
  syncStateSetEpoch: number;
}

export type AlterResult =
  | { ok: true; syncStateSetEpoch: number }
  | {
      ok: false;
      /** RocketMQ's CONTROLLER_* response code names, without the prefix. */
      reason:
        | "FAILED"
        | "INVALID_MASTER"
        | "FENCED_MASTER_EPOCH"
        | "FENCED_SYNC_STATE_SET_EPOCH"
        | "INVALID_REPLICAS"
        | "BROKER_NOT_ALIVE";
    };

export type ElectResult = "ELECTED" | "STILL_EXIST" | "NOT_REGISTERED" | "NO_CANDIDATE" | "FAILED";

export interface ElectionEvent {
  brokerName: string;
  view: MasterView;
  /** Why it happened, for the log. */
  cause: string;
}

export class ReplicaGroups {
  private readonly groups = new Map<string, GroupState>();

  constructor(
    private readonly clock: Clock,
    private readonly heartbeatTimeoutMs: number,
    private readonly allowUncleanElection = false,
  ) {}

  group(brokerName: string): GroupState | undefined {
    return this.groups.get(brokerName);
  }

  /** The id the next replica of `brokerName` may apply for (CONTROLLER_GET_NEXT_BROKER_ID). */
  nextBrokerId(clusterName: string, brokerName: string): number {
    return this.groupOf(clusterName, brokerName).nextBrokerId;
  }

  /**
   * A replica claims an id (CONTROLLER_APPLY_BROKER_ID): the next free one, or one it claimed
   * before with the same check code (a retry after a lost answer). False: someone else's.
   */
  applyBrokerId(
    clusterName: string,
    brokerName: string,
    brokerId: number,
    registerCheckCode: string,
  ): boolean {
    const group = this.groupOf(clusterName, brokerName);
    const claimed = group.checkCodes.get(brokerId);
    if (claimed !== undefined) return claimed === registerCheckCode;
    if (brokerId !== group.nextBrokerId) return false;
    group.checkCodes.set(brokerId, registerCheckCode);
    group.nextBrokerId++;
    return true;
  }

  /** Every group, for the controller's state file and its operator views. */
  all(): GroupState[] {
    return [...this.groups.values()];
  }

  /**
   * A group as the state file kept it. Its replicas count as alive from now: a restarted
   * controller gives each one heartbeat timeout to show up before it elects anyone.
   */
  restore(saved: SavedGroup): void {
    const nowMs = this.clock.nowMs();
    const replicas = new Map<number, ReplicaInfo>();
    for (const r of saved.replicas) {
      replicas.set(r.brokerId, {
        brokerId: r.brokerId,
        address: r.address,
        lastHeartbeatMs: nowMs,
        timeoutMs: this.heartbeatTimeoutMs,
        epoch: r.epoch,
        maxOffset: r.maxOffset,
        electionPriority: 0,
        alive: true,
      });
    }
    this.groups.set(saved.brokerName, {
      clusterName: saved.clusterName,
      brokerName: saved.brokerName,
      nextBrokerId: saved.nextBrokerId,
      checkCodes: new Map(saved.replicas.map((r) => [r.brokerId, r.registerCheckCode])),
      replicas,
      masterId: saved.masterId,
      masterEpoch: saved.masterEpoch,
      syncStateSet: new Set(saved.syncStateSet),
      syncStateSetEpoch: saved.syncStateSetEpoch,
    });
  }

  /** What the state file keeps of a group (liveness is not kept: it is re-learnt). */
  save(group: GroupState): SavedGroup {
    const ids = new Set([...group.checkCodes.keys(), ...group.replicas.keys()]);
    return {
      clusterName: group.clusterName,
      brokerName: group.brokerName,
      nextBrokerId: group.nextBrokerId,
      replicas: [...ids]
        .sort((a, b) => a - b)
        .map((brokerId) => {
          const r = group.replicas.get(brokerId);
          return {
            brokerId,
            address: r?.address ?? "",
            registerCheckCode: group.checkCodes.get(brokerId) ?? "",
            epoch: r?.epoch ?? 0,
            maxOffset: r?.maxOffset ?? 0,
          };
        }),
      masterId: group.masterId,
      masterEpoch: group.masterEpoch,
      syncStateSet: [...group.syncStateSet].sort((a, b) => a - b),
      syncStateSetEpoch: group.syncStateSetEpoch,
    };
  }

  /**
   * A replica (re)registers with its address; a group without a master gets this one as its
   * first master. Returns the group's master as it stands after.
   */
  register(
    clusterName: string,
    brokerName: string,
    brokerId: number,
    address: string,
    report: { epoch: number; maxOffset: number; electionPriority?: number },
  ): { view: MasterView; elected: ElectionEvent | null } {
    const group = this.groupOf(clusterName, brokerName);
    if (brokerId >= group.nextBrokerId) group.nextBrokerId = brokerId + 1;
    group.replicas.set(brokerId, {
      brokerId,
      address,
      lastHeartbeatMs: this.clock.nowMs(),
      timeoutMs: group.replicas.get(brokerId)?.timeoutMs ?? this.heartbeatTimeoutMs,
      epoch: report.epoch,
      maxOffset: report.maxOffset,
      electionPriority: report.electionPriority ?? 0,
      alive: true,
    });
    let elected: ElectionEvent | null = null;
    if (group.masterId === null) {
      // A new group takes its first replica; a group that lost every in-sync replica waits
      // for one of them (or any replica, unclean) rather than crown a stale one.
      elected =
        group.syncStateSet.size === 0
          ? this.makeMaster(group, brokerId, "first replica of the group")
          : this.elect(group, `replica ${brokerId} registered to a group without a master`);
      if (elected && elected.view.masterId === null) elected = null;
    }
    return { view: this.view(group), elected };
  }

  /** BROKER_HEARTBEAT: liveness plus the replica's epoch and max offset. */
  heartbeat(
    brokerName: string,
    brokerId: number,
    report: { epoch: number; maxOffset: number; timeoutMs?: number; electionPriority?: number },
  ) {
    const replica = this.groups.get(brokerName)?.replicas.get(brokerId);
    if (!replica) return false;
    replica.lastHeartbeatMs = this.clock.nowMs();
    replica.alive = true;
    if (report.timeoutMs !== undefined) replica.timeoutMs = report.timeoutMs;
    if (report.electionPriority !== undefined) replica.electionPriority = report.electionPriority;
    // Forward only, as RocketMQ's heartbeat manager: a newer epoch, or more data in the same.
    if (
      report.epoch > replica.epoch ||
      (report.epoch === replica.epoch && report.maxOffset > replica.maxOffset)
    ) {
      replica.epoch = report.epoch;
      replica.maxOffset = report.maxOffset;
    }
    return true;
  }

  /** The replica's connection closed: it is dead from now, whatever its last heartbeat. */
  disconnected(brokerName: string, brokerId: number): void {
    const replica = this.groups.get(brokerName)?.replicas.get(brokerId);
    if (replica) replica.alive = false;
  }

  /**
   * The name server lost the route connection of the broker at `address`: replicas there are
   * dead from now. Returns how many there were.
   */
  disconnectedAt(address: string): number {
    let count = 0;
    for (const group of this.groups.values()) {
      for (const replica of group.replicas.values()) {
        if (replica.address !== address || !replica.alive) continue;
        replica.alive = false;
        count++;
      }
    }
    return count;
  }

  /** Marks replicas with stale heartbeats dead and elects where a master died. */
  scanInactive(): ElectionEvent[] {
    const nowMs = this.clock.nowMs();
    const events: ElectionEvent[] = [];
    for (const group of this.groups.values()) {
      for (const replica of group.replicas.values()) {
        if (nowMs - replica.lastHeartbeatMs > replica.timeoutMs) replica.alive = false;
      }
      const master = group.masterId === null ? undefined : group.replicas.get(group.masterId);
      if (group.masterId !== null && !master?.alive) {
        const event = this.elect(group, `master ${group.masterId} is not alive`);
        if (event) events.push(event);
      }
    }
    return events;
  }

  /**
   * The master asks to change the in-sync set (CONTROLLER_ALTER_SYNC_STATE_SET), naming the
   * epochs it believes current; checks in RocketMQ's order, so a deposed master is refused.
   */
  alterSyncStateSet(
    brokerName: string,
    masterId: number,
    masterEpoch: number,
    newSet: number[],
    syncStateSetEpoch: number,
  ): AlterResult {
    const group = this.groups.get(brokerName);
    if (!group) return { ok: false, reason: "FAILED" };
    const set = new Set(newSet);
    const same =
      set.size === group.syncStateSet.size && newSet.every((id) => group.syncStateSet.has(id));
    if (same) return { ok: false, reason: "FAILED" };
    if (group.masterId === null || group.masterId !== masterId) {
      return { ok: false, reason: "INVALID_MASTER" };
    }
    if (masterEpoch !== group.masterEpoch) return { ok: false, reason: "FENCED_MASTER_EPOCH" };
    if (syncStateSetEpoch !== group.syncStateSetEpoch) {
      return { ok: false, reason: "FENCED_SYNC_STATE_SET_EPOCH" };
    }
    for (const id of set) {
      const replica = group.replicas.get(id);
      if (!replica) return { ok: false, reason: "INVALID_REPLICAS" };
      if (!replica.alive) return { ok: false, reason: "BROKER_NOT_ALIVE" };
    }
    if (!set.has(masterId)) return { ok: false, reason: "FAILED" };
    group.syncStateSet = set;
    group.syncStateSetEpoch++;
    return { ok: true, syncStateSetEpoch: group.syncStateSetEpoch };
  }

  /**
   * CONTROLLER_ELECT_MASTER: a broker (or an operator, `designated`) asks for an election. A
   * live master stays (MASTER_STILL_EXIST) unless an operator names another; a group that never
   * had a master takes the asking replica; otherwise the election rule picks.
   */
  electMaster(
    brokerName: string,
    brokerId: number,
    designated: boolean,
  ): { result: ElectResult; view: MasterView | null; elected: ElectionEvent | null } {
    const group = this.groups.get(brokerName);
    if (!group) return { result: "NOT_REGISTERED", view: null, elected: null };
    const master = group.masterId === null ? undefined : group.replicas.get(group.masterId);
    if (master?.alive && (!designated || brokerId === master.brokerId)) {
      return { result: "STILL_EXIST", view: this.view(group), elected: null };
    }
    if (group.masterEpoch === 0 && group.replicas.has(brokerId)) {
      const elected = this.makeMaster(group, brokerId, `replica ${brokerId} asked first`);
      return { result: "ELECTED", view: elected.view, elected };
    }
    if (designated) {
      const target = group.replicas.get(brokerId);
      const eligible = this.allowUncleanElection || group.syncStateSet.has(brokerId);
      if (!target?.alive || !eligible) {
        return { result: "FAILED", view: this.view(group), elected: null };
      }
      const elected = this.makeMaster(group, brokerId, `operator chose replica ${brokerId}`);
      return { result: "ELECTED", view: elected.view, elected };
    }
    // A broker asking with nobody fit to lead changes nothing (RocketMQ: ELECT_MASTER_FAILED);
    // only the controller's own trigger moves the epoch on to "no master".
    if (brokerId >= 0 && !this.bestCandidate(group)) {
      return { result: "FAILED", view: this.view(group), elected: null };
    }
    const elected = this.elect(group, `replica ${brokerId} asked for an election`);
    if (!elected || elected.view.masterId === null) {
      return { result: "NO_CANDIDATE", view: this.view(group), elected };
    }
    return { result: "ELECTED", view: elected.view, elected };
  }

  view(group: GroupState): MasterView {
    const master = group.masterId === null ? undefined : group.replicas.get(group.masterId);
    return {
      masterId: group.masterId,
      masterAddress: master?.address ?? null,
      masterEpoch: group.masterEpoch,
      syncStateSet: [...group.syncStateSet].sort((a, b) => a - b),
      syncStateSetEpoch: group.syncStateSetEpoch,
    };
  }

  /** Elects among the candidates; with none, the group is left without a master. */
  /** The best replica to lead `group` now (epoch, max offset, priority, id), if any. */
  private bestCandidate(group: GroupState): ReplicaInfo | undefined {
    const pool = this.allowUncleanElection
      ? [...group.replicas.values()]
      : [...group.syncStateSet].map((id) => group.replicas.get(id)!).filter(Boolean);
    return pool
      .filter((r) => r.alive && r.brokerId !== group.masterId)
      .sort(
        (a, b) =>
          b.epoch - a.epoch ||
          b.maxOffset - a.maxOffset ||
          a.electionPriority - b.electionPriority ||
          a.brokerId - b.brokerId,
      )[0];
  }

  private elect(group: GroupState, cause: string): ElectionEvent | null {
    const best = this.bestCandidate(group);
    if (!best) {
      // No one fit to lead: writes stop rather than lose data. The epoch still moves on, as
      // RocketMQ's does, so whoever led before cannot pass for current.
      group.masterId = null;
      group.masterEpoch++;
      return {
        brokerName: group.brokerName,
        view: this.view(group),
        cause: `${cause}; no candidate`,
      };
    }
    return this.makeMaster(group, best.brokerId, cause);
  }

  private makeMaster(group: GroupState, brokerId: number, cause: string): ElectionEvent {
    group.masterId = brokerId;
    group.masterEpoch++;
    group.syncStateSet = new Set([brokerId]);
    group.syncStateSetEpoch++;
    return { brokerName: group.brokerName, view: this.view(group), cause };
  }

  private groupOf(clusterName: string, brokerName: string): GroupState {
    let group = this.groups.get(brokerName);
    if (!group) {
      group = {
        clusterName,
        brokerName,
        nextBrokerId: 1,
        checkCodes: new Map(),
        replicas: new Map(),
        masterId: null,
        masterEpoch: 0,
        syncStateSet: new Set(),
        syncStateSetEpoch: 0,
      };
      this.groups.set(brokerName, group);
    }
    return group;
  }
}
