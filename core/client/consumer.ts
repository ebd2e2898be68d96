// The push consumer, clustering mode (spec §3.1, §3.3-3.5, §8.3): heartbeats with its
// subscription, rebalances queues among the group's members (average allocation over sorted
// ids, every 20 s and when the broker says the group changed), pulls each owned queue with
// long polling, hands messages to the handler in queue order, and commits offsets every 5 s,
// on pulls, and at stop.

import type { TimerHandle } from "../common/clock.ts";
import { javaStringHashCode } from "../common/checksum.ts";
import { Prng } from "../common/prng.ts";
import {
  createRequest,
  createResponse,
  SerializeType,
  type RemotingCommand,
} from "../protocol/command.ts";
import { encodeHeartbeat } from "../protocol/heartbeat.ts";
import { encodePullMessageRequest, PullSysFlag } from "../protocol/headers/pull.ts";
import { RequestCode } from "../protocol/request_code.ts";
import { ResponseCode } from "../protocol/response_code.ts";
import { RemotingClient } from "../remoting/client.ts";
import { ProcessorTable } from "../remoting/processor_table.ts";
import { buildClientId, instanceSeed } from "./message_id.ts";
import { MessageConst, RETRY_GROUP_TOPIC_PREFIX } from "../common/message.ts";
import { messagesOfPull, type PulledMessages, type ReceivedMessage } from "./received_message.ts";
import { allocateAveragely } from "./allocate.ts";
import { groupMembers, type GroupMembersQuery } from "./group_members.ts";
import { resetNoticeOf } from "./reset_notice.ts";
import { withinTimeout } from "./consume_timeout.ts";
import { consumeDirectly } from "./consume_directly.ts";
import { sendMessageBack, sentBackTo } from "./send_back.ts";
import { consumerProperties, runningInfoAnswer, type RunningInfo } from "./running_info.ts";
import {
  consumeFromWhereOf,
  expressionTypeOf,
  subscriptionsOf,
  type ConsumerOptions,
  type Subscription,
} from "./consumer_options.ts";
import { ConsumerOffsets, queueKey } from "./consumer_offsets.ts";
import { LocalOffsetStore } from "./local_offset_store.ts";
import { lockKey, QueueLockClient } from "./queue_lock_client.ts";
import { RouteCache, type MessageQueue } from "./route_cache.ts";

const rebalanceIntervalMs = 20_000;
const heartbeatIntervalMs = 30_000;
const persistIntervalMs = 5_000;
const pullErrorBackoffMs = 3_000;
const noRouteRetryMs = 1_000;
/** A pull answered "retry" without moving the offset is asked again after this. */
const noProgressRetryMs = 200;
/** After a send-back, look for the retry topic's route this soon (it may have just been made). */
const retryRouteLookMs = 1_000;
const defaultMaxReconsumeTimes = 16;
/** RocketMQ's consumeTimeout: 15 minutes. */
const defaultConsumeTimeoutMs = 15 * 60_000;
/** Orderly: how soon a queue assigned here but locked elsewhere is asked for again. */
const lockRetryMs = 1_000;

interface OwnedQueue {
  queue: MessageQueue;
  /** The subscription of the queue's topic. */
  subscription: Subscription;
  /** Warns of a problem with one of its pulls (made once: a pull is per message at low rates). */
  warnOfPull: (problem: string) => void;
  offset: number;
  committed: number;
  stopped: boolean;
  /** Orderly: when the broker last confirmed this member's lock (0: not held). */
  lockedAtMs: number;
  /** Orderly: failures of the message at `offset` so far. */
  failures: number;
  /** The handler call under way, awaited before the queue is given up. */
  handling: Promise<unknown> | null;
  /** The broker id the last pull answer suggested pulling from next (0: the master). */
  pullFromBrokerId: number;
}

