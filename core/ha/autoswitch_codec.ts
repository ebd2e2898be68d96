// The controller-mode HA port protocol (spec §9.3, RocketMQ's AutoSwitchHAClient and
// AutoSwitchHAConnection): plain TCP, big-endian, every frame led by the sender's state
// (HAConnectionState: READY 0, HANDSHAKE 1, TRANSFER 2, SUSPEND 3, SHUTDOWN 4).
//
// Slave -> master
// | frame     | offset | size | field                                   |
// |-----------|--------|------|-----------------------------------------|
// | handshake | 0      | 4    | state = 1                               |
// |           | 4      | 2    | isSyncFromLastFile (1 / 0)              |
// |           | 6      | 2    | isAsyncLearner (1 / 0)                  |
// |           | 8      | 8    | slave brokerId                          |
// | ack       | 0      | 4    | state = 2                               |
// |           | 4      | 8    | slave commit log max offset             |
//
// Master -> slave
// | frame     | offset | size | field                                   |
// |-----------|--------|------|-----------------------------------------|
// | handshake | 0      | 4    | state = 1                               |
// |           | 4      | 4    | body size = 12 x entries                |
// |           | 8      | 8    | master commit log max offset            |
// |           | 16     | 4    | master's last epoch (-1: none)          |
// |           | 20     | 12 n | entries: epoch (4), start offset (8)    |
// | transfer  | 0      | 4    | state = 2                               |
// |           | 4      | 4    | body size (0: a heartbeat)              |
// |           | 8      | 8    | physical offset of the first body byte  |
// |           | 16     | 4    | epoch of these bytes                    |
// |           | 20     | 8    | that epoch's start offset               |
// |           | 28     | 8    | confirm offset                          |
// |           | 36     | n    | commit log bytes (one segment, one epoch) |

import { assert } from "../common/assert.ts";
import { ProtocolError } from "../common/errors.ts";
import type { EpochEntry } from "./epoch_file.ts";
import { TRANSFER_DATA_BYTES_MAX } from "./ha_codec.ts";

export const HaState = { READY: 0, HANDSHAKE: 1, TRANSFER: 2, SUSPEND: 3, SHUTDOWN: 4 } as const;

export const SLAVE_HANDSHAKE_BYTES = 16;
export const SLAVE_ACK_BYTES = 12;
export const MASTER_HANDSHAKE_HEADER_BYTES = 20;
export const MASTER_TRANSFER_HEADER_BYTES = 36;
export const EPOCH_ENTRY_BYTES = 12;
/** RocketMQ's master sends at most 1000 entries (its handshake buffer). */
export const EPOCH_ENTRIES_MAX = 1000;

assert(SLAVE_HANDSHAKE_BYTES === 4 + 2 + 2 + 8, "slave handshake layout");
assert(SLAVE_ACK_BYTES === 4 + 8, "slave ack layout");
assert(MASTER_HANDSHAKE_HEADER_BYTES === 4 + 4 + 8 + 4, "master handshake layout");
assert(MASTER_TRANSFER_HEADER_BYTES === 4 + 4 + 8 + 4 + 8 + 8, "master transfer layout");

export type SlaveFrame =
  | { kind: "handshake"; syncFromLastFile: boolean; asyncLearner: boolean; brokerId: number }
  | { kind: "ack"; maxOffset: number };

export type MasterFrame =
  | { kind: "handshake"; maxOffset: number; lastEpoch: number; entries: EpochEntry[] }
  | {
      kind: "transfer";
      offset: number;
      epoch: number;
      epochStartOffset: number;
      confirmOffset: number;
      data: Uint8Array;
    };

function safe(value: bigint, what: string): number {
  if (value < -1n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ProtocolError(`HA ${what} ${value} is out of range`);
  }
  return Number(value);
}

function setOffset(view: DataView, at: number, value: number): void {
  assert(Number.isSafeInteger(value) && value >= -1, "an offset is a safe integer");
  view.setBigInt64(at, BigInt(value));
}

export function encodeSlaveHandshake(brokerId: number, syncFromLastFile: boolean): Uint8Array {
  const out = new Uint8Array(SLAVE_HANDSHAKE_BYTES);
  const view = new DataView(out.buffer);
  view.setInt32(0, HaState.HANDSHAKE);
  view.setInt16(4, syncFromLastFile ? 1 : 0);
  view.setInt16(6, 0); // never an async learner here
  setOffset(view, 8, brokerId);
  return out;
}

export function encodeSlaveAck(maxOffset: number): Uint8Array {
  const out = new Uint8Array(SLAVE_ACK_BYTES);
  const view = new DataView(out.buffer);
  view.setInt32(0, HaState.TRANSFER);
  setOffset(view, 4, maxOffset);
  return out;
}

export function encodeMasterHandshake(
  maxOffset: number,
  entries: readonly EpochEntry[],
): Uint8Array {
  assert(entries.length <= EPOCH_ENTRIES_MAX, "the epoch list fits a handshake");
  const bodyBytes = entries.length * EPOCH_ENTRY_BYTES;
  const out = new Uint8Array(MASTER_HANDSHAKE_HEADER_BYTES + bodyBytes);
  const view = new DataView(out.buffer);
  view.setInt32(0, HaState.HANDSHAKE);
  view.setInt32(4, bodyBytes);
  setOffset(view, 8, maxOffset);
  view.setInt32(16, entries[entries.length - 1]?.epoch ?? -1);
  entries.forEach((entry, i) => {
    const at = MASTER_HANDSHAKE_HEADER_BYTES + i * EPOCH_ENTRY_BYTES;
    view.setInt32(at, entry.epoch);
    setOffset(view, at + 4, entry.startOffset);
  });
  return out;
}

