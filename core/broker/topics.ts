// The broker's topic table (topics.json): built-in topics, admin updates, auto-creation from
// TBW102 on first send, retry and dead-letter topics for groups. Every change bumps the data
// version, persists, and tells listeners (registration re-registers with the name servers).

import type { Clock } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import type { BrokerConfig } from "../config/broker_config.ts";
import { Perm, topicConfig, type DataVersion, type TopicConfig } from "../protocol/topic_config.ts";
import { SCHEDULE_TOPIC_XXXX, TIMER_TOPIC } from "../store/dispatch.ts";
import type { FileIO } from "../store/file_io.ts";
import { configFilePath, loadConfigFile, persistConfigFile } from "./config_file_persist.ts";
import { nextDataVersion, topicsJson } from "./config_files.ts";

export const TopicValidator = {
  AUTO_CREATE_TOPIC_KEY_TOPIC: "TBW102",
  RMQ_SYS_SCHEDULE_TOPIC: SCHEDULE_TOPIC_XXXX,
  RMQ_SYS_BENCHMARK_TOPIC: "BenchmarkTest",
  RMQ_SYS_TRANS_HALF_TOPIC: "RMQ_SYS_TRANS_HALF_TOPIC",
  RMQ_SYS_TRANS_OP_HALF_TOPIC: "RMQ_SYS_TRANS_OP_HALF_TOPIC",
  RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC: "TRANS_CHECK_MAX_TIME_TOPIC",
  RMQ_SYS_SELF_TEST_TOPIC: "SELF_TEST_TOPIC",
  RMQ_SYS_OFFSET_MOVED_EVENT: "OFFSET_MOVED_EVENT",
  RMQ_SYS_WHEEL_TIMER: TIMER_TOPIC,
} as const;

export { DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX } from "../common/message.ts";

/** Topics clients may not send to directly (spec §3.2.2 step 3). */
export const sendForbiddenTopics = new Set<string>([
  TopicValidator.RMQ_SYS_SCHEDULE_TOPIC,
  TopicValidator.RMQ_SYS_TRANS_HALF_TOPIC,
  TopicValidator.RMQ_SYS_TRANS_OP_HALF_TOPIC,
  TopicValidator.RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC,
  TopicValidator.RMQ_SYS_SELF_TEST_TOPIC,
  TopicValidator.RMQ_SYS_OFFSET_MOVED_EVENT,
  TopicValidator.RMQ_SYS_WHEEL_TIMER,
]);

export class TopicManager {
  private table = new Map<string, TopicConfig>();
  dataVersion: DataVersion = { counter: 0, stateVersion: 0, timestamp: 0 };
  private readonly listeners: ((changed: TopicConfig | null) => void)[] = [];
  private readonly path: string;

  constructor(
    private readonly config: BrokerConfig,
    private readonly io: FileIO,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.path = configFilePath(config.storePathRootDir, topicsJson);
  }

  /** Reads topics.json (or .bak) and adds the built-in topics RocketMQ creates at start. */
  load(): void {
    const loaded = loadConfigFile(this.io, this.path, topicsJson);
    if (loaded.source === "bak")
      this.log.warn(`topics.json unreadable (${loaded.mainProblem}); using .bak`);
    this.table = loaded.value.topicConfigTable;
    this.dataVersion = loaded.value.dataVersion;
    const { config } = this;
    const builtIns = [
      topicConfig(TopicValidator.RMQ_SYS_SELF_TEST_TOPIC, 1),
      topicConfig(TopicValidator.RMQ_SYS_BENCHMARK_TOPIC, 1024),
      topicConfig(config.brokerClusterName, 16, Perm.INHERIT | (config.clusterTopicEnable ? 6 : 0)),
      topicConfig(config.brokerName, 1, Perm.INHERIT | (config.brokerTopicEnable ? 6 : 0)),
      topicConfig(TopicValidator.RMQ_SYS_OFFSET_MOVED_EVENT, 1),
      topicConfig(TopicValidator.RMQ_SYS_SCHEDULE_TOPIC, 18),
      topicConfig(`${config.brokerClusterName}_REPLY_TOPIC`, 1),
    ];
    if (config.timerWheelEnable) builtIns.push(topicConfig(TopicValidator.RMQ_SYS_WHEEL_TIMER, 1));
    if (config.autoCreateTopicEnable) {
      builtIns.push(
        topicConfig(TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC, config.defaultTopicQueueNums, 7),
      );
    }
    let added = false;
    for (const t of builtIns) {
      if (this.table.has(t.topicName)) continue;
      this.table.set(t.topicName, t);
      added = true;
    }
    if (added) this.commit(null);
  }

