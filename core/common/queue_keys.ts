// "topic<separator>queueId" map keys, made once per queue rather than per message: the store
// counts queue offsets by such a key and long polling parks pulls under one, and both look one
// up for every stored message. Bounded by topics (a BoundedMemo); queue ids index an array.

import { BoundedMemo } from "./bounded_memo.ts";

export class QueueKeys {
  private readonly byTopic: BoundedMemo<string, string[]>;

  constructor(
    private readonly separator: string,
    topicCountMax: number,
  ) {
    this.byTopic = new BoundedMemo(topicCountMax, () => []);
  }

  of(topic: string, queueId: number): string {
    return (this.byTopic.get(topic)[queueId] ??= `${topic}${this.separator}${queueId}`);
  }
}
