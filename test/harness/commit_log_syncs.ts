// Real files whose handles (the commit log's unless a test picks others) sync the way a test
// says: counted, or held until released. Other files pass through untouched.

import { RealFileIO, type FileHandle, type FileIO } from "../../core/store/index.ts";

/** Which files' syncs a test takes over: by default the commit log's. */
type Picked = (path: string) => boolean;
const commitLogFiles: Picked = (path) => path.includes("commitlog");

/** A FileIO whose picked files' handles take `sync` and `syncAsync` from `syncs(handle)`. */
export function commitLogSyncsIO(
  syncs: (real: FileHandle) => Pick<FileHandle, "sync" | "syncAsync">,
  picked: Picked = commitLogFiles,
): FileIO {
  const real = new RealFileIO();
  return Object.assign(Object.create(real), {
    open(path: string, options: { create: boolean; readOnly?: boolean }): FileHandle {
      const handle = real.open(path, options);
      if (!picked(path)) return handle;
      const wrapped: FileHandle = {
        path,
        read: handle.read.bind(handle),
        write: handle.write.bind(handle),
        truncate: handle.truncate.bind(handle),
        sizeBytes: handle.sizeBytes.bind(handle),
        close: handle.close.bind(handle),
        ...syncs(handle),
      };
      return wrapped;
    },
  });
}

/** Counts commit log fdatasyncs (sync and async) into `counter.count`. */
export function countingIO(counter: { count: number }): FileIO {
  return commitLogSyncsIO((handle) => ({
    sync() {
      counter.count++;
      handle.sync();
    },
    syncAsync() {
      counter.count++;
      return handle.syncAsync();
    },
  }));
}

/**
 * syncAsync of the picked files (the commit log's by default) waits for releaseOldest();
 * `events` records "sync N" as each starts, `waiting()` counts those not yet released.
 */
export function gatedSyncIO(events: string[], picked: Picked = commitLogFiles) {
  const pending: (() => void)[] = [];
  let startedCount = 0;
  const io = commitLogSyncsIO(
    (handle) => ({
      sync: () => handle.sync(),
      async syncAsync() {
        events.push(`sync ${++startedCount}`);
        await new Promise<void>((resolve) => pending.push(resolve));
        handle.sync();
      },
    }),
    picked,
  );
  return { io, releaseOldest: () => pending.shift()?.(), waiting: () => pending.length };
}
