// The message model every layer shares (spec §4): the properties string, sysFlag bits, the
// offset message id, and the well-known property keys. Pure functions; the store uses them to
// dispatch, the protocol and clients to build and read messages.

import { BoundedMemo } from "./bounded_memo.ts";
import { assert } from "./assert.ts";
import { writeHexDigits } from "./hex_digits.ts";
import { SmallMap } from "./small_map.ts";

const NAME_VALUE_SEPARATOR = "\u0001";
const PROPERTY_SEPARATOR = "\u0002";

/** Property keys as RocketMQ spells them (MessageConst). */
export const MessageConst = {
  PROPERTY_KEYS: "KEYS",
  PROPERTY_TAGS: "TAGS",
  PROPERTY_WAIT_STORE_MSG_OK: "WAIT",
  PROPERTY_DELAY_TIME_LEVEL: "DELAY",
  PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX: "UNIQ_KEY",
  PROPERTY_TRANSACTION_PREPARED: "TRAN_MSG",
  PROPERTY_PRODUCER_GROUP: "PGROUP",
  PROPERTY_RETRY_TOPIC: "RETRY_TOPIC",
  PROPERTY_REAL_TOPIC: "REAL_TOPIC",
  PROPERTY_REAL_QUEUE_ID: "REAL_QID",
  PROPERTY_ORIGIN_MESSAGE_ID: "ORIGIN_MESSAGE_ID",
  PROPERTY_CORRELATION_ID: "CORRELATION_ID",
  PROPERTY_MESSAGE_REPLY_TO_CLIENT: "REPLY_TO_CLIENT",
  PROPERTY_PUSH_REPLY_TIME: "PUSH_REPLY_TIME",
  KEY_SEPARATOR: " ",
} as const;

/** A consumer group's retry and dead-letter topics are these prefixes and the group (MixAll). */
export const RETRY_GROUP_TOPIC_PREFIX = "%RETRY%";
export const DLQ_GROUP_TOPIC_PREFIX = "%DLQ%";

/** sysFlag bits (spec §4.4). */
export const MessageSysFlag = {
  COMPRESSED_FLAG: 0x1,
  MULTI_TAGS_FLAG: 0x2,
  TRANSACTION_NOT_TYPE: 0x0,
  TRANSACTION_PREPARED_TYPE: 0x4,
  TRANSACTION_COMMIT_TYPE: 0x8,
  TRANSACTION_ROLLBACK_TYPE: 0xc,
  BORNHOST_V6_FLAG: 0x10,
  STOREHOSTADDRESS_V6_FLAG: 0x20,
  NEED_UNWRAP_FLAG: 0x40,
  INNER_BATCH_FLAG: 0x80,
  COMPRESSION_TYPE_MASK: 0x700,
} as const;

export function transactionType(sysFlag: number): number {
  return sysFlag & MessageSysFlag.TRANSACTION_ROLLBACK_TYPE;
}

/**
 * Whether a record with this sysFlag is visible to consumers: a plain message or a committed
 * transaction (not a half or a rollback), so it takes a queue offset and a consume-queue unit.
 */
export function takesQueueOffset(sysFlag: number): boolean {
  const type = transactionType(sysFlag);
  return (
    type === MessageSysFlag.TRANSACTION_NOT_TYPE || type === MessageSysFlag.TRANSACTION_COMMIT_TYPE
  );
}

/** name\u0001value\u0002 for each pair with a value, in the map's order. */
export function formatMessageProperties(properties: ReadonlyMap<string, string>): string {
  let out = "";
  for (const [name, value] of properties) {
    out += name + NAME_VALUE_SEPARATOR + value + PROPERTY_SEPARATOR;
  }
  return out;
}

/**
 * Parses a properties string as RocketMQ does: split on \u0002, each segment at its first
 * \u0001; segments with an empty name or value are ignored; a missing final \u0002 is fine.
 */
export function parseMessageProperties(text: string): Map<string, string> {
  const out = new SmallMap();
  // Segment by segment with indexOf: no array of segments, and only names and values built.
  for (let start = 0; start < text.length;) {
    let end = text.indexOf(PROPERTY_SEPARATOR, start);
    if (end < 0) end = text.length;
    const cut = text.indexOf(NAME_VALUE_SEPARATOR, start);
    if (cut > start && cut < end - 1) {
      out.set(sliceCommon(text, start, cut), sliceCommon(text, cut + 1, end));
    }
    start = end + 1;
  }
  return out;
}

/**
 * Names (and the WAIT value) nearly every message carries, returned as these strings rather
 * than sliced anew: a broker parses every sent message's properties, and most of what that
 * made were copies of "TAGS", "UNIQ_KEY", "WAIT" and "true". By length, for the lookup.
 */
const commonTextsByLength: string[][] = [];
for (const common of [
  ...Object.values(MessageConst).filter((name) => name !== MessageConst.KEY_SEPARATOR),
  "CLUSTER",
  "true",
  "false",
]) {
  (commonTextsByLength[common.length] ??= []).push(common);
}

/** text[from, to): a common string when it is one, a new slice otherwise. */
function sliceCommon(text: string, from: number, to: number): string {
  const candidates = commonTextsByLength[to - from];
  if (candidates !== undefined) {
    for (const candidate of candidates) if (text.startsWith(candidate, from)) return candidate;
  }
  return text.slice(from, to);
}

const propertyNeedles = new Map<string, string>();

