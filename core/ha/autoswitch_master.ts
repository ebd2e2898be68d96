// The master side of controller-mode HA (spec §9.3, RocketMQ's AutoSwitchHAConnection): a
// slave introduces itself with its broker id; the master answers with its max offset and its
// epoch list (the slave truncates to what they share), then streams the log from the slave's
// first ack in frames that never span a segment or an epoch, each naming its epoch and the
// confirm offset. Acks tell which replica has what: SYNC sends wait on them (ack_waiters.ts)
// and the broker's in-sync-set upkeep reads when each replica last caught up.

import type { Socket, TCPSocketListener } from "bun";
import type { Clock, TimerHandle } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import type { MessageStore } from "../store/message_store.ts";
import { AckWaiters } from "./ack_waiters.ts";
import {
  encodeMasterHandshake,
  encodeMasterTransferHeader,
  EPOCH_ENTRIES_MAX,
  SlaveFrameDecoder,
} from "./autoswitch_codec.ts";
import type { EpochFile } from "./epoch_file.ts";
import { FrameWriter, listenHa } from "./ha_socket.ts";

export interface AutoSwitchMasterOptions {
  store: MessageStore;
  epochs: EpochFile;
  clock: Clock;
  log: Logger;
  host: string;
  port: number;
  heartbeatIntervalMs: number;
  housekeepingIntervalMs: number;
  transferBatchBytes: number;
  /** Whether it streams now: a broker in controller mode keeps the port and serves as master. */
  serving: boolean;
  /**
   * Whose acks a SYNC send needs: `count` replicas among `ids` (null: any replica), as
   * allAckInSyncStateSet (every other in-sync member) or inSyncReplicas (n - 1 of any) ask.
   */
  ackFrom: () => { ids: readonly number[] | null; count: number };
  /**
   * A replica's ack just reached everything SYNC sends have been acknowledged for (the confirm
   * offset of the replicas they wait for): it may join the in-sync set. Called within the ack's
   * handling, so the caller can count it for sends from this moment on.
   */
  onCaughtUp?: (brokerId: number, ackOffset: number) => void;
}

interface Replica {
  socket: Socket<SocketData>;
  writer: FrameWriter;
  remote: string;
  frames: SlaveFrameDecoder;
  /** From the handshake; -1 until it came. */
  brokerId: number;
  syncFromLastFile: boolean;
  /** The replica's max offset as it last acked (-1: not yet). */
  ackOffset: number;
  /** Next byte to send (null until the first ack after the handshake). */
  transferOffset: number | null;
  /** The end of the last batch sent, until the replica acks it (null: nothing unacked). */
  unackedEnd: number | null;
  lastReadMs: number;
  lastWriteMs: number;
  /** When its ack last reached this log's end (0: never). */
  caughtUpMs: number;
  /** The last time a send reached the log's end: an ack of `offset` means caught up then. */
  sentToEnd: { offset: number; atMs: number } | null;
  /** The confirm offset the replica was last told (it dispatches up to it). */
  toldConfirm: number;
}

type SocketData = { peer: Replica | null };
const housekeepingTickMs = 1_000;

export class AutoSwitchMaster {
  private listener: TCPSocketListener<SocketData> | null = null;
  private readonly replicas = new Set<Replica>();
  private readonly waiters: AckWaiters;
  private housekeeping: TimerHandle | null = null;
  private serving: boolean;

  constructor(private readonly options: AutoSwitchMasterOptions) {
    this.waiters = new AckWaiters(options.clock);
    this.serving = options.serving;
  }

  /**
   * Starts or stops serving replicas. Stepping down closes every replica connection (they
   * find the new master) and fails waiting sends: their acks can no longer be vouched for.
   */
  setServing(serving: boolean): void {
    if (this.serving === serving) return;
    this.serving = serving;
    if (serving) return;
    for (const replica of [...this.replicas]) {
      replica.socket.end();
      this.closed(replica, "this broker is no longer master");
    }
    this.waiters.failAll();
  }

  start(): { port: number } {
    this.listener = listenHa<Replica>(this.options.host, this.options.port, {
      accept: (socket) => this.accept(socket),
      data: (replica, chunk) => this.received(replica, chunk),
      drain: (replica) => this.pumpSafely(replica),
      closed: (replica, why) => this.closed(replica, why),
    });
    this.housekeeping = this.options.clock.every(housekeepingTickMs, () => this.tick());
    return { port: this.listener.port };
  }

  stop(): void {
    this.housekeeping?.cancel();
    for (const replica of [...this.replicas]) replica.socket.end();
    this.listener?.stop(true);
    this.listener = null;
    this.waiters.failAll();
  }

  /** What each connected replica has, for the in-sync set upkeep and the operator views. */
  replicaStates(): { brokerId: number; ackOffset: number; caughtUpMs: number }[] {
    return [...this.replicas]
      .filter((r) => r.brokerId >= 0)
      .map((r) => ({ brokerId: r.brokerId, ackOffset: r.ackOffset, caughtUpMs: r.caughtUpMs }));
  }

