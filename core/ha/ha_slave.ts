// The slave side of classic HA (spec §9.1): connects to the master's HA port, reports its
// commit log max offset (at connect, every heartbeat interval, after each applied frame) and
// appends the master's bytes at the same offsets, so both logs stay byte-identical and its own
// dispatch builds queues and index. A frame that does not continue the log, or a master silent
// past the housekeeping interval, drops the connection; it reconnects.

import type { Clock } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import type { MessageStore } from "../store/message_store.ts";
import { encodeSlaveReport, TransferDecoder } from "./ha_codec.ts";
import { HaLink } from "./ha_link.ts";

export interface HaSlaveOptions {
  store: MessageStore;
  clock: Clock;
  log: Logger;
  /** host:port of the master's HA port, when known (config or the name server's answer). */
  masterAddress: () => string | undefined;
  reportIntervalMs: number;
  housekeepingIntervalMs: number;
}

export class HaSlave {
  private decoder = new TransferDecoder();
  private readonly link: HaLink;

  constructor(private readonly options: HaSlaveOptions) {
    this.link = new HaLink(options, {
      connecting: () => (this.decoder = new TransferDecoder()),
      opened: () => {
        this.options.log.info(`replicating from master ${this.link.connectedTo}`);
        this.report();
      },
      received: (chunk) => this.received(chunk),
      tick: (sinceWriteMs) => {
        if (sinceWriteMs >= this.options.reportIntervalMs) this.report();
      },
      closed: () => {},
    });
  }

  start(): void {
    this.link.start();
  }

  stop(): void {
    this.link.stop();
  }

  isConnected(): boolean {
    return this.link.isOpen();
  }

  private report(): void {
    if (!this.link.isOpen()) return;
    this.link.write(encodeSlaveReport(this.options.store.commitLog.writePosition));
  }

  private received(chunk: Uint8Array): void {
    let advanced = false;
    try {
      for (const frame of this.decoder.push(chunk)) {
        if (frame.data.length === 0) continue; // a heartbeat
        if (!this.options.store.appendReplicated(frame.offset, frame.data)) {
          const end = this.options.store.commitLog.writePosition;
          this.link.drop(`master sent offset ${frame.offset}, this log ends at ${end}`);
          return;
        }
        advanced = true;
      }
    } catch (error) {
      this.link.drop(`bad HA stream or store failure: ${error}`);
      return;
    }
    if (advanced) this.report();
  }
}
