// Idempotent consume: wraps a push-consumer handler so that a message RocketMQ delivers again
// (at-least-once: after a consumer died before committing its offset, after a rebalance, after
// a retry) is not handled twice. The handled keys live in a DedupStore (dedup_store.ts).
//
// Rules, in the order a delivery meets them:
//   1. No key (keyOf gives undefined or ""): nothing to de-duplicate by; the handler just runs.
//   2. Key handled within the store's TTL: skipped, the handler is not called, the delivery
//      counts as consumed.
//   3. Another delivery of the same key is running now (two queues carry the same message, or a
//      retry overlaps the first attempt): this one waits for it to finish, then looks again. If
//      the first succeeded the key is recorded and this one is skipped (rule 2); if it failed,
//      this one runs the handler itself, so a failure on one path never loses the message on the
//      other. Waiting rather than skipping at once matters because the first attempt's retry may
//      never come back to this client (its queue may move to another member).
//   4. Otherwise the handler runs; the key is recorded ONLY after it returns without throwing. A
//      throw leaves it unrecorded and is passed on, so the consumer's retry runs it again.
// The in-flight table is per store, shared by every handler wrapping that store, so two
// consumers of one group in one process also see each other's running deliveries. The check in
// rule 2, the look-up in rule 3 and the registration in rule 4 run with no await between them,
// so no other delivery can slip in. There is still a window RocketMQ cannot close: a process
// killed after the handler's side effects but before add() returns will run the message again.
//
// Use one store per consumer group: a key handled by group A says nothing about group B.

import type { DedupStore } from "./dedup_store.ts";
import type { ReceivedMessage } from "./received_message.ts";

/** The de-duplication key of a message; undefined (or "") when it has none. */
export type KeyOf = (message: ReceivedMessage) => string | undefined;

export type MessageHandler = (message: ReceivedMessage) => Promise<void> | void;

export interface IdempotentHooks {
  /** Called for each delivery skipped as already handled (for metrics or a debug log). */
  onSkip?: (message: ReceivedMessage, key: string) => void;
}

/** RocketMQ's msgId: the producer's UNIQ_KEY, kept across retries and send-backs. */
export const keyOfMsgId: KeyOf = (message) => message.msgId;

/**
 * A business key from a user property (e.g. "orderId"), for producers that may send the same
 * business event twice with different UNIQ_KEYs (a producer retry after a lost SEND_OK).
 */
export function keyOfProperty(name: string): KeyOf {
  return (message) => message.properties.get(name);
}

/** The message KEYS as one business key (all of them, space-joined, as the producer set them). */
export const keyOfKeys: KeyOf = (message) =>
  message.keys.length > 0 ? message.keys.join(" ") : undefined;

/** Deliveries running now, per store: key -> settles (never rejects) when that one finishes. */
const inFlightByStore = new WeakMap<DedupStore, Map<string, Promise<void>>>();

function inFlightOf(store: DedupStore): Map<string, Promise<void>> {
  let inFlight = inFlightByStore.get(store);
  if (!inFlight) {
    inFlight = new Map();
    inFlightByStore.set(store, inFlight);
  }
  return inFlight;
}

/** Wraps `handler` so each key is handled once per TTL; see the rules at the top of the file. */
export function idempotentHandler(
  store: DedupStore,
  handler: MessageHandler,
  keyOf: KeyOf = keyOfMsgId,
  hooks: IdempotentHooks = {},
): (message: ReceivedMessage) => Promise<void> {
  const inFlight = inFlightOf(store);
  return async (message) => {
    const key = keyOf(message);
    if (key === undefined || key === "") return handler(message);
    for (;;) {
      if (store.has(key)) {
        hooks.onSkip?.(message, key);
        return;
      }
      const running = inFlight.get(key);
      if (running === undefined) break;
      await running;
    }
    const done = Promise.withResolvers<void>();
    inFlight.set(key, done.promise);
    try {
      await handler(message);
      // A store closed while this handler ran (its owner stopped early): leave the key
      // unrecorded, which at worst lets the message run once more, rather than throw and turn
      // a success into a retry.
      if (!store.isClosed) store.add(key);
    } finally {
      inFlight.delete(key);
      done.resolve();
    }
  };
}
