// The controller (spec §9.3) as the name server runs it (`enableControllerInNamesrv`): the
// replica-group rules of replica_groups.ts, kept in a local state file so a restart forgets
// nothing but liveness, a scan that elects where a master went silent, and a listener told of
// every election so the name server can notify the group's brokers. It owns no sockets.
//
// Every change is written to the state file before the caller answers (write, fsync, rename,
// .bak): a master epoch handed out is never handed out again after a crash.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Clock, TimerHandle } from "../../common/clock.ts";
import { writeFileDurably } from "../../common/durable_file.ts";
import { CorruptionError } from "../../common/errors.ts";
import type { Logger } from "../../common/log.ts";
import {
  ReplicaGroups,
  type AlterResult,
  type ElectionEvent,
  type GroupState,
  type MasterView,
  type SavedGroup,
} from "./replica_groups.ts";

export interface ControllerOptions {
  clock: Clock;
  log: Logger;
  /** Folder of the state file (controllerStorePath); null keeps the state in memory (tests). */
  storePath: string | null;
  /** A replica silent this long is dead (controllerHeartBeatTimeoutMills). */
  heartbeatTimeoutMs: number;
  /** How often dead masters are looked for (scanNotActiveBrokerInterval). */
  scanIntervalMs: number;
  /** enableElectUncleanMaster: elect outside the in-sync set when nobody in it is alive. */
  allowUncleanElection: boolean;
}

export type ElectionListener = (event: ElectionEvent, group: GroupState) => void;

/** The state file's name under controllerStorePath. */
export const CONTROLLER_STATE_FILE = "rmq-controller.json";
const stateFormatVersion = 1;

export class Controller {
  readonly groups: ReplicaGroups;
  private timer: TimerHandle | null = null;
  private readonly listeners: ElectionListener[] = [];
  private stopped = false;

  constructor(private readonly options: ControllerOptions) {
    this.groups = new ReplicaGroups(
      options.clock,
      options.heartbeatTimeoutMs,
      options.allowUncleanElection,
    );
  }

  onElection(listener: ElectionListener): void {
    this.listeners.push(listener);
  }

  start(): void {
    this.load();
    this.timer = this.options.clock.every(this.options.scanIntervalMs, () => this.scan());
  }

  /** Stops scanning; connections closing after this (the name server stopping) elect no one. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
  }

  nextBrokerId(clusterName: string, brokerName: string): number {
    return this.groups.nextBrokerId(clusterName, brokerName);
  }

  applyBrokerId(cluster: string, brokerName: string, brokerId: number, code: string): boolean {
    const applied = this.groups.applyBrokerId(cluster, brokerName, brokerId, code);
    if (applied) this.persist();
    return applied;
  }

  register(
    clusterName: string,
    brokerName: string,
    brokerId: number,
    address: string,
    report: { epoch: number; maxOffset: number; electionPriority?: number },
  ): MasterView {
    const { view, elected } = this.groups.register(
      clusterName,
      brokerName,
      brokerId,
      address,
      report,
    );
    this.persist();
    if (elected) this.announce([elected]);
    return view;
  }

  /** BROKER_HEARTBEAT; false when the replica never registered (it must register first). */
  heartbeat(
    brokerName: string,
    brokerId: number,
    report: { epoch: number; maxOffset: number; timeoutMs?: number; electionPriority?: number },
  ): boolean {
    return this.groups.heartbeat(brokerName, brokerId, report);
  }

  /** CONTROLLER_ELECT_MASTER from a broker or an operator. */
  electMaster(brokerName: string, brokerId: number, designated: boolean) {
    const outcome = this.groups.electMaster(brokerName, brokerId, designated);
    if (outcome.elected) {
      this.persist();
      this.announce([outcome.elected]);
    }
    return outcome;
  }

  /** The replica's connection closed: dead at once, and its group elects if it led. */
  disconnected(brokerName: string, brokerId: number): void {
    if (this.stopped) return;
    this.groups.disconnected(brokerName, brokerId);
    this.scan();
  }

  alterSyncStateSet(
    brokerName: string,
    masterId: number,
    masterEpoch: number,
    newSet: number[],
    syncStateSetEpoch: number,
  ): AlterResult {
    const result = this.groups.alterSyncStateSet(
      brokerName,
      masterId,
      masterEpoch,
      newSet,
      syncStateSetEpoch,
    );
    if (result.ok) {
      this.persist();
      const ids = newSet.join(",");
      this.options.log.info(
        `${brokerName}: in-sync set is now [${ids}] (epoch ${result.syncStateSetEpoch})`,
      );
    }
    return result;
  }

  /** The group's master as it stands (CONTROLLER_GET_REPLICA_INFO); undefined: no such group. */
  replicaInfo(brokerName: string): MasterView | undefined {
    const group = this.groups.group(brokerName);
    return group ? this.groups.view(group) : undefined;
  }

  /** Marks silent replicas dead and elects where a master died; public for manual clocks. */
  scan(): void {
    const events = this.groups.scanInactive();
    if (events.length === 0) return;
    this.persist();
    this.announce(events);
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

  private statePath(): string | null {
    const dir = this.options.storePath;
    return dir === null ? null : join(dir, CONTROLLER_STATE_FILE);
  }

  private persist(): void {
    const path = this.statePath();
    if (path === null) return;
    const groups = this.groups.all().map((g) => this.groups.save(g));
    const text = `${JSON.stringify({ version: stateFormatVersion, groups }, null, 2)}\n`;
    writeFileDurably(path, text, { backup: true });
  }

  private load(): void {
    const path = this.statePath();
    if (path === null) return;
    for (const candidate of [path, `${path}.bak`]) {
      if (!existsSync(candidate)) continue;
      try {
        for (const group of decodeState(readFileSync(candidate, "utf8"))) {
          this.groups.restore(group);
        }
        this.options.log.info(`controller state loaded from ${candidate}`);
        return;
      } catch (error) {
        this.options.log.warn(`controller state ${candidate} unreadable: ${error}`);
      }
    }
    if (existsSync(path))
      throw new CorruptionError(`controller state ${path} and its .bak unreadable`);
  }
}

/** The state file's groups, checked field by field (a hand-edited file must not crash us). */
function decodeState(text: string): SavedGroup[] {
  const parsed = JSON.parse(text) as { version?: unknown; groups?: unknown };
  if (parsed.version !== stateFormatVersion || !Array.isArray(parsed.groups)) {
    throw new CorruptionError("not an rmq controller state file");
  }
  const int = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v);
  for (const g of parsed.groups as SavedGroup[]) {
    const ok =
      typeof g.clusterName === "string" &&
      typeof g.brokerName === "string" &&
      int(g.nextBrokerId) &&
      (g.masterId === null || int(g.masterId)) &&
      int(g.masterEpoch) &&
      int(g.syncStateSetEpoch) &&
      Array.isArray(g.syncStateSet) &&
      g.syncStateSet.every(int) &&
      Array.isArray(g.replicas) &&
      g.replicas.every(
        (r) =>
          int(r.brokerId) &&
          typeof r.address === "string" &&
          typeof r.registerCheckCode === "string" &&
          int(r.epoch) &&
          int(r.maxOffset),
      );
    if (!ok) throw new CorruptionError(`controller state: group ${g.brokerName} is malformed`);
  }
  return parsed.groups as SavedGroup[];
}
