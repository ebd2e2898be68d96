// Cutting a running store back to a record boundary (spec §9.3: a replica that rejoins after a
// failover keeps only what it shares with the new master). Everything derived from the cut
// bytes goes with them: consume-queue units past the cut, index entries of records past it
// (rolled back entry by entry, so the cost is the tail, not the store), and the dispatch
// position. The order matches recovery's: the commit log first, then what was derived from
// it, all flushed before the caller reports the new end to anyone.

import { assert } from "../common/assert.ts";
import type { MessageStore } from "./message_store.ts";

export function truncateStoreTo(store: MessageStore, endOffset: number): void {
  const log = store.commitLog;
  assert(Number.isSafeInteger(endOffset) && endOffset >= 0, "a cut is at a byte offset");
  assert(endOffset <= log.writePosition, "a cut never extends the log");
  const files = log.files;
  if (!files.isEmpty()) files.truncateAt(endOffset, true);
  log.writePosition = endOffset;
  log.recent.truncate(endOffset);
  log.flushedPosition = Math.min(log.flushedPosition, endOffset);
  for (const queue of store.queues.all()) queue.truncateByPhysical(endOffset);
  store.index?.truncateTo(endOffset);
  // Units and keys below the cut are all still there: dispatch resumes at the cut.
  store.dispatcher.reputOffset = Math.max(
    Math.min(store.dispatcher.reputOffset, endOffset),
    files.minOffset(),
  );
  store.dispatcher.run();
  store.queues.flush();
  store.index?.flush();
  assert(store.dispatcher.reputOffset <= endOffset, "dispatch stays within the cut log");
}