export class PushConsumer {
  readonly clientId: string;
  private readonly remoting: RemotingClient;
  private readonly routes: RouteCache;
  private readonly owned = new Map<string, OwnedQueue>();
  private readonly timers: TimerHandle[] = [];
  private readonly subVersion: number;
  private readonly subscriptions: Subscription[];
  private running = false;
  private startedAtMs = 0;
  private rebalancing: Promise<void> | null = null;
  private retryLookPending = false;
  private lockRetryPending = false;
  private readonly locks: QueueLockClient;
  /** Orderly clustering members lock queues; broadcast members each read every queue anyway. */
  private readonly locking: boolean;

  private readonly broadcasting: boolean;
  private readonly offsets: ConsumerOffsets;
  private readonly members: GroupMembersQuery;
  /** Offsets an offset reset gave queues this member gave up, for their restart (see reset). */
  private readonly resetTo = new Map<string, number>();

  constructor(private readonly options: ConsumerOptions) {
    this.broadcasting = options.messageModel === "BROADCASTING";
    this.locking = options.orderly === true && !this.broadcasting;
    if (this.broadcasting && !options.localOffsetPath) {
      throw new Error("a broadcasting consumer needs localOffsetPath");
    }
    const localOffsets = this.broadcasting ? new LocalOffsetStore(options.localOffsetPath!) : null;
    localOffsets?.load();
    const prng = new Prng(options.seed ?? instanceSeed(options.clock));
    this.clientId = buildClientId(prng);
    const processors = new ProcessorTable()
      .register(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, () => {
        void this.rebalance();
        return null;
      })
      .register(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, (request) => {
        this.reset(request);
        return null;
      })
      .register(RequestCode.GET_CONSUMER_RUNNING_INFO, (request) =>
        runningInfoAnswer(request, options.group, () => this.runningInfo()),
      )
      .register(RequestCode.CONSUME_MESSAGE_DIRECTLY, (request) =>
        consumeDirectly(request, options),
      );
    this.remoting = new RemotingClient({ clock: options.clock, log: options.log, processors });
    this.members = {
      remoting: this.remoting,
      group: options.group,
      clientId: this.clientId,
      heartbeat: () => this.heartbeat(),
      log: options.log,
    };
    this.routes = new RouteCache(this.remoting, options.namesrvAddrs, options.clock);
    this.offsets = new ConsumerOffsets(
      this.remoting,
      this.routes,
      options.group,
      options.consumeFrom,
      localOffsets,
      options.log,
    );
    this.locks = new QueueLockClient(
      this.remoting,
      this.routes,
      options.group,
      this.clientId,
      options.log,
    );
    this.subVersion = options.clock.nowMs();
    this.subscriptions = subscriptionsOf(options);
  }

  async start(): Promise<void> {
    await this.checkSubscription();
    this.running = true;
    this.startedAtMs = this.options.clock.nowMs();
    await this.heartbeat();
    await this.rebalance();
    const { clock } = this.options;
    this.timers.push(clock.every(heartbeatIntervalMs, () => void this.heartbeat()));
    this.timers.push(clock.every(rebalanceIntervalMs, () => void this.rebalance()));
    this.timers.push(clock.every(persistIntervalMs, () => void this.persistOffsets()));
    if (this.locking) {
      const intervalMs = this.options.lockIntervalMs ?? 20_000;
      this.timers.push(clock.every(intervalMs, () => void this.relockAll()));
    }
  }

  /** Stops handing out messages at once (offsets stay where the handler left them). */
  pause(): void {
    this.running = false;
  }

