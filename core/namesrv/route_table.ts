// The name server's route state (spec §2.1-2.6), as pure data driven by an injected clock:
// no sockets, no timers. Brokers are tied to their connection by an opaque `channelId` so the
// wiring can drop a broker's routes the moment its connection closes.
//
// Tables (RocketMQ names):
//   topicQueueTable   topic -> brokerName -> QueueData
//   brokerAddrTable   brokerName -> BrokerData {cluster, brokerAddrs: brokerId -> addr}
//   clusterAddrTable  cluster -> set of brokerName
//   brokerLiveTable   (cluster, brokerAddr) -> last heartbeat, timeout, dataVersion, channel
//   filterServerTable (cluster, brokerAddr) -> filter server addresses (legacy)

import { assert } from "../common/assert.ts";
import type { Clock } from "../common/clock.ts";
import type { BrokerData, QueueData, TopicRouteData } from "../protocol/route_data.ts";
import {
  Perm,
  sameDataVersion,
  type DataVersion,
  type TopicConfig,
} from "../protocol/topic_config.ts";

export const MASTER_ID = 0;

export interface BrokerLiveInfo {
  lastUpdateTimestampMs: number;
  heartbeatTimeoutMs: number;
  dataVersion: DataVersion;
  channelId: number | null;
  haServerAddr: string;
}

export interface RegisterBrokerInput {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  brokerId: number;
  haServerAddr: string;
  zoneName?: string;
  heartbeatTimeoutMs?: number;
  /** undefined for brokers that do not send it (4.x): they never count as "prime slave". */
  enableActingMaster?: boolean;
  dataVersion: DataVersion;
  topicConfigTable: Map<string, TopicConfig>;
  filterServerList: string[] | null;
  channelId: number | null;
}

export type RegisterBrokerResult =
  | { kind: "registered"; masterAddr?: string; haServerAddr?: string }
  /** A newer registration holds this brokerId; nothing changed (RocketMQ answers SUCCESS). */
  | { kind: "stale" }
  /** A single-topic registration before the broker's first full one (SYSTEM_ERROR). */
  | { kind: "refused" };

export interface UnregisterInput {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  brokerId: number;
}

export interface RouteTableOptions {
  clock: Clock;
  /** Silence after which a broker expires when it did not give its own timeout. */
  brokerChannelExpiredTimeMs: number;
  deleteTopicWithBrokerRegistration: boolean;
  supportActingMaster: boolean;
}

const liveKey = (cluster: string, addr: string) => `${cluster}\u0000${addr}`;

export class RouteTable {
  readonly topicQueueTable = new Map<string, Map<string, QueueData>>();
  readonly brokerAddrTable = new Map<string, BrokerData>();
  readonly clusterAddrTable = new Map<string, Set<string>>();
  readonly brokerLiveTable = new Map<
    string,
    BrokerLiveInfo & { clusterName: string; brokerAddr: string }
  >();
  readonly filterServerTable = new Map<string, string[]>();

  constructor(private readonly options: RouteTableOptions) {
    assert(options.brokerChannelExpiredTimeMs > 0, "broker expiry must be positive");
  }

