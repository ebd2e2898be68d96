// A broker in controller mode (spec §9.3; RocketMQ's ReplicasManager): it gets its replica id
// once (GET_NEXT_BROKER_ID, APPLY_BROKER_ID; kept in store/brokerIdentity), registers, and
// takes the role the controller gives it. Then, every brokerHeartbeatInterval, it heartbeats
// every controller (its epoch and max offset are what elections compare) and, as master,
// keeps the in-sync set honest: a replica that fell behind for haMaxTimeSlaveNotCatchup or
// disconnected leaves it, one that caught up joins, each change asked of the controller with
// the epochs this master holds (a deposed master is refused). A new master is learnt from the
// controller's notice (NOTIFY_BROKER_ROLE_CHANGED) or, failing that, from the periodic
// GET_REPLICA_INFO, and a notice of an older epoch is ignored.

import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { TimerHandle } from "../common/clock.ts";
import { writeFileDurably } from "../common/durable_file.ts";
import { ConfigError } from "../common/errors.ts";
import { createRequest, type RemotingCommand } from "../protocol/command.ts";
import {
  decodeMasterInfo,
  encodeSyncStateSet,
  type MasterInfo,
} from "../protocol/controller_body.ts";
import { RequestCode } from "../protocol/request_code.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import type { RemotingClient } from "../remoting/client.ts";
import type { BrokerContext } from "./context.ts";
import type { HaRoles } from "./ha_roles.ts";

const requestTimeoutMs = 3_000;
/** How often one lagging replica is warned about. */
const lagWarnIntervalMs = 30_000;
/** How long a start waits for the controller to name a master before it goes on as a slave. */
const startWaitMs = 10_000;

