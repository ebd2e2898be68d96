// Message flags as RocketMQ's Boolean.parseBoolean reads them.

import { expect, test } from "bun:test";
import { javaBoolean, waitStoreMsgOk } from "../../../core/common/java_boolean.ts";

test("common: java boolean: true in any case, anything else false; WAIT absent means wait", () => {
  for (const text of ["true", "True", "TRUE", "tRuE"]) expect(javaBoolean(text)).toBe(true);
  for (const text of [undefined, "", "false", "yes", "1", " true", "truee"]) {
    expect(javaBoolean(text)).toBe(false);
  }
  expect([waitStoreMsgOk(undefined), waitStoreMsgOk("TRUE"), waitStoreMsgOk("FALSE")]).toEqual([
    true,
    true,
    false,
  ]);
  expect(waitStoreMsgOk("no")).toBe(false);
});
