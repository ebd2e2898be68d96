// Consume queue unit (spec §5.5): 20 bytes per message of one topic queue; logical offset k is
// at byte k*20 of the queue's concatenated files.
//
// | offset | size | field                                                    |
// |--------|------|----------------------------------------------------------|
// | 0      | 8    | commit log physical offset                               |
// | 8      | 4    | record size                                              |
// | 12     | 8    | tagsCode (tag hash; delivery time for SCHEDULE_TOPIC_XXXX) |

import { assert } from "../common/assert.ts";

export const CQ_STORE_UNIT_SIZE = 20;
assert(CQ_STORE_UNIT_SIZE === 8 + 4 + 8, "a consume queue unit is 20 bytes");

export interface ConsumeQueueUnit {
  physicalOffset: number;
  size: number;
  tagsCode: number;
}

/** Reads the unit at `pos`; undefined for a unit that was never written or is invalid. */
export function decodeUnit(bytes: Uint8Array, pos: number): ConsumeQueueUnit | undefined {
  if (pos + CQ_STORE_UNIT_SIZE > bytes.length) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset + pos, CQ_STORE_UNIT_SIZE);
  const physical = view.getBigInt64(0);
  const size = view.getInt32(8);
  const tags = view.getBigInt64(12);
  // RocketMQ's recovery accepts units with offset >= 0 and size > 0 and stops at the first other.
  if (physical < 0n || size <= 0 || physical > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  if (tags > BigInt(Number.MAX_SAFE_INTEGER) || tags < BigInt(Number.MIN_SAFE_INTEGER))
    return undefined;
  return { physicalOffset: Number(physical), size, tagsCode: Number(tags) };
}

export function encodeUnit(out: Uint8Array, pos: number, unit: ConsumeQueueUnit): void {
  assert(unit.size > 0 && unit.physicalOffset >= 0, "a unit points at a real record");
  const view = new DataView(out.buffer, out.byteOffset + pos, CQ_STORE_UNIT_SIZE);
  view.setBigInt64(0, BigInt(unit.physicalOffset));
  view.setInt32(8, unit.size);
  view.setBigInt64(12, BigInt(unit.tagsCode));
}
