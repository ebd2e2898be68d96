// What a send waits for on a SYNC_MASTER (spec §9.2, 4.x rules): with WAIT=true, a slave must
// be connected and no further behind than haSlaveFallbehindMax (else SLAVE_NOT_AVAILABLE, the
// message stays stored), then its ack must reach the record's end within slaveTimeout (else
// FLUSH_SLAVE_TIMEOUT). ASYNC_MASTER and slaves never wait.

import type { StoreConfig } from "../config/store_config.ts";
import type { HaMaster } from "../ha/ha_master.ts";
import { PutMessageStatus, type PutMessageStatusValue } from "../store/status.ts";

export class Replication {
  constructor(
    private readonly role: string,
    private readonly master: HaMaster | null,
    private readonly config: Pick<StoreConfig, "haSlaveFallbehindMax" | "slaveTimeout">,
    private readonly writePosition: () => number,
  ) {}

  /** Whether a send with this WAIT flag waits for a slave here (callers skip the await if not). */
  waits(wait: boolean): boolean {
    return this.role === "SYNC_MASTER" && wait && this.master !== null;
  }

  /** The store status a send that ends at `endOffset` reports, after waiting if it must. */
  async await(endOffset: number, wait: boolean): Promise<PutMessageStatusValue> {
    if (!this.waits(wait) || !this.master) return PutMessageStatus.PUT_OK;
    const ack = this.master.ackOffset();
    if (
      this.master.connectionCount() === 0 ||
      ack < 0 ||
      this.writePosition() - ack > this.config.haSlaveFallbehindMax
    ) {
      return PutMessageStatus.SLAVE_NOT_AVAILABLE;
    }
    const acked = await this.master.waitForAck(endOffset, this.config.slaveTimeout);
    return acked ? PutMessageStatus.PUT_OK : PutMessageStatus.FLUSH_SLAVE_TIMEOUT;
  }
}
