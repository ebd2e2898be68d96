// The properties string a plain send is stored with, as RocketMQ 4.9.7 writes it.
//
// Every stored message needs one. Working out the HashMap order and joining name, separator and
// value with + made about a dozen strings and arrays per message; a producer sends the same few
// names message after message, so the order and the text around each value are worked out once
// per list of names, and the string is joined in one step from a scratch array.

import { BoundedMemo } from "../common/bounded_memo.ts";
import { javaHashMapCapacity, javaHashMapOrder } from "../common/java_hash_map_order.ts";
import { MessageConst } from "../common/message.ts";

const CLUSTER = "CLUSTER";
/** Joins sent names into a layout's key; a parsed name never holds it (it separates values). */
const NAME_JOINER = "\u0001";

/** How one list of sent names is stored: names in HashMap order, the text before each value. */
interface StoredLayout {
  readonly names: readonly string[];
  /** "NAME\u0001" for the first name, "\u0002NAME\u0001" for each one after it. */
  readonly heads: readonly string[];
}

const layouts = new BoundedMemo(1024, (namesKey: string) =>
  layoutOf(namesKey === "" ? [] : namesKey.split(NAME_JOINER)),
);

function layoutOf(sentNames: readonly string[]): StoredLayout {
  // 4.9.7 puts CLUSTER into the map of every sent key before it removes WAIT: the map's
  // capacity follows that largest size.
  const hasCluster = sentNames.includes(CLUSTER);
  const capacity = javaHashMapCapacity(sentNames.length + (hasCluster ? 0 : 1));
  const kept = sentNames.filter((name) => name !== MessageConst.PROPERTY_WAIT_STORE_MSG_OK);
  if (!hasCluster) kept.push(CLUSTER);
  const names = javaHashMapOrder(kept, capacity);
  const heads = names.map((name, i) => (i === 0 ? "" : "\u0002") + name + "\u0001");
  return { names, heads };
}

/** Names, then the stored string's pieces; emptied after each use. */
const scratch: string[] = [];

function pushName(_value: string, name: string): void {
  scratch.push(name);
}

/**
 * The stored properties: as sent (already parsed), minus WAIT, plus CLUSTER, in the order
 * RocketMQ 4.9.7's HashMap leaves them (see java_hash_map_order.ts), no trailing separator.
 */
export function storedProperties(sent: ReadonlyMap<string, string>, clusterName: string): string {
  // forEach with a module-level callback: iterating keys() makes an iterator (and a copy).
  sent.forEach(pushName);
  const layout = layouts.get(scratch.join(NAME_JOINER));
  scratch.length = 0;
  for (let i = 0; i < layout.names.length; i++) {
    const name = layout.names[i]!;
    scratch.push(layout.heads[i]!, name === CLUSTER ? clusterName : sent.get(name)!);
  }
  const stored = scratch.join("");
  scratch.length = 0;
  return stored;
}