  registerBroker(input: RegisterBrokerInput): RegisterBrokerResult {
    const { clusterName, brokerAddr, brokerName, brokerId } = input;
    let names = this.clusterAddrTable.get(clusterName);
    if (!names) this.clusterAddrTable.set(clusterName, (names = new Set()));
    names.add(brokerName);

    let registerFirst = false;
    let brokerData = this.brokerAddrTable.get(brokerName);
    if (!brokerData) {
      registerFirst = true;
      brokerData = { cluster: clusterName, brokerName, brokerAddrs: new Map() };
      this.brokerAddrTable.set(brokerName, brokerData);
    }
    if (input.enableActingMaster !== undefined)
      brokerData.enableActingMaster = input.enableActingMaster;
    if (input.zoneName !== undefined) brokerData.zoneName = input.zoneName;
    const addrs = brokerData.brokerAddrs;

    // Slave -> master switch: the same address under another id is dropped first.
    for (const [id, addr] of [...addrs]) {
      if (addr === brokerAddr && id !== brokerId) addrs.delete(id);
    }

    // Another address holding this id with a newer state version wins.
    const oldAddr = addrs.get(brokerId);
    if (oldAddr !== undefined && oldAddr !== brokerAddr) {
      const old = this.brokerLiveTable.get(liveKey(clusterName, oldAddr));
      if (old && old.dataVersion.stateVersion > input.dataVersion.stateVersion) {
        this.brokerLiveTable.delete(liveKey(clusterName, brokerAddr));
        return { kind: "stale" };
      }
    }

    if (!addrs.has(brokerId) && input.topicConfigTable.size === 1) return { kind: "refused" };

    addrs.set(brokerId, brokerAddr);
    registerFirst = registerFirst || oldAddr === undefined;

    const isMaster = brokerId === MASTER_ID;
    const isOldBroker = input.enableActingMaster === undefined;
    const isPrimeSlave = !isOldBroker && !isMaster && brokerId === Math.min(...addrs.keys());
    if (isMaster || isPrimeSlave) {
      this.applyTopics(input, brokerData, registerFirst, isPrimeSlave);
    }

    const key = liveKey(clusterName, brokerAddr);
    this.brokerLiveTable.set(key, {
      clusterName,
      brokerAddr,
      lastUpdateTimestampMs: this.options.clock.nowMs(),
      heartbeatTimeoutMs: input.heartbeatTimeoutMs ?? this.options.brokerChannelExpiredTimeMs,
      dataVersion: input.dataVersion,
      channelId: input.channelId,
      haServerAddr: input.haServerAddr,
    });
    if (input.filterServerList !== null) {
      if (input.filterServerList.length === 0) this.filterServerTable.delete(key);
      else this.filterServerTable.set(key, input.filterServerList);
    }

    const result: RegisterBrokerResult = { kind: "registered" };
    if (!isMaster) {
      const masterAddr = addrs.get(MASTER_ID);
      const masterLive = masterAddr && this.brokerLiveTable.get(liveKey(clusterName, masterAddr));
      if (masterAddr && masterLive) {
        result.masterAddr = masterAddr;
        result.haServerAddr = masterLive.haServerAddr;
      }
    }
    return result;
  }

  private applyTopics(
    input: RegisterBrokerInput,
    brokerData: BrokerData,
    registerFirst: boolean,
    isPrimeSlave: boolean,
  ): void {
    const { brokerName } = input;
    if (this.options.deleteTopicWithBrokerRegistration) {
      for (const [topic, queues] of [...this.topicQueueTable]) {
        if (!queues.has(brokerName) || input.topicConfigTable.has(topic)) continue;
        queues.delete(brokerName);
        if (queues.size === 0) this.topicQueueTable.delete(topic);
      }
    }
    const versionChanged = this.isBrokerTopicConfigChanged(
      input.clusterName,
      input.brokerAddr,
      input.dataVersion,
    );
    for (const config of input.topicConfigTable.values()) {
      const queues = this.topicQueueTable.get(config.topicName);
      const missing = !queues || !queues.has(brokerName);
      if (!registerFirst && !versionChanged && !missing) continue;
      let perm = config.perm;
      // Acting-master mode: the surviving slave with the lowest id serves reads only.
      if (isPrimeSlave && brokerData.enableActingMaster) perm &= ~Perm.WRITE;
      this.putQueueData(config.topicName, {
        brokerName,
        readQueueNums: config.readQueueNums,
        writeQueueNums: config.writeQueueNums,
        perm,
        topicSysFlag: config.topicSysFlag,
      });
    }
  }

  private putQueueData(topic: string, queueData: QueueData): void {
    let queues = this.topicQueueTable.get(topic);
    if (!queues) this.topicQueueTable.set(topic, (queues = new Map()));
    queues.set(queueData.brokerName, queueData);
  }

  isBrokerTopicConfigChanged(cluster: string, brokerAddr: string, version: DataVersion): boolean {
    const prev = this.brokerLiveTable.get(liveKey(cluster, brokerAddr));
    return !prev || !sameDataVersion(prev.dataVersion, version);
  }

  queryBrokerDataVersion(cluster: string, brokerAddr: string): DataVersion | undefined {
    return this.brokerLiveTable.get(liveKey(cluster, brokerAddr))?.dataVersion;
  }

