// Consume queue unit (spec §5.5): 20 bytes per message of one topic queue; logical offset k is
// at byte k*20 of the queue's concatenated files.
//
// | offset | size | field                                                    |
// |--------|------|----------------------------------------------------------|
// | 0      | 8    | commit log physical offset                               |
// | 8      | 4    | record size                                              |
// | 12     | 8    | tagsCode (tag hash; delivery time for SCHEDULE_TOPIC_XXXX) |

import { assert } from "../common/assert.ts";
import { readInt32 } from "../common/int32.ts";
import { readInt64, setInt64 } from "../common/int64.ts";

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
  // Read by hand: a pull decodes a unit per message, and a view would be an allocation each.
  const physical = readInt64(bytes, pos);
  const size = readInt32(bytes, pos + 8);
  const tags = readInt64(bytes, pos + 12);
  // RocketMQ's recovery accepts units with offset >= 0 and size > 0 and stops at the first other.
  if (physical === undefined || physical < 0 || size <= 0 || tags === undefined) return undefined;
  return { physicalOffset: physical, size, tagsCode: tags };
}

/** `outView`, when given, is a DataView over the whole of `out` (reused across units). */
export function encodeUnit(
  out: Uint8Array,
  pos: number,
  unit: ConsumeQueueUnit,
  outView?: DataView,
): void {
  assert(unit.size > 0 && unit.physicalOffset >= 0, "a unit points at a real record");
  const view = outView ?? new DataView(out.buffer, out.byteOffset, out.byteLength);
  setInt64(view, pos, unit.physicalOffset);
  view.setInt32(pos + 8, unit.size);
  setInt64(view, pos + 12, unit.tagsCode);
}
