// Messages the broker parks under a system topic with their destination in REAL_TOPIC /
// REAL_QID (delayed copies in SCHEDULE_TOPIC_XXXX, timer copies, transaction halves) and later
// releases as a new record in the real topic and queue, with the parked copy's body, born data
// and properties string unchanged (spec §6.1, §7.3).

import { findMessageProperty, MessageConst, type HostAddress } from "../common/message.ts";
import type { StoredRecord } from "../store/commit_log_codec.ts";
import type { MessageInput, MessageStore } from "../store/message_store.ts";

/** The message a parked record becomes when released; undefined if it names no destination. */
export function releasedMessage(
  parked: StoredRecord,
  storeHost: HostAddress,
): MessageInput | undefined {
  const topic = findMessageProperty(parked.properties, MessageConst.PROPERTY_REAL_TOPIC);
  const queueId = Number(
    findMessageProperty(parked.properties, MessageConst.PROPERTY_REAL_QUEUE_ID),
  );
  if (!topic || !Number.isInteger(queueId) || queueId < 0) return undefined;
  return {
    topic,
    queueId,
    flag: parked.flag,
    sysFlag: parked.sysFlag,
    bornTimestamp: parked.bornTimestamp,
    bornHost: parked.bornHost,
    storeHost,
    reconsumeTimes: parked.reconsumeTimes,
    preparedTransactionOffset: parked.preparedTransactionOffset,
    body: parked.body,
    properties: parked.properties,
  };
}

/**
 * Whether a parked record was already released: its copy (same UNIQ_KEY, same properties
 * string, stored after it in the real topic) is in the index. Used after a crash, when the
 * cursor that says so may not have reached disk.
 */
export function alreadyReleased(store: MessageStore, parked: StoredRecord): boolean {
  const props = parked.properties;
  const uniqKey = findMessageProperty(props, MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
  const topic = findMessageProperty(props, MessageConst.PROPERTY_REAL_TOPIC);
  if (!uniqKey || !topic) return false;
  return store
    .queryMessage(topic, uniqKey, 64, parked.storeTimestamp, Number.MAX_SAFE_INTEGER)
    .some(
      (copy) =>
        copy.topic === topic &&
        copy.physicalOffset > parked.physicalOffset &&
        copy.properties === props,
    );
}
