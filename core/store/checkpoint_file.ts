// The checkpoint file on disk: read at start (missing means all zero), rewritten whole and
// fsync'd after flushes. Written last, after the files whose progress it records (see
// docs/ordering in message_store.ts).

import type { FileIO } from "./file_io.ts";
import {
  checkpointFileBytes,
  decodeCheckpoint,
  emptyCheckpoint,
  encodeCheckpoint,
  type Checkpoint,
} from "./checkpoint_codec.ts";

export class CheckpointFile {
  value: Checkpoint = emptyCheckpoint();

  constructor(
    private readonly io: FileIO,
    private readonly path: string,
  ) {}

  load(): Checkpoint {
    if (this.io.exists(this.path) && this.io.sizeBytes(this.path) >= 40) {
      const handle = this.io.open(this.path, { create: false, readOnly: true });
      try {
        this.value = decodeCheckpoint(handle.read(0, checkpointFileBytes));
      } finally {
        handle.close();
      }
    }
    return this.value;
  }

  async writeAsync(): Promise<void> {
    const handle = this.io.open(this.path, { create: true });
    try {
      handle.write(encodeCheckpoint(this.value), 0);
      await handle.syncAsync();
    } finally {
      handle.close();
    }
  }

  write(): void {
    const handle = this.io.open(this.path, { create: true });
    try {
      handle.write(encodeCheckpoint(this.value), 0);
      handle.sync();
    } finally {
      handle.close();
    }
  }
}
