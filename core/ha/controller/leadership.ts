// Which controller is active. One controller (the default) always is. Replicated controllers
// share an etcd key held under a lease: the one that creates it leads while it keeps the lease
// alive; the others watch the key and try again when it is gone. A leader that cannot renew
// in time steps down before its lease can expire on etcd's side, so two never act at once
// (and the state's compare-and-swap refuses a stale leader's write anyway).

import type { Clock, TimerHandle } from "../../common/clock.ts";
import type { Logger } from "../../common/log.ts";
import type { EtcdClient } from "./etcd_client.ts";

export interface Leadership {
  isLeader(): boolean;
  /** The active controller's address, when known. */
  leaderAddress(): string | null;
  start(onChange: (leading: boolean) => void): void;
  stop(): Promise<void>;
}

export class SoleLeadership implements Leadership {
  constructor(private readonly self: () => string) {}
  isLeader(): boolean {
    return true;
  }
  leaderAddress(): string {
    return this.self();
  }
  start(onChange: (leading: boolean) => void): void {
    onChange(true);
  }
  async stop(): Promise<void> {}
}

export class EtcdLeadership implements Leadership {
  private leading = false;
  private lease: string | null = null;
  private renewedMs = 0;
  private leader: string | null = null;
  private timer: TimerHandle | null = null;
  private busy = false;
  private onChange: (leading: boolean) => void = () => {};

  constructor(
    private readonly etcd: EtcdClient,
    private readonly key: string,
    private readonly self: () => string,
    private readonly leaseTtlMs: number,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  isLeader(): boolean {
    return this.leading;
  }

  leaderAddress(): string | null {
    return this.leading ? this.self() : this.leader;
  }

  start(onChange: (leading: boolean) => void): void {
    this.onChange = onChange;
    void this.tick();
    this.timer = this.clock.every(Math.max(100, Math.floor(this.leaseTtlMs / 4)), () => {
      void this.tick();
    });
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    if (this.lease) await this.etcd.revoke(this.lease); // the others need not wait it out
    this.set(false);
  }

  private set(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.log.warn(
      leading ? `this controller is now active (${this.self()})` : "this controller stepped down",
    );
    this.onChange(leading);
  }

  private async tick(): Promise<void> {
    // Every tick, even while a call hangs: renewals that keep failing (or never return) give
    // up well before etcd could hand the key to another controller.
    const sinceMs = this.clock.nowMs() - this.renewedMs;
    if (this.leading && sinceMs > (this.leaseTtlMs * 2) / 3) {
      this.log.warn(`lease not renewed for ${sinceMs} ms`);
      this.lease = null;
      this.set(false);
    }
    if (this.busy) return;
    this.busy = true;
    try {
      if (this.leading) await this.renew();
      else await this.campaign();
    } catch (error) {
      this.log.debug(`etcd: ${(error as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  private async renew(): Promise<void> {
    const lease = this.lease;
    const sentAtMs = this.clock.nowMs(); // the lease runs from when etcd was asked
    if (lease && (await this.etcd.keepAlive(lease))) {
      if (this.lease === lease) this.renewedMs = Math.max(this.renewedMs, sentAtMs);
      return;
    }
    this.lease = null;
    this.set(false);
  }

  private async campaign(): Promise<void> {
    const current = await this.etcd.get(this.key);
    if (current) {
      this.leader = current.value;
      return;
    }
    const lease = await this.etcd.grantLease(this.leaseTtlMs);
    const startedMs = this.clock.nowMs();
    const put = await this.etcd.putIfRevision(this.key, this.self(), 0, lease);
    if (!put.written) {
      await this.etcd.revoke(lease);
      return;
    }
    this.lease = lease;
    this.renewedMs = startedMs;
    this.set(true);
  }
}
