// A slave's copy of its master's metadata (spec §9.1, SlaveSynchronize): every 3 s (RocketMQ
// checks every 3 s; the 4.9.7 capture shows fetches 10 s apart) it fetches topics
// (GET_ALL_TOPIC_CONFIG), consumer offsets (GET_ALL_CONSUMER_OFFSET) and subscription groups
// (GET_ALL_SUBSCRIPTIONGROUP_CONFIG) and replaces its own, and copies the delay cursors
// (GET_ALL_DELAY_OFFSET) into its delayOffset.json, so consumers reading from it, or it taking
// over, see the master's state. A failed fetch keeps what it had and tries again next round.

import type { TimerHandle } from "../common/clock.ts";
import { createRequest } from "../protocol/command.ts";
import { RequestCode } from "../protocol/request_code.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import type { RemotingClient } from "../remoting/client.ts";
import type { FileIO } from "../store/file_io.ts";
import { configFilePath, persistConfigFile } from "./config_file_persist.ts";
import {
  decodeConsumerOffsets,
  decodeDelayOffsets,
  decodeSubscriptionGroups,
  decodeTopics,
  delayOffsetJson,
} from "./config_files.ts";
import type { BrokerContext } from "./context.ts";

/** Short, so a topic made on the master is readable on the slave soon after (a failover). */
const syncIntervalMs = 3_000;
const decoder = new TextDecoder();

export class SlaveSync {
  private timer: TimerHandle | null = null;
  private inFlight = false;
  private stopped = false;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly io: FileIO,
    private readonly client: RemotingClient,
    private readonly masterAddr: () => string | undefined,
  ) {}

  start(): void {
    void this.syncOnce();
    this.timer = this.ctx.clock.every(syncIntervalMs, () => void this.syncOnce());
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /** One round at a time: an older answer never lands after a newer one. */
  async syncOnce(): Promise<void> {
    const addr = this.masterAddr();
    if (!addr || this.inFlight || this.stopped) return;
    this.inFlight = true;
    try {
      await this.fetchAll(addr);
    } finally {
      this.inFlight = false;
    }
  }

  private async fetchAll(addr: string): Promise<void> {
    const fetch = async (code: number) => {
      const answer = await this.client.invoke(addr, createRequest(code));
      if (answer.code !== ResponseCode.SUCCESS || !answer.body) {
        throw new Error(`code ${code} answered ${answer.code} ${answer.remark ?? ""}`);
      }
      return decoder.decode(answer.body);
    };
    try {
      const topics = decodeTopics(await fetch(RequestCode.GET_ALL_TOPIC_CONFIG));
      if (this.stopped) return;
      this.ctx.topics.replaceAll(topics.topicConfigTable, topics.dataVersion);
      const offsets = decodeConsumerOffsets(await fetch(RequestCode.GET_ALL_CONSUMER_OFFSET));
      this.ctx.offsets.replaceAll(offsets.offsetTable);
      const groups = decodeSubscriptionGroups(
        await fetch(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG),
      );
      this.ctx.subscriptions.replaceAll(groups.subscriptionGroupTable, groups.dataVersion);
      // Kept on disk for the day this broker delivers delayed messages itself.
      const delays = decodeDelayOffsets(await fetch(RequestCode.GET_ALL_DELAY_OFFSET));
      const path = configFilePath(this.ctx.config.storePathRootDir, delayOffsetJson);
      persistConfigFile(this.io, path, delayOffsetJson, delays);
    } catch (error) {
      this.ctx.log.warn(`metadata sync from master ${addr} failed: ${(error as Error).message}`);
    }
  }
}