  onChange(listener: (changed: TopicConfig | null) => void): void {
    this.listeners.push(listener);
  }

  get(name: string): TopicConfig | undefined {
    return this.table.get(name);
  }

  all(): Map<string, TopicConfig> {
    return this.table;
  }

  /** A slave takes its master's table (slave_sync.ts); unchanged versions change nothing. */
  replaceAll(table: Map<string, TopicConfig>, dataVersion: DataVersion): void {
    const same =
      dataVersion.counter === this.dataVersion.counter &&
      dataVersion.timestamp === this.dataVersion.timestamp;
    if (same) return;
    this.table = table;
    this.dataVersion = dataVersion;
    try {
      persistConfigFile(this.io, this.path, topicsJson, { dataVersion, topicConfigTable: table });
    } catch (error) {
      this.log.error(`could not persist topics.json: ${error}`);
    }
    for (const listener of this.listeners) listener(null);
  }

  createOrUpdate(config: TopicConfig): void {
    this.table.set(config.topicName, config);
    this.commit(config);
  }

  delete(name: string): boolean {
    if (!this.table.delete(name)) return false;
    this.commit(null);
    return true;
  }

  /**
   * Auto-creation on first send (spec §3.2.2 step 4): from `defaultTopic` when it exists with
   * the INHERIT bit; queues = min(requested, the default's write queues); perm minus INHERIT.
   */
  createFromDefault(
    topic: string,
    defaultTopic: string,
    queueNums: number,
  ): TopicConfig | undefined {
    const existing = this.table.get(topic);
    if (existing) return existing;
    const template = this.table.get(defaultTopic);
    if (!template || (template.perm & Perm.INHERIT) === 0) return undefined;
    if (
      defaultTopic === TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC &&
      !this.config.autoCreateTopicEnable
    ) {
      return undefined;
    }
    const queues = Math.max(1, Math.min(queueNums, template.writeQueueNums));
    const created = {
      ...topicConfig(topic, queues, template.perm & ~Perm.INHERIT),
      topicFilterType: template.topicFilterType,
    };
    this.log.info(`topic ${topic} auto-created from ${defaultTopic} with ${queues} queues`);
    this.createOrUpdate(created);
    return created;
  }

  /** %RETRY%<group> / %DLQ%<group>: created on demand with `queues` queues, perm RW. */
  createSystemTopic(topic: string, queues: number): TopicConfig {
    const existing = this.table.get(topic);
    if (existing) return existing;
    const created = topicConfig(topic, queues);
    this.createOrUpdate(created);
    return created;
  }

  /**
   * How the topics are registered changed though none of them did (brokerPermission): a new
   * version, so the name servers take the next registration instead of skipping it as the same.
   */
  registrationChanged(): void {
    this.commit(null);
  }

  private commit(changed: TopicConfig | null): void {
    this.dataVersion = nextDataVersion(this.dataVersion, this.clock.nowMs());
    try {
      persistConfigFile(this.io, this.path, topicsJson, {
        dataVersion: this.dataVersion,
        topicConfigTable: this.table,
      });
    } catch (error) {
      this.log.error(`could not persist topics.json: ${error}`);
    }
    for (const listener of this.listeners) listener(changed);
  }
}
