// The classic master/slave HA port protocol (spec §9.1): plain TCP, no remoting frames.
// Slave -> master: 8-byte big-endian longs, each the slave's commit log max offset (its ack).
// Master -> slave: a 12-byte header (8-byte physical offset of the first data byte, 4-byte data
// length) and that many raw commit log bytes; a header with length 0 is a heartbeat.

import { assert } from "../common/assert.ts";
import { ProtocolError } from "../common/errors.ts";

export const SLAVE_REPORT_BYTES = 8;
export const TRANSFER_HEADER_BYTES = 12;
/** The largest data length a master frame may carry here (RocketMQ sends 32 KiB batches). */
export const TRANSFER_DATA_BYTES_MAX = 16 * 1024 * 1024;

export function encodeSlaveReport(maxOffset: number): Uint8Array {
  assert(Number.isSafeInteger(maxOffset) && maxOffset >= 0, "an offset is a safe integer");
  const out = new Uint8Array(SLAVE_REPORT_BYTES);
  new DataView(out.buffer).setBigInt64(0, BigInt(maxOffset));
  return out;
}

export function encodeTransferHeader(offset: number, dataBytes: number): Uint8Array {
  assert(Number.isSafeInteger(offset) && offset >= 0, "an offset is a safe integer");
  const out = new Uint8Array(TRANSFER_HEADER_BYTES);
  const view = new DataView(out.buffer);
  view.setBigInt64(0, BigInt(offset));
  view.setInt32(8, dataBytes);
  return out;
}

/** Concatenates a pending remainder with a new chunk. */
function joined(pending: Uint8Array, chunk: Uint8Array): Uint8Array {
  if (pending.length === 0) return chunk;
  const out = new Uint8Array(pending.length + chunk.length);
  out.set(pending);
  out.set(chunk, pending.length);
  return out;
}

function readOffset(view: DataView, at: number): number {
  const value = view.getBigInt64(at);
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ProtocolError(`HA offset ${value} is out of range`);
  }
  return Number(value);
}

/** Master side: the slave's reports; incomplete 8-byte groups wait for the rest. */
export class SlaveReportDecoder {
  private pending = new Uint8Array(0);

  /** The newest complete report in `chunk` (with what came before), if any. */
  push(chunk: Uint8Array): number | undefined {
    const bytes = joined(this.pending, chunk);
    const whole = bytes.length - (bytes.length % SLAVE_REPORT_BYTES);
    this.pending = bytes.slice(whole);
    if (whole === 0) return undefined;
    const view = new DataView(bytes.buffer, bytes.byteOffset, whole);
    return readOffset(view, whole - SLAVE_REPORT_BYTES);
  }
}

export interface TransferFrame {
  offset: number;
  data: Uint8Array;
}

/** Slave side: master frames from a byte stream, split and joined at any point. */
export class TransferDecoder {
  private pending = new Uint8Array(0);

  push(chunk: Uint8Array): TransferFrame[] {
    const bytes = joined(this.pending, chunk);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const frames: TransferFrame[] = [];
    let at = 0;
    while (bytes.length - at >= TRANSFER_HEADER_BYTES) {
      const offset = readOffset(view, at);
      const size = view.getInt32(at + 8);
      if (size < 0 || size > TRANSFER_DATA_BYTES_MAX) {
        throw new ProtocolError(`HA frame of ${size} bytes`);
      }
      if (bytes.length - at - TRANSFER_HEADER_BYTES < size) break;
      const start = at + TRANSFER_HEADER_BYTES;
      frames.push({ offset, data: bytes.slice(start, start + size) });
      at = start + size;
    }
    this.pending = bytes.slice(at);
    return frames;
  }
}
