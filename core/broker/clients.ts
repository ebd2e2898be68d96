// Who is connected: consumer groups (members and their subscriptions, from heartbeats) and
// producer groups. Members leave when their connection closes, when they unregister, or when
// they miss heartbeats for channelExpiredTimeout; a change of a clustering group's membership
// or subscriptions is reported so the broker can tell every member to rebalance.

import type { ConsumerData, SubscriptionData } from "../protocol/heartbeat.ts";
import type { Channel } from "../remoting/channel.ts";

export interface ClientChannelInfo {
  channel: Channel;
  clientId: string;
  language: string;
  version: number;
  lastUpdateMs: number;
}

export interface ConsumerGroupInfo {
  groupName: string;
  consumeType: string;
  messageModel: string;
  consumeFromWhere: string;
  members: Map<Channel, ClientChannelInfo>;
  subscriptions: Map<string, SubscriptionData>;
}

export class ClientManager {
  readonly consumers = new Map<string, ConsumerGroupInfo>();
  readonly producers = new Map<string, Map<Channel, ClientChannelInfo>>();

  /** Registers a consumer heartbeat; returns true if membership or subscriptions changed. */
  registerConsumer(data: ConsumerData, info: ClientChannelInfo): boolean {
    let group = this.consumers.get(data.groupName);
    if (!group) {
      group = {
        groupName: data.groupName,
        consumeType: data.consumeType,
        messageModel: data.messageModel,
        consumeFromWhere: data.consumeFromWhere,
        members: new Map(),
        subscriptions: new Map(),
      };
      this.consumers.set(data.groupName, group);
    }
    group.consumeType = data.consumeType;
    group.messageModel = data.messageModel;
    group.consumeFromWhere = data.consumeFromWhere;
    // RocketMQ 4.9.7's rules (ConsumerGroupInfo): a change is a new channel, a topic added or
    // a topic no longer in the heartbeat; a higher subVersion replaces a subscription quietly.
    const joined = !group.members.has(info.channel);
    group.members.set(info.channel, info);
    let subscriptionsChanged = false;
    for (const sub of data.subscriptionDataSet) {
      const old = group.subscriptions.get(sub.topic);
      if (!old) subscriptionsChanged = true;
      if (!old || sub.subVersion > old.subVersion) group.subscriptions.set(sub.topic, sub);
    }
    for (const topic of [...group.subscriptions.keys()]) {
      if (!data.subscriptionDataSet.some((sub) => sub.topic === topic)) {
        group.subscriptions.delete(topic);
        subscriptionsChanged = true;
      }
    }
    return joined || subscriptionsChanged;
  }

  registerProducer(groupName: string, info: ClientChannelInfo): void {
    let members = this.producers.get(groupName);
    if (!members) this.producers.set(groupName, (members = new Map()));
    members.set(info.channel, info);
  }

  /** Removes a channel from a consumer group; returns true if it was a member. */
  unregisterConsumer(groupName: string, channel: Channel): boolean {
    const group = this.consumers.get(groupName);
    if (!group || !group.members.delete(channel)) return false;
    if (group.members.size === 0) this.consumers.delete(groupName);
    return true;
  }

  unregisterProducer(groupName: string, channel: Channel): void {
    const members = this.producers.get(groupName);
    members?.delete(channel);
    if (members && members.size === 0) this.producers.delete(groupName);
  }

  /** Drops a channel everywhere; returns the consumer groups it left. */
  onChannelClose(channel: Channel): string[] {
    const left: string[] = [];
    for (const name of [...this.consumers.keys()]) {
      if (this.unregisterConsumer(name, channel)) left.push(name);
    }
    for (const name of [...this.producers.keys()]) this.unregisterProducer(name, channel);
    return left;
  }

  /** Channels silent longer than `timeoutMs` (their connection is then closed). */
  expired(nowMs: number, timeoutMs: number): Channel[] {
    const out = new Set<Channel>();
    for (const group of this.consumers.values()) {
      for (const info of group.members.values())
        if (info.lastUpdateMs + timeoutMs < nowMs) out.add(info.channel);
    }
    for (const members of this.producers.values()) {
      for (const info of members.values())
        if (info.lastUpdateMs + timeoutMs < nowMs) out.add(info.channel);
    }
    return [...out];
  }

  /** A connected producer of the group (the transaction check-back asks it), if any. */
  anyProducerChannel(groupName: string): Channel | undefined {
    for (const info of this.producers.get(groupName)?.values() ?? []) {
      if (info.channel.isOpen()) return info.channel;
    }
    return undefined;
  }

  consumerIds(groupName: string): string[] {
    const group = this.consumers.get(groupName);
    return group ? [...group.members.values()].map((m) => m.clientId) : [];
  }

  subscription(groupName: string, topic: string): SubscriptionData | undefined {
    return this.consumers.get(groupName)?.subscriptions.get(topic);
  }

  /**
   * Whether the group counts as reading `topic`: no member online (nothing says otherwise) or
   * one subscribes to it. RocketMQ's rule for a group's stats and offset copies of a topic.
   */
  mayRead(groupName: string, topic: string): boolean {
    const group = this.consumers.get(groupName);
    return !group || group.subscriptions.size === 0 || group.subscriptions.has(topic);
  }

  /** The member of the group with this client id (the broker calls it for admin tools). */
  consumer(groupName: string, clientId: string): ClientChannelInfo | undefined {
    for (const info of this.consumers.get(groupName)?.members.values() ?? []) {
      if (info.clientId === clientId) return info;
    }
    return undefined;
  }

  /** The connection of the producer with this client id, in any group (request-reply). */
  producerChannel(clientId: string): Channel | undefined {
    for (const members of this.producers.values()) {
      for (const info of members.values()) if (info.clientId === clientId) return info.channel;
    }
    return undefined;
  }
}
