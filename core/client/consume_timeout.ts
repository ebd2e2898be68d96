// A message handler's promise, given up on after a time: RocketMQ's client treats messages
// consumed for longer than consumeTimeout as failed, so they are sent back and come again.

import type { Clock, TimerHandle } from "../common/clock.ts";

/**
 * Settles as `returned` does, or rejects once `timeoutMs` has passed. The handler itself cannot
 * be stopped: what it does after that no longer decides anything.
 */
export async function withinTimeout(
  returned: PromiseLike<void>,
  timeoutMs: number,
  clock: Clock,
): Promise<void> {
  const running = Promise.resolve(returned);
  let timer: TimerHandle | null = null;
  const expired = new Promise<never>((_, reject) => {
    timer = clock.after(timeoutMs, () =>
      reject(new Error(`not consumed within ${timeoutMs} ms (consumeTimeout)`)),
    );
  });
  running.catch(() => undefined); // its outcome after a timeout is not waited for
  try {
    await Promise.race([running, expired]);
  } finally {
    (timer as TimerHandle | null)?.cancel();
  }
}
