// The master side of classic HA (spec §9.1): listens on the HA port; each slave reports its
// commit log max offset (its ack) and gets the log from there in frames that never span two
// segments. The first report fixes where the stream starts (0: the start of the last segment).
// Idle connections get a heartbeat header; silent ones are closed. SYNC_MASTER sends wait on
// `waitForAck` (ack_waiters.ts).

import type { Socket, TCPSocketListener } from "bun";
import type { Clock, TimerHandle } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import type { MessageStore } from "../store/message_store.ts";
import { AckWaiters } from "./ack_waiters.ts";
import { encodeTransferHeader, SlaveReportDecoder } from "./ha_codec.ts";

export interface HaMasterOptions {
  store: MessageStore;
  clock: Clock;
  log: Logger;
  host: string;
  port: number;
  heartbeatIntervalMs: number;
  housekeepingIntervalMs: number;
  transferBatchBytes: number;
}

interface Slave {
  socket: Socket<{ slave: Slave | null }>;
  remote: string;
  reports: SlaveReportDecoder;
  /** The slave's max offset as it last reported (-1: not yet). */
  ackOffset: number;
  /** Next byte to send (null until the first report). */
  transferOffset: number | null;
  /** Bytes of a frame the socket did not take yet. */
  unsent: Uint8Array | null;
  lastReadMs: number;
  lastWriteMs: number;
}

const housekeepingTickMs = 1_000;

export class HaMaster {
  private listener: TCPSocketListener<{ slave: Slave | null }> | null = null;
  private readonly slaves = new Set<Slave>();
  private readonly waiters: AckWaiters;
  private housekeeping: TimerHandle | null = null;

  constructor(private readonly options: HaMasterOptions) {
    this.waiters = new AckWaiters(options.clock);
  }

  start(): { port: number } {
    const { host, port } = this.options;
    this.listener = Bun.listen<{ slave: Slave | null }>({
      hostname: host,
      port,
      socket: {
        open: (socket) => this.accept(socket),
        data: (socket, chunk) => {
          if (socket.data.slave) this.received(socket.data.slave, chunk);
        },
        drain: (socket) => {
          if (socket.data.slave) this.pump(socket.data.slave);
        },
        close: (socket) => {
          if (socket.data.slave) this.closed(socket.data.slave, "closed");
        },
        error: (socket, error) => {
          if (socket.data.slave) this.closed(socket.data.slave, `error: ${error.message}`);
        },
      },
      data: { slave: null },
    });
    this.housekeeping = this.options.clock.every(housekeepingTickMs, () => this.tick());
    return { port: this.listener.port };
  }

  stop(): void {
    this.housekeeping?.cancel();
    for (const slave of [...this.slaves]) slave.socket.end();
    this.listener?.stop(true);
    this.listener = null;
    this.waiters.failAll();
  }

  connectionCount(): number {
    return this.slaves.size;
  }

  /** The highest offset any slave has acknowledged (-1: none has reported). */
  ackOffset(): number {
    let best = -1;
    for (const slave of this.slaves) best = Math.max(best, slave.ackOffset);
    return best;
  }

  /** The store appended: send the new bytes to every slave. */
  notifyAppended(): void {
    for (const slave of this.slaves) this.pump(slave);
  }

  /** Resolves true once a slave acknowledged `offset`, false after `timeoutMs`. */
  waitForAck(offset: number, timeoutMs: number): Promise<boolean> {
    if (this.ackOffset() >= offset) return Promise.resolve(true);
    return this.waiters.wait(offset, timeoutMs);
  }

  private accept(socket: Socket<{ slave: Slave | null }>): void {
    const nowMs = this.options.clock.nowMs();
    const slave: Slave = {
      socket,
      remote: `${socket.remoteAddress}`,
      reports: new SlaveReportDecoder(),
      ackOffset: -1,
      transferOffset: null,
      unsent: null,
      lastReadMs: nowMs,
      lastWriteMs: nowMs,
    };
    socket.data = { slave };
    this.slaves.add(slave);
    this.options.log.info(`slave ${slave.remote} connected`);
  }

