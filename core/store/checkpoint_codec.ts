// The checkpoint file (spec §5.7): 4 KiB, first 40 bytes used, big-endian longs.
//
// | offset | field               | updated by                      |
// |--------|---------------------|---------------------------------|
// | 0      | physicMsgTimestamp  | commit log flush                |
// | 8      | logicsMsgTimestamp  | consume queue flush             |
// | 16     | indexMsgTimestamp   | index flush                     |
// | 24     | masterFlushedOffset | 5.x (slave truncation)          |
// | 32     | confirmPhyOffset    | 5.x (controller confirm offset) |

import { CorruptionError } from "../common/errors.ts";

export const checkpointFileBytes = 4096;

export interface Checkpoint {
  physicMsgTimestamp: number;
  logicsMsgTimestamp: number;
  indexMsgTimestamp: number;
  masterFlushedOffset: number;
  confirmPhyOffset: number;
}

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
  };
}

export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const out = new Uint8Array(checkpointFileBytes);
  const view = new DataView(out.buffer);
  view.setBigInt64(0, BigInt(checkpoint.physicMsgTimestamp));
  view.setBigInt64(8, BigInt(checkpoint.logicsMsgTimestamp));
  view.setBigInt64(16, BigInt(checkpoint.indexMsgTimestamp));
  view.setBigInt64(24, BigInt(checkpoint.masterFlushedOffset));
  view.setBigInt64(32, BigInt(checkpoint.confirmPhyOffset));
  return out;
}

/** Recovery's lower bound: min(physic, logics) - 3 s, floored at 0 (spec §5.7). */
export function checkpointMinTimestamp(checkpoint: Checkpoint, indexSafe: boolean): number {
  let min = Math.min(checkpoint.physicMsgTimestamp, checkpoint.logicsMsgTimestamp);
  if (indexSafe) min = Math.min(min, checkpoint.indexMsgTimestamp);
  return Math.max(0, min - 3000);
}
