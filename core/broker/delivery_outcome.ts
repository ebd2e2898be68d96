// What a broker-side re-store (a due delayed or timer message) learns from the store's answer:
// stored (also with a flush or slave status: the bytes are in the log, do not store it again),
// refused for good (the message itself is illegal: retrying cannot help), or worth a retry
// (the store is not writable now).

import type { PutResult } from "../store/message_store.ts";
import { PutMessageStatus } from "../store/status.ts";

export type DeliveryOutcome = "stored" | "refused" | "retry";

export function deliveryOutcome(result: PutResult): DeliveryOutcome {
  if (result.appended.length > 0) return "stored";
  if (
    result.status === PutMessageStatus.MESSAGE_ILLEGAL ||
    result.status === PutMessageStatus.PROPERTIES_SIZE_EXCEEDED
  ) {
    return "refused";
  }
  return "retry";
}
