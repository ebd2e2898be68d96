// Every consume queue of a store, by topic and queue id: loaded and recovered at start, created
// on first dispatch, flushed together.

import { join } from "node:path";
import { ConsumeQueue } from "./consume_queue.ts";
import type { FileIO } from "./file_io.ts";

export class ConsumeQueueSet {
  private readonly queues = new Map<string, Map<number, ConsumeQueue>>();

  constructor(
    private readonly io: FileIO,
    private readonly dir: string,
    private readonly fileSizeBytes: number,
  ) {}

  /** Loads every queue directory and recovers each (truncating torn tails). */
  recoverAll(abnormal: boolean): void {
    this.io.mkdirs(this.dir);
    for (const topic of this.io.list(this.dir)) {
      for (const name of this.io.list(join(this.dir, topic))) {
        const queueId = Number(name);
        if (!Number.isInteger(queueId) || queueId < 0 || String(queueId) !== name) continue;
        this.getOrCreate(topic, queueId).recover(abnormal);
      }
    }
  }

  get(topic: string, queueId: number): ConsumeQueue | undefined {
    return this.queues.get(topic)?.get(queueId);
  }

  getOrCreate(topic: string, queueId: number): ConsumeQueue {
    let byId = this.queues.get(topic);
    if (!byId) this.queues.set(topic, (byId = new Map()));
    let queue = byId.get(queueId);
    if (!queue) {
      const dir = join(this.dir, topic, String(queueId));
      queue = new ConsumeQueue(this.io, dir, topic, queueId, this.fileSizeBytes);
      byId.set(queueId, queue);
    }
    return queue;
  }

  all(): ConsumeQueue[] {
    return [...this.queues.values()].flatMap((byId) => [...byId.values()]);
  }

  topics(): string[] {
    return [...this.queues.keys()];
  }

  /** The end of the newest record any queue points at: dispatch is complete up to here. */
  maxPhysicalEnd(): number {
    let max = 0;
    for (const queue of this.all()) max = Math.max(max, queue.maxPhysicalEnd);
    return max;
  }

  flush(): void {
    for (const queue of this.all()) queue.flush();
  }

  async flushAsync(): Promise<void> {
    await Promise.all(this.all().map((queue) => queue.flushAsync()));
  }

  close(): void {
    for (const queue of this.all()) queue.close();
  }
}
