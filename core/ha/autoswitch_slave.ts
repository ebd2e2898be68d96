// The slave side of controller-mode HA (spec §9.3, RocketMQ's AutoSwitchHAClient): connect to
// the master's HA port, introduce ourselves (broker id), and from the master's epoch list find
// the last byte both logs share; cut the local log back to it (a deposed master's unreplicated
// tail goes here), then append the master's frames at the same offsets, recording each new
// epoch they carry, and ack our max offset after each frame and every heartbeat interval.
// Any inconsistency drops the connection; the next tick reconnects and handshakes again.

import type { Clock } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import type { MessageStore } from "../store/message_store.ts";
import { HaLink } from "./ha_link.ts";
import {
  encodeSlaveAck,
  encodeSlaveHandshake,
  MasterFrameDecoder,
  type MasterFrame,
} from "./autoswitch_codec.ts";
import { truncationPoint, type EpochEntry, type EpochFile } from "./epoch_file.ts";

export interface AutoSwitchSlaveOptions {
  store: MessageStore;
  epochs: EpochFile;
  clock: Clock;
  log: Logger;
  brokerId: number;
  /** host:port of the master's HA port, once known. */
  masterAddress: () => string | undefined;
  reportIntervalMs: number;
  housekeepingIntervalMs: number;
}

export class AutoSwitchSlave {
  private decoder = new MasterFrameDecoder();
  private transferring = false;
  private readonly link: HaLink;
  /** The master's confirm offset, as its frames said (it only grows on one connection). */
  confirmOffset = 0;

  constructor(private readonly options: AutoSwitchSlaveOptions) {
    this.link = new HaLink(options, {
      connecting: () => {
        this.decoder = new MasterFrameDecoder();
        this.transferring = false;
        this.confirmOffset = 0; // a new master confirms afresh
      },
      opened: () => this.write(encodeSlaveHandshake(this.options.brokerId, false)),
      received: (chunk) => this.received(chunk),
      tick: (sinceWriteMs) => {
        if (this.transferring && sinceWriteMs >= this.options.reportIntervalMs) this.ack();
      },
      closed: () => (this.transferring = false),
    });
  }

  start(): void {
    this.link.start();
  }

  stop(): void {
    this.link.stop();
  }

  isConnected(): boolean {
    return this.link.isOpen() && this.transferring;
  }

  private write(bytes: Uint8Array): void {
    this.link.write(bytes);
  }

  private ack(): void {
    this.write(encodeSlaveAck(this.options.store.commitLog.writePosition));
  }

  private received(chunk: Uint8Array): void {
    let advanced = false;
    try {
      for (const frame of this.decoder.push(chunk)) {
        if (frame.kind === "handshake") {
          if (!this.handshake(frame.maxOffset, frame.entries)) return;
          continue;
        }
        if (!this.transferring) throw new Error("a transfer frame before the handshake");
        if (!this.apply(frame)) return;
        if (frame.data.length > 0) advanced = true;
      }
    } catch (error) {
      this.link.drop(`bad HA stream or store failure: ${error}`);
      return;
    }
    if (advanced) this.ack();
  }

  /** Cuts the local log back to what it shares with the master, then acks from there. */
  private handshake(masterEnd: number, masterEntries: EpochEntry[]): boolean {
    const { store, epochs, log } = this.options;
    const localEnd = store.commitLog.writePosition;
    const complete = store.dispatcher.reputOffset; // the end of the last whole record
    const local = epochs.entries();
    const point = truncationPoint(local, localEnd, masterEntries, masterEnd);
    if (point === null) {
      // Nothing provably shared: keep every byte and ask again later (RocketMQ does the same)
      // rather than throw away a log that may be the only copy of something.
      log.error(
        `this log shares no epoch with master ${this.link.connectedTo} ` +
          `(local ${JSON.stringify(local)}, master's ${JSON.stringify(masterEntries)})`,
      );
      this.link.drop("no common epoch");
      return false;
    }
    let cut = point;
    cut = Math.min(cut, complete, masterEnd);
    // Only what the master confirms gets dispatched from here on (RocketMQ 5 does the same):
    // a consumer reading this replica never sees bytes a later failover may cut.
    store.setDispatchLimit(Math.min(cut, store.dispatcher.endLimit));
    if (cut < localEnd) {
      log.warn(
        `log ends at ${localEnd}, shares up to ${cut} with the master (end ${masterEnd}, ` +
          `epoch ${masterEntries[masterEntries.length - 1]?.epoch ?? "none"}): truncating`,
      );
      store.truncateTo(cut);
      epochs.truncateFrom(cut);
    }
    this.transferring = true;
    log.info(`replicating from master ${this.link.connectedTo} at offset ${cut}`);
    this.ack();
    return true;
  }

  /** Appends one transfer frame; false after dropping the connection. */
  private apply(frame: Extract<MasterFrame, { kind: "transfer" }>): boolean {
    const { store, epochs } = this.options;
    this.confirmOffset = Math.max(this.confirmOffset, frame.confirmOffset);
    if (frame.data.length === 0) {
      this.confirmed(); // a heartbeat: it may carry a newer confirm offset
      return true;
    }
    const last = epochs.entries()[epochs.entries().length - 1];
    const newEpoch = !last || frame.epoch > last.epoch;
    const stale = last && (frame.epoch < last.epoch || frame.epochStartOffset < last.startOffset);
    if (stale || (newEpoch && frame.epochStartOffset > frame.offset)) {
      this.link.drop(
        `master sent epoch ${frame.epoch} from ${frame.epochStartOffset}, out of order`,
      );
      return false;
    }
    if (!store.appendReplicated(frame.offset, frame.data)) {
      const end = store.commitLog.writePosition;
      this.link.drop(`master sent offset ${frame.offset}, this log ends at ${end}`);
      return false;
    }
    if (newEpoch) {
      epochs.append({ epoch: frame.epoch, startOffset: frame.epochStartOffset });
    }
    this.confirmed();
    return true;
  }

  /** Lets dispatch run up to what the master confirmed (never further than this log goes). */
  private confirmed(): void {
    const { store } = this.options;
    const limit = Math.min(this.confirmOffset, store.commitLog.writePosition);
    if (limit > store.dispatcher.reputOffset) store.setDispatchLimit(limit);
  }
}