  /** The offset every replica SYNC sends wait for has reached (the log's end when none). */
  confirmOffset(): number {
    const end = this.options.store.commitLog.writePosition;
    const { ids, count } = this.options.ackFrom();
    if (count <= 0) return end;
    const best = new Map<number, number>(); // one ack per replica id, its newest connection's
    for (const r of this.replicas) {
      if (r.brokerId < 0 || (ids !== null && !ids.includes(r.brokerId))) continue;
      best.set(r.brokerId, Math.max(best.get(r.brokerId) ?? -1, r.ackOffset));
    }
    const acks = [...best.values()].sort((a, b) => b - a);
    return acks.length < count ? -1 : Math.min(end, acks[count - 1]!);
  }

  /** Resolves true once the replicas `ackFrom` asks for have `offset`, false on timeout. */
  waitForAck(offset: number, timeoutMs: number): Promise<boolean> {
    if (this.confirmOffset() >= offset) return Promise.resolve(true);
    return this.waiters.wait(offset, timeoutMs);
  }

  /** The in-sync set changed: waiters may be satisfied by fewer replicas now. */
  recheckWaiters(): void {
    this.waiters.release(this.confirmOffset());
  }

  /**
   * The store appended: send the new bytes to every replica that acked its last batch. One
   * batch is in flight per replica, as the classic master does (ha_master.ts): appends made
   * meanwhile, and a newer confirm offset, go out together when the ack comes.
   */
  notifyAppended(): void {
    for (const replica of [...this.replicas]) {
      if (this.ackedAll(replica)) this.pumpSafely(replica);
    }
  }

  private ackedAll(replica: Replica): boolean {
    if (replica.unackedEnd !== null && replica.ackOffset >= replica.unackedEnd) {
      replica.unackedEnd = null;
    }
    return replica.unackedEnd === null;
  }

  private accept(socket: Socket<SocketData>): Replica | null {
    // Not leading: a replica with a stale master address; it asks the name servers again.
    if (!this.serving) return null;
    const nowMs = this.options.clock.nowMs();
    const replica: Replica = {
      socket,
      writer: new FrameWriter(socket),
      remote: `${socket.remoteAddress}`,
      frames: new SlaveFrameDecoder(),
      brokerId: -1,
      syncFromLastFile: false,
      ackOffset: -1,
      transferOffset: null,
      unackedEnd: null,
      lastReadMs: nowMs,
      lastWriteMs: nowMs,
      caughtUpMs: 0,
      sentToEnd: null,
      toldConfirm: -1,
    };
    this.replicas.add(replica);
    return replica;
  }

  private received(replica: Replica, chunk: Uint8Array): void {
    const nowMs = this.options.clock.nowMs();
    replica.lastReadMs = nowMs;
    try {
      for (const frame of replica.frames.push(chunk)) {
        if (frame.kind === "handshake") {
          this.handshake(replica, frame.brokerId, frame.syncFromLastFile);
        } else if (replica.brokerId < 0) {
          throw new Error("an ack before the handshake");
        } else {
          this.acked(replica, frame.maxOffset, nowMs);
        }
      }
    } catch (error) {
      this.options.log.warn(`replica ${replica.remote}: ${error}; closing`);
      replica.socket.end();
      this.closed(replica, "bad frame");
      return;
    }
    const confirm = this.confirmOffset();
    this.waiters.release(confirm);
    // A newer confirm offset lets every replica dispatch further: tell them all now, except a
    // replica with a batch in flight, which hears it with the next batch once it acks.
    const others = confirm > replica.toldConfirm ? [...this.replicas] : [replica];
    for (const r of others) if (this.ackedAll(r)) this.pumpSafely(r);
  }

  /** pump, where a failed read of the log (an IO error) ends this connection only. */
  private pumpSafely(replica: Replica): void {
    try {
      this.pump(replica);
    } catch (error) {
      this.options.log.error(`replica ${replica.brokerId}: cannot send the log: ${error}`);
      replica.socket.end();
      this.closed(replica, "log read failed");
    }
  }

  private handshake(replica: Replica, brokerId: number, syncFromLastFile: boolean): void {
    replica.brokerId = brokerId;
    replica.syncFromLastFile = syncFromLastFile;
    replica.transferOffset = null;
    replica.unackedEnd = null;
    const entries = this.options.epochs.entries().slice(-EPOCH_ENTRIES_MAX);
    const end = this.options.store.commitLog.writePosition;
    this.write(replica, encodeMasterHandshake(end, entries));
    this.options.log.info(`replica ${brokerId} (${replica.remote}) handshake at offset ${end}`);
  }

