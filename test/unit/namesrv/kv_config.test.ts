// KV config persistence: RocketMQ's file shape, crash-safe replace, .bak fallback, refusal to
// start over a corrupt file.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../../core/common/errors.ts";
import { KvConfig } from "../../../core/namesrv/kv_config.ts";

const dirs: string[] = [];
const tempPath = () => {
  const dir = mkdtempSync(join(tmpdir(), "rmq-kv-"));
  dirs.push(dir);
  return join(dir, "namesrv", "kvConfig.json");
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("namesrv: kv config", () => {
  test("namesrv: kv config: values persist in RocketMQ's configTable shape", () => {
    const path = tempPath();
    const kv = new KvConfig(path);
    kv.load();
    kv.put("ORDER_TOPIC_CONFIG", "TopicOrder", "broker-a:4");
    kv.put("ns", "k", "v");
    kv.delete("ns", "k");
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({
      configTable: { ORDER_TOPIC_CONFIG: { TopicOrder: "broker-a:4" } },
    });
    const again = new KvConfig(path);
    again.load();
    expect(again.get("ORDER_TOPIC_CONFIG", "TopicOrder")).toBe("broker-a:4");
    expect(again.list("ns")).toBeUndefined();
  });

  test("namesrv: kv config: a corrupt file falls back to the .bak copy", () => {
    const path = tempPath();
    const kv = new KvConfig(path);
    kv.put("ns", "a", "1");
    kv.put("ns", "b", "2"); // .bak now holds {a}
    writeFileSync(path, '{"configTable":{"ns":{"a":"1","b"'); // torn write
    const again = new KvConfig(path);
    again.load();
    expect(again.get("ns", "a")).toBe("1");
    expect(existsSync(`${path}.bak`)).toBe(true);
  });

  test("namesrv: kv config: both copies corrupt refuses to load", () => {
    const path = tempPath();
    const kv = new KvConfig(path);
    kv.put("ns", "a", "1");
    writeFileSync(path, "not json");
    writeFileSync(`${path}.bak`, "[also not");
    expect(() => new KvConfig(path).load()).toThrow(ConfigError);
    expect(readFileSync(path, "utf8")).toBe("not json"); // nothing overwritten
  });
});