export class ControllerClient {
  private brokerId = -1;
  /** The newest master epoch acted on. */
  private epoch = 0;
  private readonly timers: TimerHandle[] = [];
  private readonly controllers: string[];
  private leader = 0;
  private altering = false;
  private polling = false;
  /** The controller that answered last (the active one, as far as this broker knows). */
  private activeAddress: string | null = null;
  private readonly lagWarnedMs = new Map<number, number>();
  private stopped = false;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly client: RemotingClient,
    private readonly roles: HaRoles,
  ) {
    roles.onJoinable = () => void this.maintainSyncStateSet();
    this.controllers = ctx.config.controllerAddr
      .split(";")
      .map((a) => a.trim())
      .filter(Boolean);
  }

  /** This replica's id: from store/brokerIdentity, or applied for once and written there. */
  async resolveBrokerId(): Promise<number> {
    const { config } = this.ctx;
    const root = config.storePathRootDir;
    const identity = join(root, "brokerIdentity");
    const temp = join(root, "brokerIdentity-temp");
    const expect = `${config.brokerClusterName}#${config.brokerName}#`;
    const read = (path: string) => {
      const text = readFileSync(path, "utf8").trim();
      if (!text.startsWith(expect)) {
        throw new ConfigError(`${path} says "${text}", not this broker's ${expect}<id>`);
      }
      return text.slice(expect.length).split("#");
    };
    if (existsSync(identity)) {
      this.brokerId = Number(read(identity)[0]);
      if (!Number.isSafeInteger(this.brokerId) || this.brokerId < 1) {
        throw new ConfigError(`${identity} holds no replica id`);
      }
      return this.brokerId;
    }
    const pause = () => new Promise<void>((resolve) => this.ctx.clock.after(1_000, resolve));
    for (; !this.stopped;) {
      let id: number;
      let checkCode: string;
      let applied: RemotingCommand;
      try {
        if (existsSync(temp)) {
          const [raw, code] = read(temp);
          id = Number(raw);
          checkCode = code ?? "";
        } else {
          const next = await this.call(RequestCode.CONTROLLER_GET_NEXT_BROKER_ID, {
            clusterName: config.brokerClusterName,
            brokerName: config.brokerName,
          });
          id = Number(next.extFields?.get("nextBrokerId"));
          if (next.code !== ResponseCode.SUCCESS || !Number.isSafeInteger(id) || id < 1) {
            this.ctx.log.warn(`no replica id from the controller (${next.code} ${next.remark})`);
            await pause();
            continue;
          }
          checkCode = `${this.ctx.brokerAddr};${this.ctx.clock.nowMs()}`;
          writeFileDurably(temp, `${expect}${id}#${checkCode}`, { backup: false });
        }
        applied = await this.call(RequestCode.CONTROLLER_APPLY_BROKER_ID, {
          clusterName: config.brokerClusterName,
          brokerName: config.brokerName,
          appliedBrokerId: id,
          registerCheckCode: checkCode,
        });
      } catch (error) {
        // No controller reachable (yet): keep the claim in the temp file and ask again; the
        // same check code gets the same id if the first answer was lost.
        this.ctx.log.warn(`controller unreachable: ${(error as Error).message}; retrying`);
        await pause();
        continue;
      }
      if (applied.code === ResponseCode.SUCCESS) {
        writeFileDurably(identity, `${expect}${id}`, { backup: false });
        rmSync(temp, { force: true });
        this.brokerId = id;
        this.ctx.log.info(`controller assigned replica id ${id}`);
        return id;
      }
      if (applied.code === ResponseCode.CONTROLLER_NOT_LEADER) {
        await pause();
        continue;
      }
      this.ctx.log.warn(`replica id ${id} refused (${applied.code} ${applied.remark}); again`);
      rmSync(temp, { force: true });
    }
    throw new ConfigError("stopped before the controller assigned a replica id");
  }

  /** Registers and takes the controller's answer; then heartbeats and watches. */
  async start(): Promise<void> {
    const { config, clock, log } = this.ctx;
    this.heartbeat();
    const deadlineMs = clock.nowMs() + startWaitMs;
    while (!this.stopped) {
      try {
        const info = await this.register();
        if (info.masterId === null) {
          this.apply(await this.elect());
        } else this.apply(info);
        if (this.epoch > 0) break;
      } catch (error) {
        log.warn(`controller registration failed: ${(error as Error).message}`);
      }
      if (clock.nowMs() >= deadlineMs) {
        log.warn("no master known yet; serving as a slave until the controller names one");
        break;
      }
      await new Promise<void>((resolve) => clock.after(500, resolve));
    }
    if (this.stopped) return;
    this.timers.push(clock.every(config.brokerHeartbeatInterval, () => this.tick()));
    this.timers.push(clock.every(config.syncBrokerMetadataPeriod, () => void this.poll()));
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.splice(0)) timer.cancel();
  }

  /** NOTIFY_BROKER_ROLE_CHANGED from a controller. */
  onNotice(request: RemotingCommand): void {
    this.apply(decodeMasterInfo(request));
  }

  private tick(): void {
    if (this.stopped) return;
    this.heartbeat();
    if (this.roles.leadership()) {
      // A master renews its leadership well within the lease (see HaRoles.fenced).
      const leaseMs = this.ctx.config.controllerHeartBeatTimeoutMills;
      if (this.roles.sinceConfirmedMs() > leaseMs / 3) void this.poll();
      void this.maintainSyncStateSet();
    } else if (this.epoch === 0) void this.poll();
  }

  private heartbeat(): void {
    const { config, store } = this.ctx;
    const request = createRequest(RequestCode.BROKER_HEARTBEAT, {
      oneway: true,
      extFields: {
        clusterName: config.brokerClusterName,
        brokerAddr: this.ctx.brokerAddr,
        brokerName: config.brokerName,
        brokerId: this.brokerId,
        epoch: this.roles.lastEpoch(),
        maxOffset: store.commitLog.writePosition,
        confirmOffset: store.commitLog.writePosition,
        heartbeatTimeoutMills: config.controllerHeartBeatTimeoutMills,
        electionPriority: config.brokerElectionPriority,
      },
    });
    for (const address of this.controllers) {
      this.client.invokeOneway(address, request, requestTimeoutMs).catch(() => undefined);
    }
  }

  private async register(): Promise<MasterInfo> {
    const { config, store } = this.ctx;
    const answer = await this.call(RequestCode.CONTROLLER_REGISTER_BROKER, {
      clusterName: config.brokerClusterName,
      brokerName: config.brokerName,
      brokerId: this.brokerId,
      brokerAddress: this.ctx.brokerAddr,
      // rmq's controller takes these too, so a restarted replica is judged by its data at once.
      epoch: this.roles.lastEpoch(),
      maxOffset: store.commitLog.writePosition,
      electionPriority: config.brokerElectionPriority,
    });
    if (answer.code !== ResponseCode.SUCCESS) {
      throw new Error(`REGISTER_BROKER answered ${answer.code} ${answer.remark ?? ""}`);
    }
    return decodeMasterInfo(answer);
  }

  /** ELECT_MASTER for this group (a broker's own trigger); the master it ends with. */
  private async elect(): Promise<MasterInfo> {
    const { config } = this.ctx;
    const answer = await this.call(RequestCode.CONTROLLER_ELECT_MASTER, {
      clusterName: config.brokerClusterName,
      brokerName: config.brokerName,
      brokerId: this.brokerId,
      designateElect: false,
    });
    const info = decodeMasterInfo(answer);
    const ok =
      answer.code === ResponseCode.SUCCESS ||
      answer.code === ResponseCode.CONTROLLER_MASTER_STILL_EXIST;
    return ok ? info : { ...info, masterId: null };
  }

  private async poll(): Promise<void> {
    if (this.stopped || this.polling) return;
    this.polling = true;
    try {
      const sentAtMs = this.ctx.clock.nowMs();
      const answer = await this.call(RequestCode.CONTROLLER_GET_REPLICA_INFO, {
        brokerName: this.ctx.config.brokerName,
      });
      if (answer.code === ResponseCode.CONTROLLER_BROKER_METADATA_NOT_EXIST) {
        this.apply(await this.register());
        return;
      }
      if (answer.code !== ResponseCode.SUCCESS) return;
      const info = decodeMasterInfo(answer);
      if (info.masterId === null && info.masterEpoch >= this.epoch) {
        this.apply(await this.elect());
      } else this.apply(info, sentAtMs);
    } catch (error) {
      this.ctx.log.debug(`replica info poll failed: ${(error as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  /**
   * Takes the role a master view gives; views older than the newest one acted on are stale.
   * `sentAtMs`: when the request this answers was sent (a master's lease runs from then).
   */
  private apply(info: MasterInfo, sentAtMs = -Infinity): void {
    if (this.stopped || info.masterId === null || !info.masterAddress) return;
    if (info.masterEpoch < this.epoch) return;
    const mine = info.masterId === this.brokerId;
    if (info.masterEpoch === this.epoch) {
      const led = this.roles.leadership();
      if (mine && led?.epoch === info.masterEpoch) {
        this.roles.confirmLeadership(sentAtMs);
        this.roles.updateSyncStateSet(info.syncStateSet, info.syncStateSetEpoch);
        return;
      }
      if (!mine && !led && this.roles.followingAddress() === info.masterAddress) return;
      // The same epoch naming someone else than this broker acts on (an election retried
      // after a failed store write): the controller's word goes.
    }
    const view = {
      masterId: info.masterId,
      masterAddress: info.masterAddress,
      masterEpoch: info.masterEpoch,
      syncStateSet: info.syncStateSet,
      syncStateSetEpoch: info.syncStateSetEpoch,
    };
    const switched = mine
      ? this.roles.becomeMaster(view, this.brokerId)
      : this.roles.becomeSlave(view, this.brokerId);
    if (switched) this.epoch = info.masterEpoch;
  }

  /** A connection closed; if it was to the controller that confirms this master, pause. */
  connectionLost(address: string): void {
    if (this.stopped || address !== this.activeAddress || !this.roles.leadership()) return;
    this.roles.revokeLeadership(`the connection to controller ${address} closed`);
    void this.poll();
  }

  /** As master: asks the controller to shrink or grow the in-sync set when it should. */
  private async maintainSyncStateSet(): Promise<void> {
    const led = this.roles.leadership();
    if (!led || this.altering) return;
    const { config, clock } = this.ctx;
    const nowMs = clock.nowMs();
    const next = new Set([this.brokerId]);
    for (const state of this.roles.replicaStates()) {
      this.warnIfLagging(state, nowMs);
      const fresh =
        state.caughtUpMs > 0 && nowMs - state.caughtUpMs <= config.haMaxTimeSlaveNotCatchup;
      if (led.syncStateSet.includes(state.brokerId) && fresh) next.add(state.brokerId);
    }
    // Joins come from the HA master the moment a replica has everything acknowledged so far.
    const connected = new Set(this.roles.replicaStates().map((r) => r.brokerId));
    const joining = this.roles.pendingJoins().filter((id) => connected.has(id));
    this.roles.settleJoins(this.roles.pendingJoins().filter((id) => !connected.has(id)));
    for (const id of joining) next.add(id);
    const current = new Set(led.syncStateSet);
    if (next.size === current.size && [...next].every((id) => current.has(id))) {
      this.roles.settleJoins(this.roles.pendingJoins());
      return;
    }
    this.altering = true;
    try {
      const answer = await this.call(
        RequestCode.CONTROLLER_ALTER_SYNC_STATE_SET,
        { brokerName: config.brokerName, masterBrokerId: this.brokerId, masterEpoch: led.epoch },
        encodeSyncStateSet([...next], led.syncStateSetEpoch),
      );
      const ids = [...next].sort((a, b) => a - b).join(",");
      if (answer.code === ResponseCode.SUCCESS) {
        const epoch = Number(answer.extFields?.get("newSyncStateSetEpoch"));
        this.roles.updateSyncStateSet([...next], epoch);
        const dropped = led.syncStateSet.filter((id) => !next.has(id));
        const log = dropped.length > 0 ? this.ctx.log.warn : this.ctx.log.info;
        log.call(this.ctx.log, `in-sync set [${led.syncStateSet.join(",")}] -> [${ids}]`);
      } else if (this.roles.leadership() === led) {
        this.ctx.log.warn(`in-sync set [${ids}] refused: ${answer.code} ${answer.remark ?? ""}`);
        const deposed =
          answer.code === ResponseCode.CONTROLLER_FENCED_MASTER_EPOCH ||
          answer.code === ResponseCode.CONTROLLER_INVALID_MASTER;
        if (deposed) void this.poll(); // learn who leads now, and step down
      }
    } catch (error) {
      this.ctx.log.warn(`in-sync set change failed: ${(error as Error).message}`);
    } finally {
      this.altering = false;
      this.roles.settleJoins(joining);
    }
  }

  /**
   * The alarm hook: a replica behind for half of haMaxTimeSlaveNotCatchup is logged with its
   * figures (at most every lagWarnIntervalMs each), before it is dropped from the in-sync set.
   */
  private warnIfLagging(
    state: { brokerId: number; ackOffset: number; caughtUpMs: number },
    nowMs: number,
  ): void {
    const { config, store, log } = this.ctx;
    const behindMs = state.caughtUpMs > 0 ? nowMs - state.caughtUpMs : Infinity;
    if (behindMs < config.haMaxTimeSlaveNotCatchup / 2) return;
    if (nowMs - (this.lagWarnedMs.get(state.brokerId) ?? -Infinity) < lagWarnIntervalMs) return;
    this.lagWarnedMs.set(state.brokerId, nowMs);
    const lagBytes = store.commitLog.writePosition - Math.max(0, state.ackOffset);
    const since = Number.isFinite(behindMs) ? `${behindMs} ms` : "ever";
    log.warn(
      `replica ${state.brokerId} lags: ${lagBytes} bytes behind, not caught up for ${since}`,
    );
  }

  /**
   * A request to the active controller: the one that answered last, else each in turn (a
   * replicated controller's others answer CONTROLLER_NOT_LEADER, a dead one not at all).
   */
  private async call(
    code: number,
    extFields: Record<string, string | number | boolean>,
    body?: Uint8Array,
  ): Promise<RemotingCommand> {
    if (this.controllers.length === 0) throw new ConfigError("no controllerAddr");
    let last: RemotingCommand | null = null;
    let failure: unknown = null;
    for (let i = 0; i < this.controllers.length; i++) {
      const address = this.controllers[this.leader % this.controllers.length]!;
      try {
        const request = createRequest(code, { extFields, body });
        last = await this.client.invoke(address, request, requestTimeoutMs);
        if (last.code !== ResponseCode.CONTROLLER_NOT_LEADER) {
          this.activeAddress = address;
          return last;
        }
      } catch (error) {
        failure = error;
      }
      this.leader++;
    }
    if (last) return last;
    throw failure instanceof Error ? failure : new Error(String(failure));
  }
}
