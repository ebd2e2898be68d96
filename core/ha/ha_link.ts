// A slave's connection to its master's HA port, as both HA protocols keep it (classic and
// controller mode): connect once the master's address is known, reconnect on the next tick
// after a loss, drop a master silent past the housekeeping interval. What goes over the
// connection is the protocol's: it is told when a connection opens, of every chunk read, of
// every tick while open (its periodic report) and when a connection ends.

import type { Socket } from "bun";
import type { Clock, TimerHandle } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import { connectHa } from "./ha_socket.ts";

export interface HaLinkProtocol {
  /** A connection is about to be made: reset what belongs to one connection. */
  connecting(): void;
  /** The connection is open (write() works): introduce ourselves or report. */
  opened(): void;
  /** Bytes from the current connection (never a dropped one's tail). */
  received(chunk: Uint8Array): void;
  /** A tick while open and the master not silent, `sinceWriteMs` after our last write. */
  tick(sinceWriteMs: number): void;
  /** The connection ended: dropped by us or lost. */
  closed(): void;
}

export interface HaLinkOptions {
  clock: Clock;
  log: Logger;
  /** host:port of the master's HA port, when known. */
  masterAddress: () => string | undefined;
  housekeepingIntervalMs: number;
}

const tickMs = 1_000;

export class HaLink {
  private socket: Socket<undefined> | null = null;
  private connectInFlight = false;
  private lastReadMs = 0;
  private lastWriteMs = 0;
  private timer: TimerHandle | null = null;
  private stopped = false;
  /** The master address of the current (or last) connection, for logs. */
  connectedTo: string | null = null;

  constructor(
    private readonly options: HaLinkOptions,
    private readonly protocol: HaLinkProtocol,
  ) {}

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

  isOpen(): boolean {
    return this.socket !== null;
  }

  write(bytes: Uint8Array): void {
    this.lastWriteMs = this.options.clock.nowMs();
    this.socket?.write(bytes);
  }

  /** Ends the current connection; the next tick connects again. */
  drop(why: string): void {
    this.options.log.warn(`HA connection to ${this.connectedTo} dropped: ${why}`);
    this.socket?.end();
    this.socket = null;
    this.protocol.closed();
  }

  private tick(): void {
    if (this.stopped) return;
    if (!this.socket) {
      void this.connect();
      return;
    }
    const nowMs = this.options.clock.nowMs();
    if (nowMs - this.lastReadMs > this.options.housekeepingIntervalMs) {
      this.drop(`master ${this.connectedTo} silent`);
      return;
    }
    this.protocol.tick(nowMs - this.lastWriteMs);
  }

  private async connect(): Promise<void> {
    const address = this.options.masterAddress();
    if (!address || this.connectInFlight) return;
    this.connectInFlight = true;
    try {
      this.protocol.connecting();
      const socket = await connectHa(address, {
        data: (from, chunk) => {
          if (from !== this.socket) return; // a dropped connection's tail
          this.lastReadMs = this.options.clock.nowMs();
          this.protocol.received(chunk);
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
      this.protocol.opened();
    } catch (error) {
      this.options.log.debug(`HA connect to ${address} failed: ${(error as Error).message}`);
    } finally {
      this.connectInFlight = false;
    }
  }

  private lost(socket: Socket<undefined>, why: string): void {
    if (this.socket !== socket) return;
    this.options.log.info(`HA connection to ${this.connectedTo} ${why}`);
    this.socket = null;
    this.protocol.closed();
  }
}
