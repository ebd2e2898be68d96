// Store outcomes as values (STYLE rule 6), named as RocketMQ's PutMessageStatus and
// GetMessageStatus so the broker maps each to its response code in one place.

export const PutMessageStatus = {
  PUT_OK: "PUT_OK",
  FLUSH_DISK_TIMEOUT: "FLUSH_DISK_TIMEOUT",
  FLUSH_SLAVE_TIMEOUT: "FLUSH_SLAVE_TIMEOUT",
  SLAVE_NOT_AVAILABLE: "SLAVE_NOT_AVAILABLE",
  /** Controller mode: fewer in-sync replicas than minInSyncReplicas (nothing is stored). */
  IN_SYNC_REPLICAS_NOT_ENOUGH: "IN_SYNC_REPLICAS_NOT_ENOUGH",
  SERVICE_NOT_AVAILABLE: "SERVICE_NOT_AVAILABLE",
  CREATE_MAPPED_FILE_FAILED: "CREATE_MAPPED_FILE_FAILED",
  MESSAGE_ILLEGAL: "MESSAGE_ILLEGAL",
  PROPERTIES_SIZE_EXCEEDED: "PROPERTIES_SIZE_EXCEEDED",
  OS_PAGE_CACHE_BUSY: "OS_PAGE_CACHE_BUSY",
  UNKNOWN_ERROR: "UNKNOWN_ERROR",
} as const;
export type PutMessageStatusValue = (typeof PutMessageStatus)[keyof typeof PutMessageStatus];

/** Whether a put with this status is in the log (perhaps not yet flushed or replicated). */
export function wasStored(status: PutMessageStatusValue): boolean {
  return (
    status === PutMessageStatus.PUT_OK ||
    status === PutMessageStatus.FLUSH_DISK_TIMEOUT ||
    status === PutMessageStatus.FLUSH_SLAVE_TIMEOUT ||
    status === PutMessageStatus.SLAVE_NOT_AVAILABLE
  );
}

export const GetMessageStatus = {
  FOUND: "FOUND",
  NO_MATCHED_MESSAGE: "NO_MATCHED_MESSAGE",
  MESSAGE_WAS_REMOVING: "MESSAGE_WAS_REMOVING",
  OFFSET_FOUND_NULL: "OFFSET_FOUND_NULL",
  OFFSET_OVERFLOW_BADLY: "OFFSET_OVERFLOW_BADLY",
  OFFSET_OVERFLOW_ONE: "OFFSET_OVERFLOW_ONE",
  OFFSET_TOO_SMALL: "OFFSET_TOO_SMALL",
  NO_MATCHED_LOGIC_QUEUE: "NO_MATCHED_LOGIC_QUEUE",
  NO_MESSAGE_IN_QUEUE: "NO_MESSAGE_IN_QUEUE",
} as const;
export type GetMessageStatusValue = (typeof GetMessageStatus)[keyof typeof GetMessageStatus];
