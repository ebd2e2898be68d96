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
  replicas: Map<number, ReplicaInfo>;
  masterId: number | null;
  masterEpoch: number;
  syncStateSet: Set<number>;
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
      reason: "FENCED_MASTER_EPOCH" | "FENCED_SYNC_STATE_SET_EPOCH" | "NOT_MASTER" | "INVALID";
    };

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

  /** A new id for a replica joining `brokerName` (CONTROLLER_GET_NEXT_BROKER_ID / APPLY). */
  applyBrokerId(clusterName: string, brokerName: string): number {
    const group = this.groupOf(clusterName, brokerName);
    return group.nextBrokerId++;
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
  heartbeat(brokerName: string, brokerId: number, report: { epoch: number; maxOffset: number }) {
    const replica = this.groups.get(brokerName)?.replicas.get(brokerId);
    if (!replica) return false;
    replica.lastHeartbeatMs = this.clock.nowMs();
    replica.alive = true;
    replica.epoch = report.epoch;
    replica.maxOffset = report.maxOffset;
    return true;
  }

  /** The replica's connection closed: it is dead from now, whatever its last heartbeat. */
  disconnected(brokerName: string, brokerId: number): void {
    const replica = this.groups.get(brokerName)?.replicas.get(brokerId);
    if (replica) replica.alive = false;
  }

  /** Marks replicas with stale heartbeats dead and elects where a master died. */
  scanInactive(): ElectionEvent[] {
    const nowMs = this.clock.nowMs();
    const events: ElectionEvent[] = [];
    for (const group of this.groups.values()) {
      for (const replica of group.replicas.values()) {
        if (nowMs - replica.lastHeartbeatMs > this.heartbeatTimeoutMs) replica.alive = false;
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
   * epochs it believes current; a stale one is fenced off.
   */
  alterSyncStateSet(
    brokerName: string,
    masterId: number,
    masterEpoch: number,
    newSet: number[],
    syncStateSetEpoch: number,
  ): AlterResult {
    const group = this.groups.get(brokerName);
    if (!group) return { ok: false, reason: "INVALID" };
    if (masterEpoch !== group.masterEpoch) return { ok: false, reason: "FENCED_MASTER_EPOCH" };
    if (syncStateSetEpoch !== group.syncStateSetEpoch) {
      return { ok: false, reason: "FENCED_SYNC_STATE_SET_EPOCH" };
    }
    if (group.masterId !== masterId) return { ok: false, reason: "NOT_MASTER" };
    const set = new Set(newSet);
    if (!set.has(masterId) || [...set].some((id) => !group.replicas.get(id)?.alive)) {
      return { ok: false, reason: "INVALID" };
    }
    group.syncStateSet = set;
    group.syncStateSetEpoch++;
    return { ok: true, syncStateSetEpoch: group.syncStateSetEpoch };
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
  private elect(group: GroupState, cause: string): ElectionEvent | null {
    const pool = this.allowUncleanElection
      ? [...group.replicas.values()]
      : [...group.syncStateSet].map((id) => group.replicas.get(id)!).filter(Boolean);
    const candidates = pool
      .filter((r) => r.alive && r.brokerId !== group.masterId)
      .sort(
        (a, b) =>
          b.epoch - a.epoch ||
          b.maxOffset - a.maxOffset ||
          a.electionPriority - b.electionPriority ||
          a.brokerId - b.brokerId,
      );
    const best = candidates[0];
    if (!best) {
      group.masterId = null; // no one fit to lead: writes stop rather than lose data
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
