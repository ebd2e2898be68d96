// Messages as a consumer sees them (spec §4.6): stored records from a pull or query body,
// decoded one after another, bodies inflated when compressed, ids derived as the Java client
// does (msgId = UNIQ_KEY when present, offsetMsgId = store host + physical offset).

import { inflateSync } from "node:zlib";
import { ProtocolError } from "../common/errors.ts";
import {
  createOffsetMessageId,
  formatHost,
  MessageConst,
  parseMessageProperties,
} from "../common/message.ts";
import { decodeRecord, type StoredRecord } from "../common/record_codec.ts";

export interface ReceivedMessage {
  topic: string;
  queueId: number;
  queueOffset: number;
  commitLogOffset: number;
  msgId: string;
  offsetMsgId: string;
  tags: string | undefined;
  keys: string[];
  properties: Map<string, string>;
  body: Uint8Array;
  bornTimestamp: number;
  storeTimestamp: number;
  bornHost: string;
  storeHost: string;
  reconsumeTimes: number;
  sysFlag: number;
}

const COMPRESSED_FLAG = 0x1;

export function toReceived(record: StoredRecord): ReceivedMessage {
  const properties = parseMessageProperties(record.properties);
  const offsetMsgId = createOffsetMessageId(record.storeHost, record.physicalOffset);
  const keysText = properties.get(MessageConst.PROPERTY_KEYS);
  let body = record.body.slice();
  if ((record.sysFlag & COMPRESSED_FLAG) !== 0) {
    try {
      body = new Uint8Array(inflateSync(body));
    } catch {
      // Left compressed: the caller sees the stored bytes (sysFlag tells them why).
    }
  }
  return {
    topic: record.topic,
    queueId: record.queueId,
    queueOffset: record.queueOffset,
    commitLogOffset: record.physicalOffset,
    msgId: properties.get(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX) ?? offsetMsgId,
    offsetMsgId,
    tags: properties.get(MessageConst.PROPERTY_TAGS),
    keys: keysText ? keysText.split(MessageConst.KEY_SEPARATOR).filter(Boolean) : [],
    properties,
    body,
    bornTimestamp: record.bornTimestamp,
    storeTimestamp: record.storeTimestamp,
    bornHost: formatHost(record.bornHost),
    storeHost: formatHost(record.storeHost),
    reconsumeTimes: record.reconsumeTimes,
    sysFlag: record.sysFlag,
  };
}

/** Decodes a body of back-to-back stored records; bad bytes are a ProtocolError. */
export function decodeMessages(body: Uint8Array): ReceivedMessage[] {
  const out: ReceivedMessage[] = [];
  let pos = 0;
  while (pos < body.length) {
    const result = decodeRecord(body, pos, { checkCrc: true, basePosition: 0 });
    if (result.kind !== "record") {
      const why = result.kind === "corrupt" ? result.reason : result.kind;
      throw new ProtocolError(`message body: not a record at ${pos} (${why})`);
    }
    out.push(toReceived(result.record));
    pos += result.record.totalSize;
  }
  return out;
}
