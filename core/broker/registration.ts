// Registration with every name server (spec §2.2 broker side): at start, every
// registerNameServerPeriod, and soon after any topic change (coalesced); UNREGISTER_BROKER at a
// clean stop. Each name server is independent: one that is down does not delay the others.
// A broker that may not be written or read (brokerPermission) registers every topic with that
// permission instead of the topic's, as RocketMQ does, so clients route around it: that is how
// an operator drains a broker (mqadmin updateBrokerConfig -k brokerPermission -v 4).

import type { Clock, TimerHandle } from "../common/clock.ts";
import { crc32Masked } from "../common/checksum.ts";
import type { Logger } from "../common/log.ts";
import type { BrokerConfig } from "../config/broker_config.ts";
import { createRequest } from "../protocol/command.ts";
import { encodeRegisterBrokerBodyJson } from "../protocol/register_broker_body.ts";
import { RequestCode } from "../protocol/request_code.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import { Perm, type TopicConfig } from "../protocol/topic_config.ts";
import type { RemotingClient } from "../remoting/client.ts";
import type { TopicManager } from "./topics.ts";

export class Registration {
  private timer: TimerHandle | null = null;
  private pending: TimerHandle | null = null;

  constructor(
    private readonly config: BrokerConfig,
    private readonly namesrvAddrs: string[],
    private readonly client: RemotingClient,
    private readonly topics: TopicManager,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly brokerAddr: () => string,
    private readonly haServerAddr: () => string,
    /** 0 for a master, the replica's own id for a slave; changes on a failover. */
    private readonly brokerId: () => number,
  ) {}

  /** The group's master and its HA address, from the last answer that named them. */
  masterAddr: string | undefined = undefined;
  masterHaAddr: string | undefined = undefined;

  async start(): Promise<void> {
    this.topics.onChange(() => this.registerSoon());
    await this.registerAll();
    const period = Math.min(Math.max(this.config.registerNameServerPeriod, 10_000), 60_000);
    this.timer = this.clock.every(period, () => void this.registerAll());
  }

  isNamesrv(address: string): boolean {
    return this.namesrvAddrs.includes(address);
  }

  /** Coalesces bursts of topic changes into one registration. */
  registerSoon(): void {
    this.pending ??= this.clock.after(0, () => {
      this.pending = null;
      void this.registerAll();
    });
  }

  async registerAll(): Promise<void> {
    const body = encodeRegisterBrokerBodyJson({
      dataVersion: this.topics.dataVersion,
      topicConfigTable: this.registeredTopics(),
      filterServerList: [],
    });
    const request = createRequest(RequestCode.REGISTER_BROKER, {
      extFields: {
        brokerId: this.brokerId(),
        bodyCrc32: crc32Masked(body),
        clusterName: this.config.brokerClusterName,
        brokerAddr: this.brokerAddr(),
        haServerAddr: this.haServerAddr(),
        compressed: false,
        brokerName: this.config.brokerName,
      },
      body,
    });
    await Promise.all(
      this.namesrvAddrs.map(async (addr) => {
        try {
          const answer = await this.client.invoke(
            addr,
            request,
            this.config.registerBrokerTimeoutMills,
          );
          if (answer.code === ResponseCode.SUCCESS) {
            // A slave learns its master here (REGISTER_BROKER's answer names it).
            const masterAddr = answer.extFields?.get("masterAddr");
            const haServerAddr = answer.extFields?.get("haServerAddr");
            if (masterAddr) this.masterAddr = masterAddr;
            if (haServerAddr) this.masterHaAddr = haServerAddr;
          }
          if (answer.code !== ResponseCode.SUCCESS) {
            this.log.warn(
              `name server ${addr} refused registration: ${answer.code} ${answer.remark}`,
            );
          }
        } catch (error) {
          this.log.warn(`could not register with name server ${addr}: ${(error as Error).message}`);
        }
      }),
    );
  }

  /** The topics as registered: each with brokerPermission when that is not read and write. */
  private registeredTopics(): Map<string, TopicConfig> {
    const perm = this.config.brokerPermission;
    const readWrite = Perm.READ | Perm.WRITE;
    if ((perm & readWrite) === readWrite) return this.topics.all();
    const table = new Map<string, TopicConfig>();
    for (const [name, config] of this.topics.all()) table.set(name, { ...config, perm });
    return table;
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    this.pending?.cancel();
    const request = createRequest(RequestCode.UNREGISTER_BROKER, {
      extFields: {
        brokerId: this.brokerId(),
        clusterName: this.config.brokerClusterName,
        brokerAddr: this.brokerAddr(),
        brokerName: this.config.brokerName,
      },
    });
    await Promise.all(
      this.namesrvAddrs.map((addr) =>
        this.client.invoke(addr, request, 3_000).catch(() => undefined),
      ),
    );
  }
}