/**
 * One property's value from a properties string without building a map (the hot paths); the
 * rules of parseMessageProperties, empty values do not count. A name given twice: the first
 * wins (dispatch's rule), or the last with `last` (parseMessageProperties' map, and RocketMQ's).
 */
export function findMessageProperty(text: string, name: string, last = false): string | undefined {
  // The few names dispatch asks for, with their separator: no string built per lookup.
  let needle = propertyNeedles.get(name);
  if (needle === undefined) {
    needle = name + NAME_VALUE_SEPARATOR;
    if (propertyNeedles.size < 64) propertyNeedles.set(name, needle);
  }
  let from = 0;
  let found: string | undefined;
  for (;;) {
    const at = text.indexOf(needle, from);
    if (at < 0) return found;
    if (at === 0 || text.charCodeAt(at - 1) === 2) {
      const start = at + needle.length;
      let end = text.indexOf(PROPERTY_SEPARATOR, start);
      if (end < 0) end = text.length;
      if (end > start) {
        found = text.slice(start, end);
        if (!last) return found;
      }
    }
    from = at + 1;
  }
}

export interface HostAddress {
  /** 4 bytes (IPv4) or 16 bytes (IPv6). */
  ip: Uint8Array;
  port: number;
}

export function formatHost(host: HostAddress): string {
  if (host.ip.length === 4) return formatIpv4Host(host.ip, host.port);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((host.ip[i]! << 8) | host.ip[i + 1]!).toString(16));
  return `[${groups.join(":")}]:${host.port}`;
}

// Consumers format two hosts per message, mostly the same few: IPv4 ones are kept, keyed by
// address and port as one number (ip * 65536 + port).
const ipv4Hosts = new BoundedMemo(4096, (key: number) => {
  const ip = Math.floor(key / 65536);
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}:${key % 65536}`;
});

/** An IPv4 host as one number (ip * 65536 + port); undefined for a port outside 16 bits. */
function ipv4HostKey(ip: Uint8Array, port: number): number | undefined {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) return undefined;
  const address = ((ip[0]! << 24) | (ip[1]! << 16) | (ip[2]! << 8) | ip[3]!) >>> 0;
  return address * 65536 + port;
}

function formatIpv4Host(ip: Uint8Array, port: number): string {
  const key = ipv4HostKey(ip, port);
  // A corrupt record's port is printed as it is, not kept.
  return key === undefined ? `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}:${port}` : ipv4Hosts.get(key);
}

/** Offset message id: store IP + port (int) + physical offset (long), upper-case hex (§4.3). */
export function createOffsetMessageId(storeHost: HostAddress, physicalOffset: number): string {
  assert(Number.isSafeInteger(physicalOffset) && physicalOffset >= 0, "offset is a safe integer");
  // Spelled into a scratch buffer and made one string: joining the hex pieces with + made
  // eight strings for every message a broker stores.
  const at = idScratch.write(hostPrefix(storeHost), 0, "latin1");
  writeHexDigits(idScratch, at, Math.floor(physicalOffset / 0x1_0000_0000), 8);
  writeHexDigits(idScratch, at + 8, physicalOffset >>> 0, 8);
  return idScratch.toString("latin1", 0, at + 16);
}

/** An IPv6 store host's id is the longest: (16 + 4 + 8) bytes as hex. */
const idScratch = Buffer.alloc((16 + 4 + 8) * 2);

const hostPrefixes = new WeakMap<HostAddress, string>();

// A consumer decodes a fresh address object for every message, so the per-object cache above
// never hits there: IPv4 prefixes are also kept by address and port as one number.
const ipv4HostPrefixes = new BoundedMemo(4096, (key: number) => {
  const address = Math.floor(key / 65536);
  const ip = Uint8Array.of(
    address >>> 24,
    (address >>> 16) & 0xff,
    (address >>> 8) & 0xff,
    address,
  );
  return spellHost(ip, key % 65536);
});

/** The host part of an offset id (IP + port as hex), cached per address. */
function hostPrefix(host: HostAddress): string {
  const { ip, port } = host;
  const key = ip.length === 4 ? ipv4HostKey(ip, port) : undefined;
  if (key !== undefined) return ipv4HostPrefixes.get(key);
  let prefix = hostPrefixes.get(host);
  if (prefix === undefined) {
    prefix = spellHost(ip, port);
    hostPrefixes.set(host, prefix);
  }
  return prefix;
}

/** IP bytes then the port as an int32, upper-case hex (made once per host: see the caches). */
function spellHost(ip: Uint8Array, port: number): string {
  const bytes = new Uint8Array(ip.length + 4);
  bytes.set(ip, 0);
  new DataView(bytes.buffer).setInt32(ip.length, port);
  return Buffer.from(bytes).toString("hex").toUpperCase();
}

/** Decodes an offset message id; undefined if it is not one (wrong length or not hex). */
export function decodeOffsetMessageId(
  id: string,
): { storeHost: HostAddress; physicalOffset: number } | undefined {
  if (!/^[0-9A-Fa-f]+$/.test(id) || (id.length !== 32 && id.length !== 56)) return undefined;
  const bytes = Uint8Array.from(Buffer.from(id, "hex"));
  const ipLength = id.length === 32 ? 4 : 16;
  const view = new DataView(bytes.buffer);
  const offset = view.getBigInt64(ipLength + 4);
  if (offset < 0n || offset > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return {
    storeHost: { ip: bytes.slice(0, ipLength), port: view.getInt32(ipLength) },
    physicalOffset: Number(offset),
  };
}
