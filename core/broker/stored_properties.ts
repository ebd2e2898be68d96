// The properties string a plain send is stored with, as RocketMQ 4.9.7 writes it.

import { javaHashMapCapacity, javaHashMapOrder } from "../common/java_hash_map_order.ts";
import { MessageConst } from "../common/message.ts";

/**
 * The stored properties: as sent (already parsed), minus WAIT, plus CLUSTER, in the order
 * RocketMQ 4.9.7's HashMap leaves them (see java_hash_map_order.ts), no trailing separator.
 */
export function storedProperties(sent: ReadonlyMap<string, string>, clusterName: string): string {
  // 4.9.7 puts CLUSTER into the map of every sent key before it removes WAIT: the map's
  // capacity follows that largest size.
  const largest = sent.size + (sent.has("CLUSTER") ? 0 : 1);
  const keys: string[] = [];
  for (const name of sent.keys()) {
    if (name !== MessageConst.PROPERTY_WAIT_STORE_MSG_OK) keys.push(name);
  }
  if (!sent.has("CLUSTER")) keys.push("CLUSTER");
  let out = "";
  for (const name of javaHashMapOrder(keys, javaHashMapCapacity(largest))) {
    const value = name === "CLUSTER" ? clusterName : sent.get(name)!;
    out += (out === "" ? "" : "\u0002") + name + "\u0001" + value;
  }
  return out;
}
