// Committed consumer offsets (consumerOffset.json): per topic@group and queue, the next offset
// to consume. Updated by UPDATE_CONSUMER_OFFSET and pull piggy-backs; persisted every
// flushConsumerOffsetInterval and at shutdown.

import type { Logger } from "../common/log.ts";
import type { FileIO } from "../store/file_io.ts";
import { configFilePath, loadConfigFile, persistConfigFile } from "./config_file_persist.ts";
import { consumerOffsetJson, consumerOffsetKey, type ConsumerOffsetFile } from "./config_files.ts";

export class ConsumerOffsetManager {
  private file: ConsumerOffsetFile = { offsetTable: new Map() };
  private dirty = false;
  private readonly path: string;

  constructor(
    private readonly io: FileIO,
    storeRoot: string,
    private readonly log: Logger,
  ) {
    this.path = configFilePath(storeRoot, consumerOffsetJson);
  }

  load(): void {
    const loaded = loadConfigFile(this.io, this.path, consumerOffsetJson);
    if (loaded.source === "bak") this.log.warn(`consumerOffset.json unreadable; using .bak`);
    this.file = loaded.value;
  }

  commit(group: string, topic: string, queueId: number, offset: number): void {
    const key = consumerOffsetKey(topic, group);
    let queues = this.file.offsetTable.get(key);
    if (!queues) this.file.offsetTable.set(key, (queues = new Map()));
    if (queues.get(queueId) === offset) return;
    queues.set(queueId, offset);
    this.dirty = true;
  }

  /** A slave takes its master's offsets (slave_sync.ts). */
  replaceAll(offsetTable: Map<string, Map<number, number>>): void {
    this.file = { ...this.file, offsetTable };
    this.dirty = true;
  }

  query(group: string, topic: string, queueId: number): number | undefined {
    return this.file.offsetTable.get(consumerOffsetKey(topic, group))?.get(queueId);
  }

  /** Every committed offset (GET_ALL_CONSUMER_OFFSET, inspect). */
  table(): Map<string, Map<number, number>> {
    return this.file.offsetTable;
  }

  persist(): void {
    if (!this.dirty) return;
    try {
      persistConfigFile(this.io, this.path, consumerOffsetJson, this.file);
      this.dirty = false;
    } catch (error) {
      this.log.error(`could not persist consumerOffset.json: ${error}`);
    }
  }
}
