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
import { FrameWriter, listenHa } from "./ha_socket.ts";

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
  socket: Socket<{ peer: Slave | null }>;
  writer: FrameWriter;
  remote: string;
  reports: SlaveReportDecoder;
  /** The slave's max offset as it last reported (-1: not yet). */
  ackOffset: number;
  /** Next byte to send (null until the first report). */
  transferOffset: number | null;
  /** The end of the last batch sent, until the slave acknowledges it (null: nothing unacked). */
  unackedEnd: number | null;
  lastReadMs: number;
  lastWriteMs: number;
}

const housekeepingTickMs = 1_000;

export class HaMaster {
  private listener: TCPSocketListener<{ peer: Slave | null }> | null = null;
  private readonly slaves = new Set<Slave>();
  private readonly waiters: AckWaiters;
  private housekeeping: TimerHandle | null = null;

  constructor(private readonly options: HaMasterOptions) {
    this.waiters = new AckWaiters(options.clock);
  }

  start(): { port: number } {
    const { host, port } = this.options;
    this.listener = listenHa<Slave>(host, port, {
      accept: (socket) => this.accept(socket),
      data: (slave, chunk) => this.received(slave, chunk),
      drain: (slave) => this.pump(slave),
      closed: (slave, why) => this.closed(slave, why),
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

  /**
   * The store appended: send the new bytes to every slave that has acknowledged its last
   * batch. One batch is in flight per slave; appends made meanwhile go out together when the
   * ack comes. Under SYNC load this sends a few large frames instead of one per drain (each a
   * socket write, a slave wake-up and an ack, which cost more than the bytes); an idle slave
   * still gets each append at once.
   */
  notifyAppended(): void {
    for (const slave of this.slaves) if (this.acknowledgedAll(slave)) this.pump(slave);
  }

  private acknowledgedAll(slave: Slave): boolean {
    if (slave.unackedEnd !== null && slave.ackOffset >= slave.unackedEnd) slave.unackedEnd = null;
    return slave.unackedEnd === null;
  }

  /** Resolves true once a slave acknowledged `offset`, false after `timeoutMs`. */
  waitForAck(offset: number, timeoutMs: number): Promise<boolean> {
    if (this.ackOffset() >= offset) return Promise.resolve(true);
    return this.waiters.wait(offset, timeoutMs);
  }

  private accept(socket: Socket<{ peer: Slave | null }>): Slave {
    const nowMs = this.options.clock.nowMs();
    const slave: Slave = {
      socket,
      writer: new FrameWriter(socket),
      remote: `${socket.remoteAddress}`,
      reports: new SlaveReportDecoder(),
      ackOffset: -1,
      transferOffset: null,
      unackedEnd: null,
      lastReadMs: nowMs,
      lastWriteMs: nowMs,
    };
    this.slaves.add(slave);
    this.options.log.info(`slave ${slave.remote} connected`);
    return slave;
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
    if (this.acknowledgedAll(slave)) this.pump(slave);
  }

  /** Sends frames until the slave is up to date or its socket is full. */
  private pump(slave: Slave): void {
    if (!slave.writer.flush()) return;
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
      slave.unackedEnd = slave.transferOffset;
      if (!this.send(slave, encodeTransferHeader(from, data.length), data)) return;
    }
  }

  /** Writes a frame; false when the socket could not take all of it (drain resumes). */
  private send(slave: Slave, header: Uint8Array, data: Uint8Array): boolean {
    slave.lastWriteMs = this.options.clock.nowMs();
    return slave.writer.write(header, data);
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
        !slave.writer.busy() &&
        nowMs - slave.lastWriteMs >= this.options.heartbeatIntervalMs
      ) {
        this.send(slave, encodeTransferHeader(slave.transferOffset, 0), new Uint8Array(0));
      }
    }
  }
}
