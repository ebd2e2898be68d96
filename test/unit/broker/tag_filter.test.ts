// Tag filters: what "*" and "TagA || TagB" accept by a unit's tag hash code, and that a filter is
// made once per expression and once per registered subscription, not once per pull.

import { describe, expect, test } from "bun:test";
import { javaStringHashCode } from "../../../core/common/checksum.ts";
import { filterOfSubscription, parseTagExpression } from "../../../core/broker/tag_filter.ts";
import type { SubscriptionData } from "../../../core/protocol/heartbeat.ts";

const subscription = (subString: string, codeSet: number[]): SubscriptionData => ({
  topic: "T",
  subString,
  tagsSet: [],
  codeSet,
  subVersion: 1,
  expressionType: "TAG",
  classFilterMode: false,
});

describe("broker: tag filter", () => {
  test("broker: tag filter: '*', '' and no expression accept every tag", () => {
    for (const expression of ["*", "", " * ", undefined]) {
      const filter = parseTagExpression(expression);
      expect(filter).toMatchObject({ subString: "*", all: true });
      expect(filter.accept(javaStringHashCode("anything"))).toBe(true);
    }
  });

  test("broker: tag filter: 'TagA || TagB' accepts exactly those tags' hash codes", () => {
    const filter = parseTagExpression(" TagA || TagB ");
    expect(filter).toMatchObject({ subString: "TagA || TagB", tags: ["TagA", "TagB"], all: false });
    expect(filter.accept(javaStringHashCode("TagA"))).toBe(true);
    expect(filter.accept(javaStringHashCode("TagB"))).toBe(true);
    expect(filter.accept(javaStringHashCode("TagC"))).toBe(false);
  });

  test("broker: tag filter: an expression is parsed once; equal texts share the filter", () => {
    expect(parseTagExpression("TagA||TagB")).toBe(parseTagExpression("TagA||TagB"));
    expect(parseTagExpression("TagA")).not.toBe(parseTagExpression("TagB"));
  });

  test("broker: tag filter: a subscription's filter: its codes, made once per object", () => {
    const sub = subscription("TagA", [javaStringHashCode("TagA")]);
    const filter = filterOfSubscription(sub);
    expect(filterOfSubscription(sub)).toBe(filter);
    expect(filter.accept(javaStringHashCode("TagA"))).toBe(true);
    expect(filter.accept(javaStringHashCode("TagB"))).toBe(false);
    // A heartbeat that changes the subscription registers a new object: a new filter.
    const changed = subscription("TagB", [javaStringHashCode("TagB")]);
    expect(filterOfSubscription(changed).accept(javaStringHashCode("TagB"))).toBe(true);
    expect(filterOfSubscription(subscription("*", [])).all).toBe(true);
  });
});
