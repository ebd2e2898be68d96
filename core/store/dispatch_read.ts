// Dispatch's record reader: the eight fields a consume-queue unit and the index need, read in
// place from a window of the commit log into one reused object. decodeRecord builds the whole
// record (body and host views, a copy of each IP, a reader and a result object), about a dozen
// allocations a record; dispatch reads every record once on a slave and in recovery, and keeps
// none of it. Anything that is not a well-formed record is left to decodeRecord, which says
// what it is (blank marker, end of data, or why it is corrupt).

import { getInt64 } from "../common/int64.ts";
import { MessageSysFlag } from "../common/message.ts";
import {
  MESSAGE_MAGIC_CODE_V1,
  MESSAGE_MAGIC_CODE_V2,
  recordOverheadBytesV1,
} from "../common/record_codec.ts";
import { asciiOrUtf8 } from "../common/short_ascii.ts";
import type { DispatchSource } from "./dispatch.ts";

/** Host field sizes: IPv4 4 + port 4, IPv6 16 + port 4. */
const hostV4Bytes = 8;
const hostV6Bytes = 20;

/** A DispatchSource whose fields readDispatchSource overwrites for every record. */
export function dispatchScratch(): DispatchSource {
  return {
    topic: "",
    queueId: 0,
    queueOffset: 0,
    position: 0,
    totalSize: 0,
    storeTimestamp: 0,
    sysFlag: 0,
    properties: "",
  };
}

/**
 * Reads the record at `pos` of `bytes` (`view` spans the same bytes) into `out` and returns
 * true, or returns false without a word on why: the bytes are not a whole, well-formed record
 * and the caller asks decodeRecord. `basePosition`: where bytes[0] sits in the commit log.
 */
export function readDispatchSource(
  bytes: Uint8Array,
  view: DataView,
  pos: number,
  basePosition: number,
  out: DispatchSource,
): boolean {
  const available = bytes.length - pos;
  if (available < recordOverheadBytesV1) return false;
  const totalSize = view.getInt32(pos);
  const magic = view.getInt32(pos + 4);
  const v2 = magic === MESSAGE_MAGIC_CODE_V2;
  if (!v2 && magic !== MESSAGE_MAGIC_CODE_V1) return false;
  if (totalSize < recordOverheadBytesV1 || totalSize > available) return false;
  const end = pos + totalSize;
  const sysFlag = view.getInt32(pos + 36);
  const bornHostBytes = sysFlag & MessageSysFlag.BORNHOST_V6_FLAG ? hostV6Bytes : hostV4Bytes;
  const storeTimestampAt = pos + 48 + bornHostBytes;
  const storeHostBytes =
    sysFlag & MessageSysFlag.STOREHOSTADDRESS_V6_FLAG ? hostV6Bytes : hostV4Bytes;
  const bodyLengthAt = storeTimestampAt + 8 + storeHostBytes + 4 + 8;
  if (bodyLengthAt + 4 > end) return false;
  const bodyLength = view.getInt32(bodyLengthAt);
  if (bodyLength < 0) return false;
  const topicLengthAt = bodyLengthAt + 4 + bodyLength;
  if (topicLengthAt + (v2 ? 2 : 1) > end) return false;
  const topicLength = v2 ? view.getUint16(topicLengthAt) : view.getUint8(topicLengthAt);
  const topicAt = topicLengthAt + (v2 ? 2 : 1);
  const propertiesLengthAt = topicAt + topicLength;
  if (propertiesLengthAt + 2 > end) return false;
  const propertiesLength = view.getInt16(propertiesLengthAt);
  const propertiesAt = propertiesLengthAt + 2;
  if (propertiesLength < 0 || propertiesAt + propertiesLength !== end) return false;
  // decodeRecord refuses any 64-bit field beyond 2^53; these two are the ones dispatch keeps.
  const queueOffset = getInt64(view, pos + 20);
  const storeTimestamp = getInt64(view, storeTimestampAt);
  if (queueOffset === undefined || storeTimestamp === undefined) return false;
  if (
    getInt64(view, pos + 28) === undefined ||
    getInt64(view, pos + 40) === undefined ||
    getInt64(view, bodyLengthAt - 8) === undefined
  ) {
    return false;
  }
  out.topic = asciiOrUtf8(bytes, topicAt, propertiesLengthAt);
  out.queueId = view.getInt32(pos + 12);
  out.queueOffset = queueOffset;
  out.position = basePosition + pos;
  out.totalSize = totalSize;
  out.storeTimestamp = storeTimestamp;
  out.sysFlag = sysFlag;
  out.properties = propertiesLength === 0 ? "" : asciiOrUtf8(bytes, propertiesAt, end);
  return true;
}
