// What only a master does (spec §6.1, §6 timers, §7.4): deliver delayed and timer messages and
// check back on transactions. A slave has the same data (replicated) but leaves these to its
// master, or two brokers would deliver one delayed message twice.

import type { BrokerContext } from "./context.ts";
import type { FileIO } from "../store/file_io.ts";
import type { DispatchedRecord } from "../store/dispatch.ts";
import { SCHEDULE_TOPIC_XXXX, TIMER_TOPIC } from "../store/dispatch.ts";
import type { ClientManager } from "./clients.ts";
import type { ConsumerOffsetManager } from "./offsets.ts";
import { ScheduleService } from "./schedule_service.ts";
import { TimerService } from "./timer_service.ts";
import type { TopicManager } from "./topics.ts";
import { TransactionCheckService } from "./transaction_check.ts";

export class MasterDuties {
  private readonly schedule: ScheduleService;
  private readonly timer: TimerService | null;
  private readonly transactionCheck: TransactionCheckService;

  constructor(
    ctx: BrokerContext,
    io: FileIO,
    parts: { offsets: ConsumerOffsetManager; clients: ClientManager; topics: TopicManager },
  ) {
    const { config, clock, log, store } = ctx;
    const storeHost = () => ctx.storeHost;
    const common = { store, clock, io, storeRoot: config.storePathRootDir, storeHost };
    this.schedule = new ScheduleService({
      ...common,
      levels: ctx.delayLevels,
      log: log.child("schedule"),
      flushIntervalMs: config.flushDelayOffsetInterval,
    });
    this.timer = config.timerWheelEnable
      ? new TimerService({
          ...common,
          log: log.child("timer"),
          flushIntervalMs: config.flushDelayOffsetInterval,
        })
      : null;
    this.transactionCheck = new TransactionCheckService({
      store,
      clock,
      storeHost,
      log: log.child("transaction"),
      ...parts,
      checkIntervalMs: config.transactionCheckInterval,
      timeoutMs: config.transactionTimeOut,
      checkMax: config.transactionCheckMax,
      resolveHalf: (queueId, offset) => ctx.opRecords.resolve(queueId, offset),
    });
  }

  /** The schedule service's cursors as delayOffset.json text. */
  delayOffsetsJson(): string {
    return this.schedule.offsetsJson();
  }

  start(): void {
    this.schedule.start();
    this.timer?.start();
    this.transactionCheck.start();
  }

  stop(): void {
    this.transactionCheck.stop();
    this.schedule.stop();
    this.timer?.stop();
  }

  /** Dispatch saw a record: a delayed or timer unit wakes its service. */
  onDispatch(r: DispatchedRecord): void {
    if (r.topic === SCHEDULE_TOPIC_XXXX) this.schedule.onScheduled(r.queueId, r.tagsCode);
    else if (r.topic === TIMER_TOPIC) {
      this.timer?.onTimerUnit(r.queueOffset, r.physicalOffset, r.tagsCode);
    }
  }
}
