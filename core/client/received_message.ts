// Messages as a consumer sees them (spec §4.6): stored records from a pull or query body,
// decoded one after another, bodies inflated when compressed, ids derived as the Java client
// does (msgId = UNIQ_KEY when present, offsetMsgId = store host + physical offset).

import { inflateSync } from "node:zlib";
import { crc32Masked } from "../common/checksum.ts";
import { ProtocolError } from "../common/errors.ts";
import {
  createOffsetMessageId,
  findMessageProperty,
  formatHost,
  MessageConst,
  parseMessageProperties,
  type HostAddress,
} from "../common/message.ts";
import { decodeRecord, type StoredRecord } from "../common/record_codec.ts";
import { readInt32 } from "../common/int32.ts";

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
  return new StoredMessage(record);
}

/**
 * A message decoded from a stored record. The properties map, the offset id, the keys and the
 * msgId are made when first asked for: a consumer decodes every message it is handed, and most
 * handlers read few of them (the map alone costs a dozen strings, a fifth of the decode). Tags
 * are read at once (the consumer filters by them). All come from the properties text directly,
 * as dispatch reads them.
 */
class StoredMessage implements ReceivedMessage {
  topic: string;
  readonly queueId: number;
  readonly queueOffset: number;
  readonly commitLogOffset: number;
  readonly tags: string | undefined;
  readonly body: Uint8Array;
  readonly bornTimestamp: number;
  readonly storeTimestamp: number;
  readonly bornHost: string;
  readonly storeHost: string;
  readonly reconsumeTimes: number;
  readonly sysFlag: number;
  readonly #propertiesText: string;
  readonly #storeAddress: HostAddress;
  #properties: Map<string, string> | undefined;
  #offsetMsgId: string | undefined;
  #msgId: string | undefined;
  #keys: string[] | undefined;

  constructor(record: StoredRecord) {
    const text = record.properties;
    this.topic = record.topic;
    this.queueId = record.queueId;
    this.queueOffset = record.queueOffset;
    this.commitLogOffset = record.physicalOffset;
    // The last of a repeated name, as the properties map (and RocketMQ's client) would give.
    this.tags = findMessageProperty(text, MessageConst.PROPERTY_TAGS, true);
    this.body = bodyOf(record);
    this.bornTimestamp = record.bornTimestamp;
    this.storeTimestamp = record.storeTimestamp;
    this.bornHost = formatHost(record.bornHost);
    this.storeHost = formatHost(record.storeHost);
    this.reconsumeTimes = record.reconsumeTimes;
    this.sysFlag = record.sysFlag;
    this.#propertiesText = text;
    this.#storeAddress = record.storeHost;
  }

  get msgId(): string {
    return (this.#msgId ??=
      findMessageProperty(
        this.#propertiesText,
        MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
        true,
      ) ?? this.offsetMsgId);
  }

  get keys(): string[] {
    if (this.#keys === undefined) {
      const text = findMessageProperty(this.#propertiesText, MessageConst.PROPERTY_KEYS, true);
      this.#keys = text ? text.split(MessageConst.KEY_SEPARATOR).filter(Boolean) : [];
    }
    return this.#keys;
  }

  get offsetMsgId(): string {
    return (this.#offsetMsgId ??= createOffsetMessageId(this.#storeAddress, this.commitLogOffset));
  }

  get properties(): Map<string, string> {
    return (this.#properties ??= parseMessageProperties(this.#propertiesText));
  }
}

/** The body as the application sees it: a copy (not a view of the pull), inflated if need be. */
function bodyOf(record: StoredRecord): Uint8Array {
  const body = record.body.slice();
  if ((record.sysFlag & COMPRESSED_FLAG) === 0) return body;
  try {
    return new Uint8Array(inflateSync(body));
  } catch {
    // Left compressed: the caller sees the stored bytes (sysFlag tells them why).
    return body;
  }
}

/** A pull's messages; `endedEarly` when a record that would not decode ended the batch. */
export interface PulledMessages {
  messages: ReceivedMessage[];
  endedEarly: boolean;
}

/**
 * Decodes a pull's body for a consumer, which must keep moving past bad stored bytes rather than
 * stop its queue on them (a record read back again on every pull would stop it for good). As
 * RocketMQ's client (MessageDecoder.decodes), a record whose body fails its CRC is delivered as
 * stored. A record that cannot be decoded at all is skipped by its TOTALSIZE when the next
 * record decodes there; else it ends the batch, and the consumer pulls again from just past the
 * last message it got (the Java client drops the rest of the batch instead). `warn` is told of
 * each, with where it is stored.
 */
export function decodePulledMessages(
  body: Uint8Array,
  warn: (text: string) => void,
): PulledMessages {
  const messages: ReceivedMessage[] = [];
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let pos = 0;
  while (pos < body.length) {
    const result = decodeRecord(body, pos, decodeOptions, view);
    if (result.kind === "record") {
      const { record } = result;
      if (crc32Masked(record.body) !== record.bodyCrc) {
        warn(
          `${describeStored(record)}: body CRC mismatch (its stored bytes are damaged), passed on`,
        );
      }
      messages.push(toReceived(record));
      pos += record.totalSize;
      continue;
    }
    const why = result.kind === "corrupt" ? result.reason : result.kind;
    const totalSize = pos + 4 <= body.length ? readInt32(body, pos) : 0;
    const next = pos + totalSize;
    const skippable =
      totalSize > 0 &&
      next < body.length &&
      decodeRecord(body, next, decodeOptions, view).kind === "record";
    if (!skippable) {
      warn(`the record after ${messages.length} messages does not decode (${why}): passed over`);
      return { messages, endedEarly: true };
    }
    warn(`the record after ${messages.length} messages does not decode (${why}): skipped`);
    pos = next;
  }
  return { messages, endedEarly: false };
}

/**
 * Why a pulled message is not of the pull (another queue, or an offset outside [requested,
 * next)), or undefined when it is. A damaged consume queue unit can point at another record;
 * such a message is neither handed over nor allowed to move the consumer's offset.
 */
export function strayFromPull(
  m: ReceivedMessage,
  queue: { topic: string; queueId: number },
  requested: number,
  next: number,
): string | undefined {
  const ofQueue = m.topic === queue.topic && m.queueId === queue.queueId;
  if (ofQueue && m.queueOffset >= requested && m.queueOffset < Math.max(next, requested + 1)) {
    return undefined;
  }
  return (
    `passed over ${m.topic} queue ${m.queueId} offset ${m.queueOffset} (commit log offset ` +
    `${m.commitLogOffset}): not of this pull from ${requested}`
  );
}

const decodeOptions = { checkCrc: false, basePosition: 0 };

/**
 * A pull's messages for a consumer of `queue` that asked from `requested` and was told `next`:
 * decodePulledMessages, less the strays (strayFromPull), each with a warning.
 */
export function messagesOfPull(
  body: Uint8Array,
  queue: { topic: string; queueId: number },
  requested: number,
  next: number,
  warn: (text: string) => void,
): PulledMessages {
  const pulled = decodePulledMessages(body, warn);
  // In place (a consumer decodes a pull per message at low rates): strays are rare.
  const { messages } = pulled;
  let kept = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const stray = strayFromPull(m, queue, requested, next);
    if (stray === undefined) messages[kept++] = m;
    else warn(stray);
  }
  messages.length = kept;
  return pulled;
}

function describeStored(record: StoredRecord): string {
  return (
    `${record.topic} queue ${record.queueId} offset ${record.queueOffset} ` +
    `(commit log offset ${record.physicalOffset})`
  );
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