  private received(slave: Slave, chunk: Uint8Array): void {
    slave.lastReadMs = this.options.clock.nowMs();
    let reported: number | undefined;
    try {
      reported = slave.reports.push(chunk);
    } catch (error) {
      this.options.log.warn(`slave ${slave.remote}: ${error}; closing`);
      slave.socket.end();
      return;
    }
    if (reported === undefined) return;
    if (reported > this.options.store.commitLog.writePosition) {
      // A slave ahead of its master holds bytes this log does not: its acks would vouch for
      // data it never got from here. Refuse it, as RocketMQ's HA does on a mismatch.
      const end = this.options.store.commitLog.writePosition;
      this.options.log.warn(
        `slave ${slave.remote} reports offset ${reported}, past this log's end ${end}; closing`,
      );
      slave.socket.end();
      this.closed(slave, "ahead of the master");
      return;
    }
    slave.ackOffset = reported;
    if (slave.transferOffset === null) {
      const { commitLog } = this.options.store;
      const end = commitLog.writePosition;
      const lastSegmentStart = end - (end % commitLog.segmentSizeBytes);
      slave.transferOffset = reported === 0 ? lastSegmentStart : reported;
      this.options.log.info(`slave ${slave.remote} follows from offset ${slave.transferOffset}`);
    }
    this.waiters.release(this.ackOffset());
    this.pump(slave);
  }

  /** Sends frames until the slave is up to date or its socket is full. */
  private pump(slave: Slave): void {
    if (!this.flushUnsent(slave)) return;
    const { commitLog } = this.options.store;
    while (slave.transferOffset !== null && slave.transferOffset < commitLog.writePosition) {
      const from = slave.transferOffset;
      const segmentEnd = commitLog.files.segmentStartFor(from) + commitLog.segmentSizeBytes;
      const size = Math.min(
        this.options.transferBatchBytes,
        commitLog.writePosition - from,
        segmentEnd - from,
      );
      const data = commitLog.read(from, size);
      if (!data || data.length === 0) return; // a segment removed by retention: wait
      slave.transferOffset = from + data.length;
      if (!this.send(slave, encodeTransferHeader(from, data.length), data)) return;
    }
  }

  /** Writes a frame; false when the socket could not take all of it (drain resumes). */
  private send(slave: Slave, header: Uint8Array, data: Uint8Array): boolean {
    const frame = new Uint8Array(header.length + data.length);
    frame.set(header);
    frame.set(data, header.length);
    slave.lastWriteMs = this.options.clock.nowMs();
    const written = slave.socket.write(frame);
    if (written === frame.length) return true;
    slave.unsent = frame.subarray(Math.max(0, written));
    return false;
  }

  private flushUnsent(slave: Slave): boolean {
    if (!slave.unsent) return true;
    const written = slave.socket.write(slave.unsent);
    if (written === slave.unsent.length) {
      slave.unsent = null;
      return true;
    }
    slave.unsent = slave.unsent.subarray(Math.max(0, written));
    return false;
  }

  private closed(slave: Slave, why: string): void {
    if (!this.slaves.delete(slave)) return;
    this.options.log.info(`slave ${slave.remote} disconnected (${why})`);
  }

  private tick(): void {
    const nowMs = this.options.clock.nowMs();
    for (const slave of [...this.slaves]) {
      if (nowMs - slave.lastReadMs > this.options.housekeepingIntervalMs) {
        this.options.log.warn(`slave ${slave.remote} silent; closing its HA connection`);
        slave.socket.end();
        this.closed(slave, "silent");
        continue;
      }
      if (
        slave.transferOffset !== null &&
        !slave.unsent &&
        nowMs - slave.lastWriteMs >= this.options.heartbeatIntervalMs
      ) {
        this.send(slave, encodeTransferHeader(slave.transferOffset, 0), new Uint8Array(0));
      }
    }
  }
}
