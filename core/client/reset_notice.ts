// A broker's RESET_CONSUMER_CLIENT_OFFSET, read for the push consumer: the new offset of each
// queue of the notice's topic, by the consumer's queue key.

import type { RemotingCommand } from "../protocol/command.ts";
import { decodeResetOffsetBody } from "../protocol/reset_offset_body.ts";
import { queueKey } from "./consumer_offsets.ts";

/** Queue key -> offset, or why the notice is not for `group` or cannot be read. */
export function resetNoticeOf(
  request: RemotingCommand,
  group: string,
): Map<string, number> | string {
  const noticeGroup = request.extFields?.get("group");
  const topic = request.extFields?.get("topic");
  if (noticeGroup !== group) return `it is for group ${noticeGroup}, not ${group}`;
  let entries;
  try {
    entries = decodeResetOffsetBody(new TextDecoder().decode(request.body ?? new Uint8Array()));
  } catch (error) {
    return (error as Error).message;
  }
  const offsets = new Map<string, number>();
  for (const { queue, offset } of entries) {
    if (queue.topic === topic) offsets.set(queueKey(queue), offset);
  }
  return offsets;
}
