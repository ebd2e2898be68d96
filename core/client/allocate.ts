// Queue allocation in a clustering group (spec §8.3): every member computes the same split from
// the same sorted lists, so no coordinator is needed.

import type { MessageQueue } from "./route_cache.ts";

/** Average allocation (RocketMQ's AllocateMessageQueueAveragely). */
export function allocateAveragely(
  queues: MessageQueue[],
  clientIds: string[],
  me: string,
): MessageQueue[] {
  const index = clientIds.indexOf(me);
  if (index < 0 || queues.length === 0) return [];
  const mod = queues.length % clientIds.length;
  const size =
    queues.length <= clientIds.length
      ? 1
      : mod > 0 && index < mod
        ? Math.floor(queues.length / clientIds.length) + 1
        : Math.floor(queues.length / clientIds.length);
  const start = mod > 0 && index < mod ? index * size : index * size + mod;
  const range = Math.min(size, queues.length - start);
  return range > 0 ? queues.slice(start, start + range) : [];
}
