// The checkpoint file (spec §5.7): 4 KiB, first 40 bytes used, big-endian longs.
//
// | offset | field               | updated by                      |
// |--------|---------------------|---------------------------------|
// | 0      | physicMsgTimestamp  | commit log flush                |
// | 8      | logicsMsgTimestamp  | consume queue flush             |
// | 16     | indexMsgTimestamp   | index flush                     |
// | 24     | masterFlushedOffset | 5.x (slave truncation)          |
// | 32     | confirmPhyOffset    | 5.x (controller confirm offset) |
// | 40     | "RMQ1" (int)        | rmq only: the two offsets below are present |
// | 44     | rmqDurablePhyOffset | rmq only: commit log and the queue units and index entries of
// |        |                     | every record before it were durable when this was written  |
//
// RocketMQ reads only the first 24 (4.x) or 40 (5.x) bytes, so the rmq part is invisible to it;
// recovery uses it, when present, to start exactly where durable data ends.

import { CorruptionError } from "../common/errors.ts";

export const checkpointFileBytes = 4096;

export interface Checkpoint {
  physicMsgTimestamp: number;
  logicsMsgTimestamp: number;
  indexMsgTimestamp: number;
  masterFlushedOffset: number;
  confirmPhyOffset: number;
  /** rmq's own durable position; undefined in checkpoints RocketMQ wrote. */
  rmqDurablePhyOffset?: number;
}

const RMQ_CHECKPOINT_MAGIC = 0x524d5131; // "RMQ1"

export function emptyCheckpoint(): Checkpoint {
  return {
    physicMsgTimestamp: 0,
    logicsMsgTimestamp: 0,
    indexMsgTimestamp: 0,
    masterFlushedOffset: 0,
    confirmPhyOffset: 0,
  };
}

export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  if (bytes.length < 40) throw new CorruptionError(`checkpoint is ${bytes.length} bytes, needs 40`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, 40);
  const long = (at: number) => {
    const value = view.getBigInt64(at);
    if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new CorruptionError(`checkpoint field at ${at} out of range: ${value}`);
    }
    return Number(value);
  };
  return {
    physicMsgTimestamp: long(0),
    logicsMsgTimestamp: long(8),
    indexMsgTimestamp: long(16),
    masterFlushedOffset: long(24),
    confirmPhyOffset: long(32),
    rmqDurablePhyOffset:
      bytes.length >= 52 && view52(bytes).getInt32(40) === RMQ_CHECKPOINT_MAGIC
        ? Number(view52(bytes).getBigInt64(44))
        : undefined,
  };
}

function view52(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, 52);
}

export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const out = new Uint8Array(checkpointFileBytes);
  const view = new DataView(out.buffer);
  view.setBigInt64(0, BigInt(checkpoint.physicMsgTimestamp));
  view.setBigInt64(8, BigInt(checkpoint.logicsMsgTimestamp));
  view.setBigInt64(16, BigInt(checkpoint.indexMsgTimestamp));
  view.setBigInt64(24, BigInt(checkpoint.masterFlushedOffset));
  view.setBigInt64(32, BigInt(checkpoint.confirmPhyOffset));
  if (checkpoint.rmqDurablePhyOffset !== undefined) {
    view.setInt32(40, RMQ_CHECKPOINT_MAGIC);
    view.setBigInt64(44, BigInt(checkpoint.rmqDurablePhyOffset));
  }
  return out;
}

/** Recovery's lower bound: min(physic, logics) - 3 s, floored at 0 (spec §5.7). */
export function checkpointMinTimestamp(checkpoint: Checkpoint, indexSafe: boolean): number {
  let min = Math.min(checkpoint.physicMsgTimestamp, checkpoint.logicsMsgTimestamp);
  if (indexSafe) min = Math.min(min, checkpoint.indexMsgTimestamp);
  return Math.max(0, min - 3000);
}