/** The 36-byte header of a transfer frame; the body follows it on the wire. */
export function encodeMasterTransferHeader(fields: {
  offset: number;
  dataBytes: number;
  epoch: number;
  epochStartOffset: number;
  confirmOffset: number;
}): Uint8Array {
  const out = new Uint8Array(MASTER_TRANSFER_HEADER_BYTES);
  const view = new DataView(out.buffer);
  view.setInt32(0, HaState.TRANSFER);
  view.setInt32(4, fields.dataBytes);
  setOffset(view, 8, fields.offset);
  view.setInt32(16, fields.epoch);
  setOffset(view, 20, fields.epochStartOffset);
  setOffset(view, 28, fields.confirmOffset);
  return out;
}

/** Incoming bytes, joined across chunks; frames are taken from the front. */
class FrameBuffer {
  private bytes: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): void {
    if (this.bytes.length === 0) {
      this.bytes = chunk.slice();
      return;
    }
    const joined = new Uint8Array(this.bytes.length + chunk.length);
    joined.set(this.bytes);
    joined.set(chunk, this.bytes.length);
    this.bytes = joined;
  }

  available(): number {
    return this.bytes.length;
  }

  view(): DataView {
    return new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  take(size: number): Uint8Array {
    const taken = this.bytes.slice(0, size);
    this.bytes = this.bytes.subarray(size);
    return taken;
  }
}

/** Master side: the slave's handshakes and acks, split and joined at any point. */
export class SlaveFrameDecoder {
  private readonly buffer = new FrameBuffer();

  push(chunk: Uint8Array): SlaveFrame[] {
    this.buffer.push(chunk);
    const frames: SlaveFrame[] = [];
    while (this.buffer.available() >= 4) {
      const view = this.buffer.view();
      const state = view.getInt32(0);
      if (state === HaState.HANDSHAKE) {
        if (this.buffer.available() < SLAVE_HANDSHAKE_BYTES) break;
        frames.push({
          kind: "handshake",
          syncFromLastFile: view.getInt16(4) === 1,
          asyncLearner: view.getInt16(6) === 1,
          brokerId: safe(view.getBigInt64(8), "broker id"),
        });
        this.buffer.take(SLAVE_HANDSHAKE_BYTES);
      } else if (state === HaState.TRANSFER) {
        if (this.buffer.available() < SLAVE_ACK_BYTES) break;
        const maxOffset = safe(view.getBigInt64(4), "ack offset");
        if (maxOffset < 0) throw new ProtocolError(`HA ack of offset ${maxOffset}`);
        frames.push({ kind: "ack", maxOffset });
        this.buffer.take(SLAVE_ACK_BYTES);
      } else {
        throw new ProtocolError(`HA slave frame in state ${state}`);
      }
    }
    return frames;
  }
}

/** Slave side: the master's handshake and transfer frames, split and joined at any point. */
export class MasterFrameDecoder {
  private readonly buffer = new FrameBuffer();

  push(chunk: Uint8Array): MasterFrame[] {
    this.buffer.push(chunk);
    const frames: MasterFrame[] = [];
    while (this.buffer.available() >= 8) {
      const view = this.buffer.view();
      const state = view.getInt32(0);
      const bodyBytes = view.getInt32(4);
      if (bodyBytes < 0 || bodyBytes > TRANSFER_DATA_BYTES_MAX) {
        throw new ProtocolError(`HA frame of ${bodyBytes} bytes`);
      }
      if (state === HaState.HANDSHAKE) {
        if (
          bodyBytes % EPOCH_ENTRY_BYTES !== 0 ||
          bodyBytes / EPOCH_ENTRY_BYTES > EPOCH_ENTRIES_MAX
        ) {
          throw new ProtocolError(`HA handshake body of ${bodyBytes} bytes`);
        }
        if (this.buffer.available() < MASTER_HANDSHAKE_HEADER_BYTES + bodyBytes) break;
        const entries: EpochEntry[] = [];
        for (let i = 0; i < bodyBytes / EPOCH_ENTRY_BYTES; i++) {
          const at = MASTER_HANDSHAKE_HEADER_BYTES + i * EPOCH_ENTRY_BYTES;
          entries.push({
            epoch: view.getInt32(at),
            startOffset: safe(view.getBigInt64(at + 4), "epoch start"),
          });
        }
        frames.push({
          kind: "handshake",
          maxOffset: safe(view.getBigInt64(8), "max offset"),
          lastEpoch: view.getInt32(16),
          entries,
        });
        this.buffer.take(MASTER_HANDSHAKE_HEADER_BYTES + bodyBytes);
      } else if (state === HaState.TRANSFER) {
        if (this.buffer.available() < MASTER_TRANSFER_HEADER_BYTES + bodyBytes) break;
        const frame = {
          kind: "transfer" as const,
          offset: safe(view.getBigInt64(8), "transfer offset"),
          epoch: view.getInt32(16),
          epochStartOffset: safe(view.getBigInt64(20), "epoch start"),
          confirmOffset: safe(view.getBigInt64(28), "confirm offset"),
        };
        this.buffer.take(MASTER_TRANSFER_HEADER_BYTES);
        frames.push({ ...frame, data: this.buffer.take(bodyBytes) });
      } else {
        throw new ProtocolError(`HA master frame in state ${state}`);
      }
    }
    return frames;
  }
}