  /** A heartbeat (QUERY_DATA_VERSION, BROKER_HEARTBEAT) keeps a broker alive. */
  touchBroker(cluster: string, brokerAddr: string): void {
    const live = this.brokerLiveTable.get(liveKey(cluster, brokerAddr));
    if (live) live.lastUpdateTimestampMs = this.options.clock.nowMs();
  }

  unregisterBroker(request: UnregisterInput): void {
    const { clusterName, brokerAddr, brokerName } = request;
    const key = liveKey(clusterName, brokerAddr);
    this.brokerLiveTable.delete(key);
    this.filterServerTable.delete(key);
    let removeBrokerName = false;
    const brokerData = this.brokerAddrTable.get(brokerName);
    if (brokerData) {
      for (const [id, addr] of [...brokerData.brokerAddrs]) {
        if (addr === brokerAddr) brokerData.brokerAddrs.delete(id);
      }
      if (brokerData.brokerAddrs.size === 0) {
        this.brokerAddrTable.delete(brokerName);
        removeBrokerName = true;
      }
    }
    if (removeBrokerName) {
      const names = this.clusterAddrTable.get(clusterName);
      names?.delete(brokerName);
      if (names && names.size === 0) this.clusterAddrTable.delete(clusterName);
    }
    for (const [topic, queues] of [...this.topicQueueTable]) {
      if (removeBrokerName) {
        queues.delete(brokerName);
        if (queues.size === 0) {
          this.topicQueueTable.delete(topic);
          continue;
        }
      } else {
        const queueData = queues.get(brokerName);
        // Acting-master mode: with the master gone, the group's queues lose write permission.
        if (queueData && brokerData?.enableActingMaster && this.noMasterExists(brokerName)) {
          queueData.perm &= ~Perm.WRITE;
        }
      }
    }
  }

  private noMasterExists(brokerName: string): boolean {
    const data = this.brokerAddrTable.get(brokerName);
    if (!data || data.brokerAddrs.size === 0) return true;
    return Math.min(...data.brokerAddrs.keys()) > MASTER_ID;
  }

  /** Unregisters every broker registered over `channelId`; returns their addresses. */
  onChannelDestroy(channelId: number): string[] {
    const gone: string[] = [];
    for (const live of [...this.brokerLiveTable.values()]) {
      if (live.channelId !== channelId) continue;
      this.unregisterByAddress(live.clusterName, live.brokerAddr);
      gone.push(live.brokerAddr);
    }
    return gone;
  }

  /** Drops brokers silent past their timeout; returns what was dropped (to close channels). */
  scanNotActiveBroker(): { brokerAddr: string; channelId: number | null }[] {
    const now = this.options.clock.nowMs();
    const expired: { brokerAddr: string; channelId: number | null }[] = [];
    for (const live of [...this.brokerLiveTable.values()]) {
      if (live.lastUpdateTimestampMs + live.heartbeatTimeoutMs >= now) continue;
      expired.push({ brokerAddr: live.brokerAddr, channelId: live.channelId });
      this.unregisterByAddress(live.clusterName, live.brokerAddr);
    }
    return expired;
  }

  private unregisterByAddress(clusterName: string, brokerAddr: string): void {
    for (const data of this.brokerAddrTable.values()) {
      if (data.cluster !== clusterName) continue;
      for (const [brokerId, addr] of data.brokerAddrs) {
        if (addr === brokerAddr) {
          this.unregisterBroker({ clusterName, brokerAddr, brokerName: data.brokerName, brokerId });
          return;
        }
      }
    }
    // Known as live but absent from brokerAddrTable: drop the live entry alone.
    this.brokerLiveTable.delete(liveKey(clusterName, brokerAddr));
    this.filterServerTable.delete(liveKey(clusterName, brokerAddr));
  }

