// Committed consumer offsets (consumerOffset.json): per topic@group and queue, the next offset
// to consume. Updated by UPDATE_CONSUMER_OFFSET and pull piggy-backs; persisted every
// flushConsumerOffsetInterval and at shutdown.

import type { Logger } from "../common/log.ts";
import type { FileIO } from "../store/file_io.ts";
import { configFilePath, loadConfigFile } from "./config_file_persist.ts";
import { ConfigFileWriter } from "./config_file_writer.ts";
import { consumerOffsetJson, consumerOffsetKey, type ConsumerOffsetFile } from "./config_files.ts";

export class ConsumerOffsetManager {
  private file: ConsumerOffsetFile = { offsetTable: new Map() };
  private readonly writer: ConfigFileWriter<ConsumerOffsetFile>;

  constructor(
    private readonly io: FileIO,
    storeRoot: string,
    private readonly log: Logger,
  ) {
    const path = configFilePath(storeRoot, consumerOffsetJson);
    this.writer = new ConfigFileWriter(io, path, consumerOffsetJson, log);
  }

  load(): void {
    const loaded = loadConfigFile(this.io, this.writer.path, consumerOffsetJson);
    if (loaded.source === "bak") this.log.warn(`consumerOffset.json unreadable; using .bak`);
    this.file = loaded.value;
  }

  commit(group: string, topic: string, queueId: number, offset: number): void {
    const key = consumerOffsetKey(topic, group);
    let queues = this.file.offsetTable.get(key);
    if (!queues) this.file.offsetTable.set(key, (queues = new Map()));
    if (queues.get(queueId) === offset) return;
    queues.set(queueId, offset);
    this.writer.changed();
  }

  /** A slave takes its master's offsets (slave_sync.ts). */
  replaceAll(offsetTable: Map<string, Map<number, number>>): void {
    this.file = { ...this.file, offsetTable };
    this.writer.changed();
  }

  /** Forgets every offset of the group (DELETE_SUBSCRIPTIONGROUP with removeOffset). */
  removeGroup(group: string): void {
    let removed = false;
    for (const key of this.file.offsetTable.keys()) {
      if (splitKey(key).group !== group) continue;
      this.file.offsetTable.delete(key);
      removed = true;
    }
    if (removed) this.writer.changed();
  }

  /** The topics the group has offsets for. */
  topicsOf(group: string): string[] {
    const topics: string[] = [];
    for (const key of this.file.offsetTable.keys()) {
      const split = splitKey(key);
      if (split.group === group) topics.push(split.topic);
    }
    return topics;
  }

  /** The groups with offsets for the topic (RocketMQ's whichGroupByTopic). */
  groupsOf(topic: string): string[] {
    const groups: string[] = [];
    for (const key of this.file.offsetTable.keys()) {
      const split = splitKey(key);
      if (split.topic === topic) groups.push(split.group);
    }
    return groups;
  }

  /** The destination group's offsets of the topic become a copy of the source's, if it has any. */
  cloneGroup(source: string, destination: string, topic: string): void {
    const queues = this.file.offsetTable.get(consumerOffsetKey(topic, source));
    if (!queues) return;
    this.file.offsetTable.set(consumerOffsetKey(topic, destination), new Map(queues));
    this.writer.changed();
  }

  query(group: string, topic: string, queueId: number): number | undefined {
    return this.file.offsetTable.get(consumerOffsetKey(topic, group))?.get(queueId);
  }

  /** Every committed offset (GET_ALL_CONSUMER_OFFSET, inspect). */
  table(): Map<string, Map<number, number>> {
    return this.file.offsetTable;
  }

  /** Writes consumerOffset.json now if it changed (a stop); the fsyncs block. */
  persist(): void {
    this.writer.persist(this.file);
  }

  /** The flush timer's write: the fsyncs off the event loop (config_file_writer.ts). */
  persistInBackground(): void {
    this.writer.persistInBackground(this.file);
  }
}

/** A "topic@group" key's parts: neither name may hold '@', so the first one divides them. */
function splitKey(key: string): { topic: string; group: string } {
  const at = key.indexOf("@");
  if (at < 0) return { topic: key, group: "" }; // not a key RocketMQ writes: no group's
  return { topic: key.slice(0, at), group: key.slice(at + 1) };
}