  private acked(replica: Replica, maxOffset: number, nowMs: number): void {
    const { commitLog } = this.options.store;
    if (maxOffset > commitLog.writePosition) {
      // Its handshake should have cut it back to what this log holds.
      throw new Error(`ack ${maxOffset} past this log's end ${commitLog.writePosition}`);
    }
    replica.ackOffset = maxOffset;
    if (this.options.onCaughtUp && maxOffset >= this.confirmOffset()) {
      this.options.onCaughtUp(replica.brokerId, maxOffset);
    }
    // Under steady load an ack never meets the moving end: it caught up as of the last send
    // that reached the end (RocketMQ's lastTransferTime rule).
    if (maxOffset >= commitLog.writePosition) replica.caughtUpMs = nowMs;
    else if (replica.sentToEnd && maxOffset >= replica.sentToEnd.offset) {
      replica.caughtUpMs = Math.max(replica.caughtUpMs, replica.sentToEnd.atMs);
    }
    if (replica.transferOffset !== null) return;
    const end = commitLog.writePosition;
    replica.transferOffset =
      maxOffset !== 0
        ? maxOffset
        : replica.syncFromLastFile
          ? end - (end % commitLog.segmentSizeBytes)
          : commitLog.files.minOffset();
    this.options.log.info(
      `replica ${replica.brokerId} follows from offset ${replica.transferOffset}`,
    );
  }

  /** Sends frames until the replica is up to date or its socket is full. */
  private pump(replica: Replica): void {
    if (!replica.writer.flush()) return;
    const { commitLog } = this.options.store;
    // Neither acks nor appends can arrive while this runs: one confirm offset serves it all.
    const confirm = this.confirmOffset();
    while (replica.transferOffset !== null && replica.transferOffset < commitLog.writePosition) {
      const from = replica.transferOffset;
      const epoch = this.epochAt(from);
      const segmentEnd = commitLog.files.segmentStartFor(from) + commitLog.segmentSizeBytes;
      const size = Math.min(
        this.options.transferBatchBytes,
        commitLog.writePosition - from,
        segmentEnd - from,
        epoch.end - from,
      );
      const data = size > 0 ? commitLog.read(from, size) : null;
      if (!data || data.length === 0) return; // removed by retention, or no epoch: wait
      replica.transferOffset = from + data.length;
      if (replica.transferOffset === commitLog.writePosition) {
        replica.sentToEnd = { offset: replica.transferOffset, atMs: this.options.clock.nowMs() };
      }
      const header = encodeMasterTransferHeader({
        offset: from,
        dataBytes: data.length,
        epoch: epoch.epoch,
        epochStartOffset: epoch.startOffset,
        confirmOffset: confirm,
      });
      replica.toldConfirm = Math.max(replica.toldConfirm, confirm);
      replica.unackedEnd = replica.transferOffset;
      if (!this.write(replica, header, data)) return;
    }
    // Nothing left to send: still tell a newer confirm offset, in a heartbeat.
    if (
      replica.transferOffset !== null &&
      confirm > replica.toldConfirm &&
      !replica.writer.busy()
    ) {
      this.heartbeat(replica, replica.transferOffset, confirm);
    }
  }

  private heartbeat(replica: Replica, from: number, confirmOffset: number): void {
    const epoch = this.epochAt(from);
    replica.toldConfirm = Math.max(replica.toldConfirm, confirmOffset);
    const header = encodeMasterTransferHeader({
      offset: from,
      dataBytes: 0,
      epoch: epoch.epoch,
      epochStartOffset: epoch.startOffset,
      confirmOffset,
    });
    this.write(replica, header);
  }

  /** The epoch that wrote `offset`, and where the next one starts (Infinity: the last). */
  private epochAt(offset: number): { epoch: number; startOffset: number; end: number } {
    const entries = this.options.epochs.entries();
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i]!;
      if (entry.startOffset <= offset) {
        return { ...entry, end: entries[i + 1]?.startOffset ?? Infinity };
      }
    }
    // Bytes older than the first epoch (a store from before controller mode) go as epoch 0.
    return {
      epoch: entries[0]?.epoch ?? 0,
      startOffset: 0,
      end: entries[0]?.startOffset ?? Infinity,
    };
  }

  /** Writes one frame; false when the socket could not take all of it (drain resumes). */
  private write(replica: Replica, header: Uint8Array, data?: Uint8Array): boolean {
    replica.lastWriteMs = this.options.clock.nowMs();
    return replica.writer.write(header, data);
  }

  private closed(replica: Replica, why: string): void {
    if (!this.replicas.delete(replica)) return;
    this.options.log.info(`replica ${replica.brokerId} (${replica.remote}) disconnected (${why})`);
  }

  private tick(): void {
    const nowMs = this.options.clock.nowMs();
    for (const replica of [...this.replicas]) {
      if (nowMs - replica.lastReadMs > this.options.housekeepingIntervalMs) {
        this.options.log.warn(`replica ${replica.brokerId} silent; closing its HA connection`);
        replica.socket.end();
        this.closed(replica, "silent");
        continue;
      }
      const from = replica.transferOffset;
      if (from !== null && !replica.writer.busy()) {
        if (nowMs - replica.lastWriteMs < this.options.heartbeatIntervalMs) continue;
        this.heartbeat(replica, from, this.confirmOffset());
      }
    }
  }
}
