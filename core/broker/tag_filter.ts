// Tag subscriptions (spec §3.5, §4.5): "*" or "" takes everything; "TagA || TagB" takes the
// listed tags, matched on the broker by String.hashCode (clients re-check the tag string).

import { BoundedMemo } from "../common/bounded_memo.ts";
import { javaStringHashCode } from "../common/checksum.ts";
import type { SubscriptionData } from "../protocol/heartbeat.ts";

export interface TagFilter {
  readonly subString: string;
  readonly tags: readonly string[];
  readonly codes: ReadonlySet<number>;
  readonly all: boolean;
  /** Whether a unit's tag hash code passes, made once: a pull hands it to the store as it is. */
  readonly accept: (tagsCode: number) => boolean;
}

/** Bound on the subscription expressions whose parsed filters are kept. */
const expressionCountMax = 10_000;

const acceptAll = () => true;

/** "*" or "" (around spaces): the subscription takes every tag. */
function takesEverything(expression: string): boolean {
  const text = expression.trim();
  return text === "" || text === "*";
}

function tagFilter(subString: string, tags: string[], codes: Set<number>, all: boolean): TagFilter {
  const accept = all ? acceptAll : (tagsCode: number) => codes.has(tagsCode);
  return { subString, tags, codes, all, accept };
}

function parseUncached(expression: string): TagFilter {
  if (takesEverything(expression)) return tagFilter("*", [], new Set(), true);
  const text = expression.trim();
  const tags = text
    .split("||")
    .map((t) => t.trim())
    .filter(Boolean);
  return tagFilter(text, tags, new Set(tags.map(javaStringHashCode)), tags.length === 0);
}

// Every pull carries its subscription (or names one a heartbeat registered), and a consumer
// that keeps up pulls once per message, twice when the pull is held: a filter (a Set, a closure)
// per pull was garbage for the broker's collector at that rate. Filters are immutable, so the
// parsed ones are shared.
const parsedExpressions = new BoundedMemo(expressionCountMax, parseUncached);
/** By the heartbeat's subscription object: a new heartbeat's subscription is a new object. */
const subscriptionFilters = new WeakMap<SubscriptionData, TagFilter>();

export function parseTagExpression(expression: string | undefined): TagFilter {
  return parsedExpressions.get(expression ?? "");
}

/** The filter of a subscription a heartbeat registered (its tag hash codes, as sent). */
export function filterOfSubscription(sub: SubscriptionData): TagFilter {
  let filter = subscriptionFilters.get(sub);
  if (filter === undefined) {
    const all = takesEverything(sub.subString);
    filter = tagFilter(sub.subString, [], new Set(sub.codeSet), all);
    subscriptionFilters.set(sub, filter);
  }
  return filter;
}