  /** The route of `topic`, or undefined when it has no queues or no live broker data. */
  pickupTopicRouteData(topic: string): TopicRouteData | undefined {
    const queues = this.topicQueueTable.get(topic);
    if (!queues) return undefined;
    const brokerDatas: BrokerData[] = [];
    const filterServerTable = new Map<string, string[]>();
    for (const brokerName of queues.keys()) {
      const data = this.brokerAddrTable.get(brokerName);
      if (!data) continue;
      const clone: BrokerData = { ...data, brokerAddrs: new Map(data.brokerAddrs) };
      brokerDatas.push(clone);
      if (this.filterServerTable.size === 0) continue;
      for (const addr of clone.brokerAddrs.values()) {
        filterServerTable.set(addr, this.filterServerTable.get(liveKey(clone.cluster, addr)) ?? []);
      }
    }
    if (brokerDatas.length === 0) return undefined;
    const queueDatas = [...queues.values()].map((q) => ({ ...q }));
    const route: TopicRouteData = { queueDatas, brokerDatas, filterServerTable };
    if (this.options.supportActingMaster) this.applyActingMaster(route);
    return route;
  }

  /** Reports the lowest-id slave as master (key 0) for groups with no master and no writes. */
  private applyActingMaster(route: TopicRouteData): void {
    for (const data of route.brokerDatas) {
      if (data.brokerAddrs.size === 0 || data.brokerAddrs.has(MASTER_ID)) continue;
      if (!data.enableActingMaster) continue;
      const queue = route.queueDatas.find((q) => q.brokerName === data.brokerName);
      if (!queue || (queue.perm & Perm.WRITE) !== 0) continue;
      const minId = Math.min(...data.brokerAddrs.keys());
      const addr = data.brokerAddrs.get(minId)!;
      data.brokerAddrs.delete(minId);
      data.brokerAddrs.set(MASTER_ID, addr);
    }
  }

  /** REGISTER_TOPIC_IN_NAMESRV: ignored whole if it names an unknown broker. */
  registerTopic(topic: string, queueDatas: QueueData[]): boolean {
    if (queueDatas.length === 0) return false;
    if (queueDatas.some((q) => !this.brokerAddrTable.has(q.brokerName))) return false;
    for (const q of queueDatas) this.putQueueData(topic, { ...q });
    return true;
  }

  deleteTopic(topic: string, clusterName?: string): void {
    if (clusterName === undefined) {
      this.topicQueueTable.delete(topic);
      return;
    }
    const names = this.clusterAddrTable.get(clusterName);
    const queues = this.topicQueueTable.get(topic);
    if (!names || !queues) return;
    for (const name of names) queues.delete(name);
    if (queues.size === 0) this.topicQueueTable.delete(topic);
  }

  allTopics(): string[] {
    return [...this.topicQueueTable.keys()];
  }

  topicsByCluster(cluster: string): string[] {
    const names = this.clusterAddrTable.get(cluster);
    if (!names) return [];
    const out: string[] = [];
    for (const name of names) {
      for (const [topic, queues] of this.topicQueueTable) if (queues.has(name)) out.push(topic);
    }
    return out;
  }

  /** Cluster names and broker names (RocketMQ treats them as system topics), plus one address. */
  systemTopics(): { topics: string[]; brokerAddr?: string } {
    const topics: string[] = [];
    for (const [cluster, names] of this.clusterAddrTable) topics.push(cluster, ...names);
    let brokerAddr: string | undefined;
    for (const data of this.brokerAddrTable.values()) {
      const first = data.brokerAddrs.values().next();
      if (!first.done) {
        brokerAddr = first.value;
        break;
      }
    }
    return { topics, brokerAddr };
  }

  /** Topics whose queues on any broker carry topicSysFlag bits matching `predicate`. */
  topicsWithSysFlag(predicate: (flag: number) => boolean): string[] {
    const out: string[] = [];
    for (const [topic, queues] of this.topicQueueTable) {
      const first = queues.values().next();
      if (!first.done && predicate(first.value.topicSysFlag)) out.push(topic);
    }
    return out;
  }

  /** WIPE_WRITE_PERM_OF_BROKER / ADD_WRITE_PERM_OF_BROKER; returns the topics touched. */
  changeWritePerm(brokerName: string, mode: "wipe" | "add"): number {
    let count = 0;
    for (const queues of this.topicQueueTable.values()) {
      const q = queues.get(brokerName);
      if (!q) continue;
      q.perm = mode === "wipe" ? q.perm & ~Perm.WRITE : Perm.READ | Perm.WRITE;
      count++;
    }
    return count;
  }

  brokerMemberGroup(brokerName: string): Map<number, string> {
    return new Map(this.brokerAddrTable.get(brokerName)?.brokerAddrs ?? []);
  }
}
