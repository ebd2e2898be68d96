// RMQ_LOOP_LAG_WARN_MS=<ms>: a server logs a warning whenever its event loop ran that much
// late (a 100 ms timer measuring its own delay). For finding stalls in soak and chaos runs;
// off unless set.

import type { Logger } from "../core/common/index.ts";

const tickMs = 100;

export function watchLoopLag(log: Logger): void {
  const warnMs = Number(process.env.RMQ_LOOP_LAG_WARN_MS ?? "");
  if (!Number.isFinite(warnMs) || warnMs <= 0) return;
  let expected = performance.now() + tickMs;
  const timer = setInterval(() => {
    const now = performance.now();
    const lateMs = now - expected;
    if (lateMs >= warnMs) log.warn(`event loop ran ${Math.round(lateMs)} ms late`);
    expected = now + tickMs;
  }, tickMs);
  timer.unref();
}
