// Keeps one metadata file that changes all the time on disk: consumerOffset.json (every offset
// commit), delayOffset.json and timerProgress.json (every delivery). A timer persists it with
// the fsyncs off the event loop: done in place, the three fsyncs of a crash-safe replace took
// 2.4-18.7 ms of the thread that reads and answers every request (consumerOffset.json on this
// machine's disk, idle and under a 10k msgs/s load), once per flush interval. A stop persists
// synchronously (also when nothing changed since a tick whose write is still under way), so
// the file is current when the process ends.
//
// At most one background persist runs at a time; a tick that finds one still running leaves the
// changes for the next tick. A synchronous persist may run while one is in flight: it bumps the
// generation, and the older one gives up before renaming (persistConfigFileAsync).

import type { Logger } from "../common/log.ts";
import type { FileIO } from "../store/file_io.ts";
import { persistConfigFile, persistConfigFileAsync } from "./config_file_persist.ts";
import type { ConfigFileCodec } from "./config_files.ts";

export class ConfigFileWriter<T> {
  private dirty = false;
  private generation = 0;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly io: FileIO,
    readonly path: string,
    private readonly codec: ConfigFileCodec<T>,
    private readonly log: Logger,
  ) {}

  /** The in-memory value changed since it was last written. */
  changed(): void {
    this.dirty = true;
  }

  /**
   * Writes `value` now if it changed or a background write is still under way (a stop, a
   * test); the fsyncs block. The file is current when this returns: a background write in
   * flight may never finish (the process exits, or a new owner loads the file next).
   */
  persist(value: T): void {
    if (!this.dirty && !this.inFlight) return;
    this.generation++;
    this.dirty = false;
    try {
      persistConfigFile(this.io, this.path, this.codec, value);
    } catch (error) {
      this.dirty = true;
      this.log.error(`could not persist ${this.codec.fileName}: ${error}`);
    }
  }

  /** Starts writing `value` if it changed and no write is running (a timer's tick). */
  persistInBackground(value: T): void {
    if (!this.dirty || this.inFlight) return;
    const generation = ++this.generation;
    this.dirty = false;
    const superseded = () => this.generation !== generation;
    this.inFlight = persistConfigFileAsync(this.io, this.path, this.codec, value, superseded)
      .then(
        () => {},
        (error) => {
          if (superseded()) return; // a newer write took over: this one's outcome is moot
          this.dirty = true;
          this.log.error(`could not persist ${this.codec.fileName}: ${error}`);
        },
      )
      .finally(() => (this.inFlight = null));
  }

  /** Resolves when no background write is running (for tests: stops write synchronously). */
  idle(): Promise<void> {
    return this.inFlight ?? Promise.resolve();
  }
}
