// The slave side of classic HA (spec §9.1): connects to the master's HA port, reports its
// commit log max offset (at connect, every heartbeat interval, after each applied frame) and
// appends the master's bytes at the same offsets, so both logs stay byte-identical and its own
// dispatch builds queues and index. A frame that does not continue the log, or a master silent
// past the housekeeping interval, drops the connection; it reconnects.

import type { Socket } from "bun";
import type { Clock, TimerHandle } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import type { MessageStore } from "../store/message_store.ts";
import { connectHa } from "./ha_socket.ts";
import { encodeSlaveReport, TransferDecoder } from "./ha_codec.ts";

export interface HaSlaveOptions {
  store: MessageStore;
  clock: Clock;
  log: Logger;
  /** host:port of the master's HA port, when known (config or the name server's answer). */
  masterAddress: () => string | undefined;
  reportIntervalMs: number;
  housekeepingIntervalMs: number;
}

const tickMs = 1_000;

export class HaSlave {
  private socket: Socket<undefined> | null = null;
  private connecting = false;
  private decoder = new TransferDecoder();
  private lastReadMs = 0;
  private lastWriteMs = 0;
  private timer: TimerHandle | null = null;
  private stopped = false;
  /** The master address of the current connection. */
  private connectedTo: string | null = null;

  constructor(private readonly options: HaSlaveOptions) {}

  start(): void {
    this.timer = this.options.clock.every(tickMs, () => this.tick());
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.socket?.end();
    this.socket = null;
  }

  isConnected(): boolean {
    return this.socket !== null;
  }

  private tick(): void {
    if (this.stopped) return;
    const nowMs = this.options.clock.nowMs();
    if (!this.socket) {
      void this.connect();
      return;
    }
    if (nowMs - this.lastReadMs > this.options.housekeepingIntervalMs) {
      this.drop(`master ${this.connectedTo} silent`);
      return;
    }
    if (nowMs - this.lastWriteMs >= this.options.reportIntervalMs) this.report();
  }

  private async connect(): Promise<void> {
    const address = this.options.masterAddress();
    if (!address || this.connecting) return;
    this.connecting = true;
    try {
      this.decoder = new TransferDecoder();
      const socket = await connectHa(address, {
        data: (from, chunk) => {
          if (from === this.socket) this.received(chunk); // not a dropped connection's tail
        },
        lost: (socket, why) => this.lost(socket, why),
      });
      if (this.stopped) {
        socket.end();
        return;
      }
      this.socket = socket;
      this.connectedTo = address;
      this.lastReadMs = this.options.clock.nowMs();
      this.options.log.info(`replicating from master ${address}`);
      this.report();
    } catch (error) {
      this.options.log.debug(`HA connect to ${address} failed: ${(error as Error).message}`);
    } finally {
      this.connecting = false;
    }
  }

  private report(): void {
    if (!this.socket) return;
    this.lastWriteMs = this.options.clock.nowMs();
    this.socket.write(encodeSlaveReport(this.options.store.commitLog.writePosition));
  }

  private received(chunk: Uint8Array): void {
    this.lastReadMs = this.options.clock.nowMs();
    let advanced = false;
    try {
      for (const frame of this.decoder.push(chunk)) {
        if (frame.data.length === 0) continue; // a heartbeat
        if (!this.options.store.appendReplicated(frame.offset, frame.data)) {
          const end = this.options.store.commitLog.writePosition;
          this.drop(`master sent offset ${frame.offset}, this log ends at ${end}`);
          return;
        }
        advanced = true;
      }
    } catch (error) {
      this.drop(`bad HA stream or store failure: ${error}`);
      return;
    }
    if (advanced) this.report();
  }

  private drop(why: string): void {
    this.options.log.warn(`HA connection to ${this.connectedTo} dropped: ${why}`);
    this.socket?.end();
    this.socket = null;
  }

  private lost(socket: Socket<undefined>, why: string): void {
    if (this.socket !== socket) return;
    if (this.socket) this.options.log.info(`HA connection to ${this.connectedTo} ${why}`);
    this.socket = null;
  }
}