  /** Stops pulling, commits offsets, leaves the group. */
  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.timers.splice(0)) timer.cancel();
    for (const owned of this.owned.values()) owned.stopped = true;
    await Promise.all([...this.owned.values()].map((o) => o.handling));
    // A rebalance or reset under way ends first: it could heartbeat after the unregister.
    await this.rebalancing;
    await this.persistOffsets();
    if (this.locking) await this.locks.unlock([...this.owned.values()].map((o) => o.queue));
    await this.unregister();
    this.remoting.close();
  }

  /** What GET_CONSUMER_RUNNING_INFO reports (running_info.ts). */
  private runningInfo(): RunningInfo {
    const queues = [...this.owned.values()].map((o) => ({
      queue: o.queue,
      commitOffset: o.offset, // as Java's: the offset in memory, which the next commit sends
      dropped: o.stopped,
      locked: o.lockedAtMs > 0,
      lastLockTimestampMs: o.lockedAtMs,
    }));
    const properties = consumerProperties(this.options, this.startedAtMs);
    const subscriptions = this.subscriptions.map((s) => this.subscriptionData(s));
    return { properties, subscriptions, queues };
  }

  /** Offsets this consumer would commit now, per queue. */
  positions(): Map<string, number> {
    return new Map([...this.owned].map(([k, o]) => [k, o.offset]));
  }

  private subscriptionData(subscription: Subscription) {
    const { tags } = subscription;
    return {
      topic: subscription.topic,
      subString: subscription.subString,
      tagsSet: tags,
      codeSet: tags.map(javaStringHashCode),
      subVersion: this.subVersion,
      expressionType: expressionTypeOf(subscription),
      classFilterMode: false,
    };
  }

  /** Asks each broker of the topic whether it accepts the subscription (CHECK_CLIENT_CONFIG). */
  private async checkSubscription(): Promise<void> {
    const main = this.subscriptions[0]!;
    if (main.sql === undefined) return;
    const body = new TextEncoder().encode(
      JSON.stringify({
        clientId: this.clientId,
        group: this.options.group,
        subscriptionData: this.subscriptionData(main),
      }),
    );
    for (const addr of await this.brokerAddrs().catch(() => [] as string[])) {
      const answer = await this.remoting.invoke(
        addr,
        createRequest(RequestCode.CHECK_CLIENT_CONFIG, { body }),
      );
      if (answer.code !== ResponseCode.SUCCESS) {
        throw new Error(`broker ${addr} refuses the subscription: ${answer.remark ?? answer.code}`);
      }
    }
  }

  /**
   * Every broker of the subscribed topics (the retry topic's too), masters and slaves: a
   * consumer heartbeats them all, as the Java client heartbeats every broker it knows. So a
   * slave knows the group when its master is gone, and a member waiting for its topic to be
   * created is listed by the brokers whose retry topic queues it rebalances meanwhile.
   */
  private async brokerAddrs(): Promise<string[]> {
    const addrs = new Set<string>();
    for (const subscription of this.subscriptions) {
      const found = await this.routes.get(subscription.topic, false).catch(() => undefined);
      for (const broker of found?.route.brokerDatas ?? []) {
        for (const addr of broker.brokerAddrs.values()) addrs.add(addr);
      }
    }
    return [...addrs];
  }

  private async heartbeat(): Promise<void> {
    const body = encodeHeartbeat({
      clientID: this.clientId,
      producerDataSet: [],
      consumerDataSet: [
        {
          groupName: this.options.group,
          consumeType: "CONSUME_PASSIVELY",
          messageModel: this.broadcasting ? "BROADCASTING" : "CLUSTERING",
          consumeFromWhere: consumeFromWhereOf(this.options.consumeFrom),
          subscriptionDataSet: this.subscriptions.map((sub) => this.subscriptionData(sub)),
          unitMode: false,
        },
      ],
    });
    for (const addr of await this.brokerAddrs().catch(() => [] as string[])) {
      try {
        await this.remoting.invoke(addr, createRequest(RequestCode.HEART_BEAT, { body }));
      } catch (error) {
        this.options.log.warn(`heartbeat to ${addr} failed: ${(error as Error).message}`);
      }
    }
  }

  private rebalance(): Promise<void> {
    return this.serially(() => this.rebalanceOnce(), "rebalance");
  }

  /** One change of the queues owned at a time (rebalances, resets); one asked for waits. */
  private serially(step: () => Promise<void>, what: string): Promise<void> {
    const run = async () => {
      try {
        await step();
      } catch (error) {
        this.options.log.warn(`${what} failed: ${(error as Error).message}`);
      }
    };
    this.rebalancing = (this.rebalancing ?? Promise.resolve()).then(run);
    return this.rebalancing;
  }

  /**
   * RESET_CONSUMER_CLIENT_OFFSET (mqadmin resetOffsetByTime): each queue of the topic owned here
   * stops, after the message in hand, takes the broker's offset (committed, so the next owner
   * has it too) and starts again from there, as the Java client's resetOffset does.
   */
  private reset(request: RemotingCommand): void {
    const notice = resetNoticeOf(request, this.options.group);
    if (typeof notice === "string") {
      this.options.log.warn(`offset reset ignored: ${notice}`);
      return;
    }
    void this.serially(async () => {
      for (const [key, owned] of [...this.owned]) {
        const offset = notice.get(key);
        if (offset === undefined) continue;
        owned.stopped = true;
        await owned.handling;
        this.owned.delete(key);
        this.resetTo.set(key, offset);
        if (!(await this.offsets.commit(owned.queue, offset))) {
          this.options.log.warn(`offset reset of ${key} to ${offset} not committed`);
        }
        this.options.log.info(`offset reset: ${key} from ${owned.offset} to ${offset}`);
      }
      try {
        await this.rebalanceOnce();
        // A queue given up and not taken back (no member list or route just now): look again
        // soon rather than leave it unread until the next rebalance.
        const left = [...this.resetTo.keys()].some((key) => !this.owned.has(key));
        if (left && this.running) this.later(noRouteRetryMs, () => void this.rebalance());
      } finally {
        this.resetTo.clear();
      }
    }, "offset reset");
  }

  private async rebalanceOnce(): Promise<void> {
    for (const subscription of this.subscriptions) {
      if (!this.running) return;
      await this.rebalanceTopic(subscription);
    }
  }

  private async rebalanceTopic(subscription: Subscription): Promise<void> {
    const { topic } = subscription;
    const found = await this.routes.get(topic, false, true).catch(() => undefined);
    if (!found) {
      // A topic created a moment ago reaches the name servers shortly: look again soon rather
      // than at the next 20 s rebalance. A retry topic appears with the first send-back.
      if (subscription.isRetry) return;
      this.options.log.debug(`topic ${topic} has no route yet; retrying in 1 s`);
      this.later(noRouteRetryMs, () => void this.rebalance());
      return;
    }
    const queues = RouteCache.subscribeQueues(topic, found.route);
    const ids = this.broadcasting ? [this.clientId] : await groupMembers(this.members, found.route);
    if (!ids) {
      this.options.log.warn(
        `no broker lists ${this.clientId} in group ${this.options.group}; keeping its queues`,
      );
      return;
    }
    const mine = this.broadcasting ? queues : allocateAveragely(queues, ids, this.clientId);
    const wanted = new Set(mine.map(queueKey));
    for (const [key, owned] of [...this.owned]) {
      if (owned.queue.topic !== topic || wanted.has(key)) continue;
      owned.stopped = true;
      this.options.log.debug(`rebalance: ${key} is no longer mine (at ${owned.offset})`);
      // Orderly: the next owner may start only after the message in hand is done and its
      // offset committed, so the lock goes last.
      await owned.handling;
      await this.commit(owned);
      this.owned.delete(key);
      if (this.locking) await this.locks.unlock([owned.queue]);
    }
    const fresh = mine.filter((queue) => !this.owned.has(queueKey(queue)));
    const lockedNow = this.locking ? await this.locks.lock(fresh) : null;
    for (const queue of fresh) {
      const key = queueKey(queue);
      if (lockedNow && !lockedNow.has(lockKey(queue))) {
        // Still held by the member that had it (until it lets go or its lock expires).
        this.retryLockSoon();
        continue;
      }
      const offset = this.resetTo.get(key) ?? (await this.offsets.start(queue, found.route));
      if (offset === undefined) continue;
      const owned: OwnedQueue = {
        queue,
        subscription,
        warnOfPull: (problem) => this.options.log.warn(`pull of ${key}: ${problem}`),
        offset,
        committed: offset,
        stopped: false,
        lockedAtMs: lockedNow ? this.options.clock.nowMs() : 0,
        failures: 0,
        handling: null,
        pullFromBrokerId: 0,
      };
      this.owned.set(key, owned);
      this.options.log.debug(`rebalance: ${key} is mine from ${offset}`);
      void this.pullLoop(owned);
    }
  }

  /** Orderly: a queue assigned to this member but locked by another; ask again in a second. */
  private retryLockSoon(): void {
    if (this.lockRetryPending) return;
    this.lockRetryPending = true;
    this.later(lockRetryMs, () => {
      this.lockRetryPending = false;
      void this.rebalance();
    });
  }

  /** Orderly: refreshes every held lock; a queue whose lock was refused stops being consumed. */
  private async relockAll(): Promise<void> {
    const owned = [...this.owned.values()].filter((o) => !o.stopped);
    if (owned.length === 0) return;
    const held = await this.locks.lock(owned.map((o) => o.queue));
    const nowMs = this.options.clock.nowMs();
    for (const o of owned) {
      if (held.has(lockKey(o.queue))) o.lockedAtMs = nowMs;
      else {
        this.options.log.warn(`lost the lock of ${queueKey(o.queue)}; pausing it`);
        o.lockedAtMs = 0;
      }
    }
  }

  /** Orderly: whether this member may consume the queue now (a fresh lock, refreshed if not). */
  private async holdsLock(owned: OwnedQueue): Promise<boolean> {
    if (!this.locking) return true;
    const freshMs = this.options.lockFreshMs ?? 30_000;
    if (owned.lockedAtMs > 0 && this.options.clock.nowMs() - owned.lockedAtMs < freshMs) {
      return true;
    }
    const held = await this.locks.lock([owned.queue]);
    if (!held.has(lockKey(owned.queue))) return false;
    owned.lockedAtMs = this.options.clock.nowMs();
    return true;
  }

  /** A one-shot timer cancelled by stop(), forgotten once it fires. */
  private later(ms: number, fn: () => void): void {
    const handle = this.options.clock.after(ms, () => {
      const at = this.timers.indexOf(handle);
      if (at >= 0) this.timers.splice(at, 1);
      fn();
    });
    this.timers.push(handle);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.options.clock.after(ms, resolve));
  }

  private async pullLoop(owned: OwnedQueue): Promise<void> {
    const suspendMs = this.options.suspendTimeoutMs ?? 15_000;
    while (!owned.stopped && this.running) {
      const found =
        this.routes.cached(owned.queue.topic, false) ??
        (await this.routes.get(owned.queue.topic, false).catch(() => undefined));
      // The broker's last suggestion (a slave for a consumer far behind), else the master.
      const suggested =
        found && RouteCache.brokerAddr(found.route, owned.queue.brokerName, owned.pullFromBrokerId);
      const addr = suggested ?? (found && RouteCache.anyAddr(found.route, owned.queue.brokerName));
      if (!addr) {
        await this.sleep(pullErrorBackoffMs);
        continue;
      }
      if (this.locking && !(await this.holdsLock(owned))) {
        await this.sleep(lockRetryMs);
        continue;
      }
      const { subscription } = owned;
      let sysFlag = PullSysFlag.SUSPEND | PullSysFlag.SUBSCRIPTION;
      // As the Java client, a pull carries the position in memory (everything below it is
      // handled), so the broker's offset trails by one pull: a new owner after a rebalance or a
      // broker restart starts there, not at the last periodic commit.
      const position = owned.offset;
      if (position > 0 && !this.broadcasting) sysFlag |= PullSysFlag.COMMIT_OFFSET;
      const request = createRequest(RequestCode.PULL_MESSAGE, {
        extFields: encodePullMessageRequest({
          consumerGroup: this.options.group,
          topic: owned.queue.topic,
          queueId: owned.queue.queueId,
          queueOffset: owned.offset,
          maxMsgNums: this.options.pullBatchSize ?? 32,
          sysFlag,
          commitOffset: position,
          suspendTimeoutMillis: suspendMs,
          subscription: subscription.subString,
          subVersion: this.subVersion,
          expressionType: expressionTypeOf(subscription),
          maxMsgBytes: undefined,
        }),
        // Pulls are as frequent as sends at low rates (each returns what arrived since the
        // last): the binary header costs both ends a fraction of the JSON one.
        serializeType: SerializeType.ROCKETMQ,
      });
      let answer: RemotingCommand;
      try {
        answer = await this.remoting.invoke(addr, request, suspendMs + 15_000);
      } catch (error) {
        if (owned.stopped || !this.running) return;
        this.options.log.debug(`pull from ${addr} failed: ${(error as Error).message}`);
        await this.sleep(pullErrorBackoffMs);
        continue;
      }
      if (owned.stopped) return;
      try {
        const waiting = this.handlePull(owned, answer);
        if (waiting !== undefined) await waiting;
      } catch (error) {
        // Nothing may end this loop but a stop: the queue would go unread until a rebalance.
        this.options.log.warn(`pull of ${queueKey(owned.queue)} not handled: ${error}`);
        await this.sleep(pullErrorBackoffMs);
      }
    }
  }

  /**
   * Acts on a pull's answer. Undefined when that is done in this turn (the common case: every
   * message taken by a handler that returns no promise); else a promise of the rest. A pull is
   * per message at low rates, and each async step costs it about five objects.
   */
  private handlePull(owned: OwnedQueue, answer: RemotingCommand): Promise<void> | undefined {
    const next = Number(answer.extFields?.get("nextBeginOffset") ?? owned.offset);
    const suggested = Number(answer.extFields?.get("suggestWhichBrokerId") ?? 0);
    owned.pullFromBrokerId = Number.isInteger(suggested) && suggested >= 0 ? suggested : 0;
    switch (answer.code) {
      case ResponseCode.SUCCESS: {
        const requested = owned.offset;
        const pulled = messagesOfPull(
          answer.body ?? new Uint8Array(0),
          owned.queue,
          requested,
          next,
          owned.warnOfPull,
        );
        const { messages } = pulled;
        for (let i = 0; i < messages.length; i++) {
          // Never move past a message the handler has not taken (stop or pause in between).
          if (!this.running || owned.stopped) return undefined;
          // Orderly: each message waits for a lock check (deliverWaiting).
          if (this.locking) return this.deliverWaiting(owned, pulled, i, null, requested, next);
          const consumed = this.offer(owned, messages[i]!);
          if (consumed !== true) {
            return this.deliverWaiting(owned, pulled, i, consumed, requested, next);
          }
          owned.offset = Math.max(owned.offset, messages[i]!.queueOffset + 1);
        }
        this.pullTaken(owned, pulled, requested, next);
        return undefined;
      }
      case ResponseCode.PULL_NOT_FOUND:
        return undefined;
      case ResponseCode.PULL_RETRY_IMMEDIATELY:
        // Not moved on: a slave that has not got this offset. Ask again, but not in a hot loop.
        if (next === owned.offset) return this.sleep(noProgressRetryMs);
        owned.offset = next;
        return undefined;
      case ResponseCode.PULL_OFFSET_MOVED:
        owned.offset = next;
        return undefined;
      default:
        this.options.log.warn(`pull answered ${answer.code} ${answer.remark ?? ""}`);
        return this.sleep(pullErrorBackoffMs);
    }
  }

  /**
   * handlePull's delivery from message `from` on, where something must be waited for: a lock
   * check before each message, or `fromConsumed`, the handler of message `from` still running.
   */
  private async deliverWaiting(
    owned: OwnedQueue,
    pulled: PulledMessages,
    from: number,
    fromConsumed: Promise<boolean> | null,
    requested: number,
    next: number,
  ): Promise<void> {
    const { messages } = pulled;
    for (let i = from; i < messages.length; i++) {
      let consumed = i === from ? fromConsumed : null;
      if (consumed === null) {
        if (!this.running || owned.stopped) return;
        // Pull again from here once locked (a lock held and fresh costs no await).
        if (this.locking && !(await this.holdsLock(owned))) return;
        // The lock check may have waited on the broker: the queue may be gone meanwhile.
        if (!this.running || owned.stopped) return;
        const offered = this.offer(owned, messages[i]!);
        if (offered !== true) consumed = offered;
      }
      if (consumed !== null && !(await consumed)) {
        await this.sleep(this.options.orderly ? (this.options.orderlySuspendMs ?? 1_000) : 1_000);
        return;
      }
      owned.offset = Math.max(owned.offset, messages[i]!.queueOffset + 1);
    }
    this.pullTaken(owned, pulled, requested, next);
  }

  /** A message to the handler if the subscription wants it: consume's answer, true if not. */
  private offer(owned: OwnedQueue, m: ReceivedMessage): true | Promise<boolean> {
    const { tags, isRetry } = owned.subscription;
    const wanted = tags.length === 0 || (m.tags !== undefined && tags.includes(m.tags));
    return wanted ? this.consume(owned, m, isRetry) : true;
  }

  /** Every message of a pull taken: the queue moves on to where the broker said. */
  private pullTaken(owned: OwnedQueue, pulled: PulledMessages, requested: number, next: number) {
    if (!this.running || owned.stopped) return;
    // After a record that would not decode, go on just past the last message taken (and at
    // least one past the start): that record is all that is passed over.
    owned.offset = Math.max(owned.offset, pulled.endedEarly ? requested + 1 : next);
  }

  /**
   * Hands one message to the handler. True when the queue may move past it: handled, or failed
   * and sent back to the broker for a later retry (clustering). False: offer it again here.
   * A handler that returns no promise and does not throw (most handlers of a script) is done
   * when it returns: answered at once, with no promise or timer for the message.
   */
  private consume(owned: OwnedQueue, m: ReceivedMessage, fromRetry: boolean) {
    const storedCommitLogOffset = m.commitLogOffset;
    // The application sees a retried message under the topic it subscribed to.
    const retryTopic = fromRetry ? m.properties.get(MessageConst.PROPERTY_RETRY_TOPIC) : undefined;
    if (retryTopic) m.topic = retryTopic;
    let returned: unknown;
    try {
      returned = this.options.handler(m);
    } catch (error) {
      return this.tracked(owned, m, this.outcome(owned, m, storedCommitLogOffset, null, error));
    }
    if (typeof (returned as PromiseLike<void> | undefined)?.then !== "function") {
      owned.failures = 0;
      owned.offset = Math.max(owned.offset, m.queueOffset + 1);
      return true;
    }
    const running = returned as PromiseLike<void>;
    return this.tracked(owned, m, this.outcome(owned, m, storedCommitLogOffset, running, null));
  }

  /** Marks the message in hand until `outcome` (of a handler still running or failed) settles. */
  private async tracked(
    owned: OwnedQueue,
    m: ReceivedMessage,
    outcome: Promise<boolean>,
  ): Promise<boolean> {
    // Settled only once the offset has moved past a message that is done with, so a rebalance
    // that waits for it commits the right offset.
    const done = Promise.withResolvers<void>();
    owned.handling = done.promise;
    try {
      const passed = await outcome;
      if (passed) owned.offset = Math.max(owned.offset, m.queueOffset + 1);
      return passed;
    } finally {
      owned.handling = null;
      done.resolve();
    }
  }

  /** Whether the queue may move past `m`: its handler finished, or it failed and went back. */
  private async outcome(
    owned: OwnedQueue,
    m: ReceivedMessage,
    storedCommitLogOffset: number,
    running: PromiseLike<void> | null,
    thrown: unknown,
  ): Promise<boolean> {
    try {
      if (running === null) throw thrown;
      await this.withConsumeTimeout(running);
      owned.failures = 0;
      return true;
    } catch (error) {
      const reason = (error as Error).message;
      if (this.broadcasting) {
        this.options.log.warn(`handler failed; offering the message again: ${reason}`);
        return false;
      }
      if (this.options.orderly) return this.orderlyFailure(owned, m, storedCommitLogOffset, reason);
      const sentBack = await this.sendBack(owned, m, storedCommitLogOffset, 0);
      const max = this.options.maxReconsumeTimes ?? defaultMaxReconsumeTimes;
      const to = sentBackTo(m.reconsumeTimes, max, this.options.group);
      this.options.log.warn(
        sentBack
          ? `handler failed (${reason}); message ${m.msgId} ${to}`
          : `handler failed (${reason}); send-back failed, offering it again here`,
      );
      return sentBack;
    }
  }

  /**
   * Waits for a running handler; past consumeTimeoutMs (clustering, not orderly) the message
   * counts as failed, so it is sent back and comes again later (consume_timeout.ts).
   */
  private async withConsumeTimeout(returned: PromiseLike<void>): Promise<void> {
    if (this.options.orderly || this.broadcasting) return returned;
    const timeoutMs = this.options.consumeTimeoutMs ?? defaultConsumeTimeoutMs;
    return withinTimeout(returned, timeoutMs, this.options.clock);
  }

  /** Orderly: retry here (nothing overtakes it) until maxReconsumeTimes, then the DLQ. */
  private async orderlyFailure(
    owned: OwnedQueue,
    m: ReceivedMessage,
    commitLogOffset: number,
    reason: string,
  ): Promise<boolean> {
    owned.failures++;
    const max = this.options.maxReconsumeTimes;
    if (max === undefined || owned.failures <= max) {
      this.options.log.warn(
        `handler failed (${reason}); ${m.msgId} is retried here (failure ${owned.failures})`,
      );
      return false;
    }
    // delayLevel -1: straight to %DLQ%<group>.
    const dead = await this.sendBack(owned, m, commitLogOffset, -1);
    this.options.log.warn(
      dead
        ? `handler failed ${owned.failures} times; ${m.msgId} goes to the dead-letter queue`
        : `handler failed (${reason}); could not move ${m.msgId} to the DLQ, retrying here`,
    );
    if (dead) owned.failures = 0;
    return dead;
  }

  /** CONSUMER_SEND_MSG_BACK (send_back.ts); true if the broker took the message. */
  private async sendBack(
    owned: OwnedQueue,
    m: ReceivedMessage,
    commitLogOffset: number,
    delayLevel: number,
  ) {
    const taken = await sendMessageBack(this.remoting, this.routes, this.options.log, {
      queue: owned.queue,
      message: m,
      commitLogOffset,
      delayLevel,
      group: this.options.group,
      maxReconsumeTimes: this.options.maxReconsumeTimes ?? defaultMaxReconsumeTimes,
    });
    if (!taken) return false;
    // The retry topic may be new to the name servers: own its queues before the next rebalance.
    const ownsRetryQueues = [...this.owned.values()].some((o) =>
      o.queue.topic.startsWith(RETRY_GROUP_TOPIC_PREFIX),
    );
    if (!ownsRetryQueues && !this.retryLookPending) {
      this.retryLookPending = true;
      this.later(retryRouteLookMs, () => {
        this.retryLookPending = false;
        void this.rebalance();
      });
    }
    return true;
  }

  private async commit(owned: OwnedQueue): Promise<void> {
    if (owned.offset === owned.committed) return;
    const offset = owned.offset;
    if (await this.offsets.commit(owned.queue, offset)) owned.committed = offset;
  }

  private async persistOffsets(): Promise<void> {
    await Promise.all([...this.owned.values()].map((o) => this.commit(o)));
    this.offsets.persist();
  }

  private async unregister(): Promise<void> {
    const request = createRequest(RequestCode.UNREGISTER_CLIENT, {
      extFields: { clientID: this.clientId, consumerGroup: this.options.group },
    });
    for (const addr of await this.brokerAddrs().catch(() => [] as string[])) {
      await this.remoting.invoke(addr, request).catch(() => undefined);
    }
  }
}

export { createResponse };
export { allocateAveragely } from "./allocate.ts";
export type { ConsumeFrom, ConsumerOptions } from "./consumer_options.ts";
