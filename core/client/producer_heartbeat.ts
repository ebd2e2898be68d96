// A producer group's heartbeat to every master of the cluster, at start and every 30 s, so a
// broker knows which connection to call back on: a transaction's check-back, a request-reply's
// pushed reply. Masters are taken from the name servers' cluster info at each beat.

import type { Clock, TimerHandle } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import { createRequest } from "../protocol/command.ts";
import { encodeHeartbeat } from "../protocol/heartbeat.ts";
import { RequestCode } from "../protocol/request_code.ts";
import type { RemotingClient } from "../remoting/client.ts";
import { Admin } from "./admin.ts";

const heartbeatIntervalMs = 30_000;

export interface ProducerHeartbeatOptions {
  group: string;
  namesrvAddrs: string[];
  clock: Clock;
  log: Logger;
}

export class ProducerHeartbeat {
  private timer: TimerHandle | null = null;
  /** Its own name server client, for the cluster's masters. */
  private readonly admin: Admin;
  private readonly group: string;
  private readonly clock: Clock;
  private readonly log: Logger;

  /** `remoting`: the producer's connections, on which the brokers are to call back. */
  constructor(
    private readonly remoting: RemotingClient,
    private readonly clientId: string,
    options: ProducerHeartbeatOptions,
  ) {
    this.admin = Admin.connect(options.namesrvAddrs, options.clock, options.log);
    this.group = options.group;
    this.clock = options.clock;
    this.log = options.log;
  }

  /** Beats now (resolved once every master answered or failed), then every 30 s. */
  async start(): Promise<void> {
    await this.beat();
    this.timer = this.clock.every(heartbeatIntervalMs, () => void this.beat());
  }

  stop(): void {
    this.timer?.cancel();
    this.admin.close();
  }

  private async beat(): Promise<void> {
    let addrs: string[] = [];
    try {
      const cluster = await this.admin.cluster();
      addrs = [...cluster.brokerAddrTable.values()]
        .map((b) => b.brokerAddrs.get(0))
        .filter((a): a is string => !!a);
    } catch (error) {
      this.log.warn(`no cluster info for heartbeats: ${(error as Error).message}`);
    }
    const body = encodeHeartbeat({
      clientID: this.clientId,
      producerDataSet: [{ groupName: this.group }],
      consumerDataSet: [],
    });
    for (const addr of addrs) {
      await this.remoting
        .invoke(addr, createRequest(RequestCode.HEART_BEAT, { body }))
        .catch((error: Error) => this.log.warn(`heartbeat to ${addr}: ${error.message}`));
    }
  }
}
