// The broker's metadata files (spec §5.12): codecs (round trips, fastjson's bare integer keys,
// lenient input, malformed input), crash-safe persistence (.bak fallback, refusal when no copy
// decodes, an interrupted persist at every step), and the files Apache RocketMQ 4.9.7 wrote in
// shared/fixtures/rocketmq-store, checked against their manifests.

import { afterEach, describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CorruptionError } from "../../../core/common/errors.ts";
import {
  consumerOffsetJson,
  consumerOffsetKey,
  decodeConsumerOffsets,
  decodeDelayOffsets,
  decodeSubscriptionGroups,
  decodeTopics,
  defaultSubscriptionGroup,
  delayOffsetJson,
  encodeConsumerOffsets,
  encodeDelayOffsets,
  encodeSubscriptionGroups,
  encodeTopics,
  loadConfigFile,
  nextDataVersion,
  persistConfigFile,
  subscriptionGroupJson,
  topicsJson,
  type ConfigFileCodec,
  type ConsumerOffsetFile,
  type SubscriptionGroupFile,
  type TopicsFile,
} from "../../../core/broker/index.ts";
import type { TopicConfig } from "../../../core/protocol/topic_config.ts";
import { RealFileIO } from "../../../core/store/file_io.ts";
import { CrashingFileIO } from "../../harness/crashing_file_io.ts";
import { sharedFixturesDir } from "../../harness/shared_fixtures.ts";
import { storeFixture, storeManifest } from "../../harness/store_fixtures.ts";

const io = new RealFileIO();
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "rmq-broker-config-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function topic(name: string, queueCount: number, perm = 6): TopicConfig {
  return {
    topicName: name,
    readQueueNums: queueCount,
    writeQueueNums: queueCount,
    perm,
    topicFilterType: "SINGLE_TAG",
    topicSysFlag: 0,
    order: false,
    attributes: {},
  };
}

function sampleTopics(counter = 3): TopicsFile {
  return {
    dataVersion: { counter, stateVersion: 0, timestamp: 1_700_000_000_000 + counter },
    topicConfigTable: new Map([
      ["TopicTest", topic("TopicTest", 4)],
      ["TBW102", topic("TBW102", 8, 7)],
      ["%RETRY%cg1", { ...topic("%RETRY%cg1", 1), attributes: { "+queue.type": "BatchCQ" } }],
    ]),
  };
}

function sampleOffsets(): ConsumerOffsetFile {
  return {
    dataVersion: { counter: 7, stateVersion: 0, timestamp: 1_700_000_000_123 },
    offsetTable: new Map([
      [
        consumerOffsetKey("TopicTest", "cg1"),
        new Map([
          [0, 250],
          [1, 248],
          [2, 251],
          [3, 250],
        ]),
      ],
      ["%RETRY%cg1@cg1", new Map([[0, 0]])],
    ]),
  };
}

function sampleGroups(): SubscriptionGroupFile {
  return {
    dataVersion: { counter: 2, stateVersion: 1, timestamp: 1_700_000_000_456 },
    forbiddenTable: new Map([["cg1", new Map([["TopicTest", 2]])]]),
    subscriptionGroupTable: new Map([
      ["cg1", { ...defaultSubscriptionGroup("cg1"), retryMaxTimes: 3, consumeEnable: false }],
      ["TOOLS_CONSUMER", defaultSubscriptionGroup("TOOLS_CONSUMER")],
    ]),
  };
}

describe("broker: config files: codecs", () => {
  test("broker: config files: topics.json round-trips with members in alphabetical order", () => {
    const value = sampleTopics();
    const text = encodeTopics(value);
    expect(decodeTopics(text)).toEqual(value);
    expect(encodeTopics(decodeTopics(text))).toBe(text);
    const members = Object.keys(JSON.parse(text).topicConfigTable.TopicTest);
    expect(members).toEqual([...members].sort());
    expect(members).toEqual([
      "attributes",
      "order",
      "perm",
      "readQueueNums",
      "topicFilterType",
      "topicName",
      "topicSysFlag",
      "writeQueueNums",
    ]);
    expect(Object.keys(JSON.parse(text).dataVersion)).toEqual([
      "counter",
      "stateVersion",
      "timestamp",
    ]);
    // fastjson's pretty printing: tabs, no space after ':'.
    expect(text.startsWith('{\n\t"dataVersion":{\n\t\t"counter":3,')).toBe(true);
  });

  test("broker: config files: consumerOffset.json writes bare integer queue ids", () => {
    const value = sampleOffsets();
    const text = encodeConsumerOffsets(value);
    expect(text).toContain('"TopicTest@cg1":{0:250,1:248,2:251,3:250\n\t\t}');
    expect(text).toContain('"%RETRY%cg1@cg1":{0:0\n\t\t}');
    expect(text).not.toMatch(/"\d+":/);
    expect(() => JSON.parse(text)).toThrow(); // not standard JSON, exactly like fastjson's
    expect(decodeConsumerOffsets(text)).toEqual(value);
    expect(encodeConsumerOffsets(decodeConsumerOffsets(text))).toBe(text);
  });

  test("broker: config files: delayOffset.json writes bare integer levels", () => {
    const value = {
      offsetTable: new Map([
        [2, 15],
        [1, 0],
        [10, 3],
      ]),
    };
    const text = encodeDelayOffsets(value);
    expect(text).toBe('{\n\t"offsetTable":{1:0,2:15,10:3\n\t}\n}');
    expect(decodeDelayOffsets(text)).toEqual(value);
    expect(decodeDelayOffsets(text).dataVersion).toBeUndefined();
    const versioned = { ...value, dataVersion: { counter: 1, stateVersion: 0, timestamp: 5 } };
    expect(decodeDelayOffsets(encodeDelayOffsets(versioned))).toEqual(versioned);
  });

  test("broker: config files: subscriptionGroup.json round-trips with forbiddenTable", () => {
    const value = sampleGroups();
    const text = encodeSubscriptionGroups(value);
    expect(decodeSubscriptionGroups(text)).toEqual(value);
    expect(encodeSubscriptionGroups(decodeSubscriptionGroups(text))).toBe(text);
    const parsed = JSON.parse(text);
    expect(Object.keys(parsed)).toEqual([
      "dataVersion",
      "forbiddenTable",
      "subscriptionGroupTable",
    ]);
    expect(parsed.forbiddenTable).toEqual({ cg1: { TopicTest: 2 } });
    const cg1 = parsed.subscriptionGroupTable.cg1;
    expect(Object.keys(cg1)).toEqual([...Object.keys(cg1)].sort());
    expect(cg1).toEqual({
      attributes: {},
      brokerId: 0,
      consumeBroadcastEnable: true,
      consumeEnable: false,
      consumeFromMinEnable: true,
      consumeMessageOrderly: false,
      consumeTimeoutMinute: 15,
      groupName: "cg1",
      groupRetryPolicy: { type: "CUSTOMIZED" },
      groupSysFlag: 0,
      notifyConsumerIdsChangedEnable: true,
      retryMaxTimes: 3,
      retryQueueNums: 1,
      whichBrokerWhenConsumeSlowly: 1,
    });
  });

  test("broker: config files: subscription groups keep members we do not model", () => {
    const text = `{"subscriptionGroupTable":{"g":{"groupName":"g","retryMaxTimes":2,
      "subscriptionDataSet":[{"topic":"T","expressionType":"TAG","expression":"*"}],
      "zFuture":{"nested":[1,2]},"aFuture":"x","__proto__":{"polluted":true},
      "groupRetryPolicy":{"type":"EXPONENTIAL","exponentialRetryPolicy":{"initial":1000}}}}}`;
    const value = decodeSubscriptionGroups(text);
    const group = value.subscriptionGroupTable.get("g")!;
    expect(group.retryMaxTimes).toBe(2);
    expect(group.consumeTimeoutMinute).toBe(15); // defaulted
    expect(group.otherMembers).toEqual({
      subscriptionDataSet: [{ topic: "T", expressionType: "TAG", expression: "*" }],
      zFuture: { nested: [1, 2] },
      aFuture: "x",
      ["__proto__"]: { polluted: true },
    });
    expect(Object.getPrototypeOf(group.otherMembers)).toBe(Object.prototype);
    const written = JSON.parse(encodeSubscriptionGroups(value)).subscriptionGroupTable.g;
    expect(written.subscriptionDataSet).toEqual([
      { topic: "T", expressionType: "TAG", expression: "*" },
    ]);
    expect(written.zFuture).toEqual({ nested: [1, 2] });
    expect(written.groupRetryPolicy).toEqual({
      type: "EXPONENTIAL",
      exponentialRetryPolicy: { initial: 1000 },
    });
    const members = Object.keys(written);
    expect(members[0]).toBe("__proto__");
    expect(members[1]).toBe("aFuture");
    expect(members.at(-1)).toBe("zFuture");
    expect(members).toEqual([...members].sort());
  });

  test("broker: config files: lenient input reads quoted keys, strings and single quotes", () => {
    const offsets = decodeConsumerOffsets(
      `{'offsetTable':{"T@g":{"0":"250",1:248},'U@g':{}}, "groupTopicMap":{"g":["T"]}}`,
    );
    expect(offsets.dataVersion).toBeUndefined();
    expect(offsets.offsetTable).toEqual(
      new Map([
        [
          "T@g",
          new Map([
            [0, 250],
            [1, 248],
          ]),
        ],
        ["U@g", new Map()],
      ]),
    );
    const delay = decodeDelayOffsets(`{"dataVersion":{"counter":"4","timestamp":9},
      "offsetTable":{"1":0,2:15}}`);
    expect(delay.dataVersion).toEqual({ counter: 4, stateVersion: 0, timestamp: 9 });
    expect(delay.offsetTable).toEqual(
      new Map([
        [1, 0],
        [2, 15],
      ]),
    );
    const topics = decodeTopics(`{"topicConfigTable":{"T":{"perm":"6","order":"true"}}}`);
    expect(topics.dataVersion).toEqual({ counter: 0, stateVersion: 0, timestamp: 0 });
    expect(topics.topicConfigTable.get("T")).toEqual({ ...topic("T", 16), order: true });
    const groups = decodeSubscriptionGroups(
      `{"subscriptionGroupTable":{"g":{"consumeEnable":"false"}}}`,
    );
    expect(groups.subscriptionGroupTable.get("g")).toEqual({
      ...defaultSubscriptionGroup("g"),
      consumeEnable: false,
    });
    expect(groups.forbiddenTable.size).toBe(0);
  });

  test("broker: config files: malformed input is a CorruptionError naming the file", () => {
    const cases: [ConfigFileCodec<unknown>, string][] = [
      [topicsJson, "not json"],
      [topicsJson, "[1,2]"],
      [topicsJson, '{"topicConfigTable":[]}'],
      [topicsJson, '{"topicConfigTable":{"T":{"perm":1.5}}}'],
      [topicsJson, '{"dataVersion":{"counter":"x"}}'],
      [consumerOffsetJson, '{"offsetTable":{"T@g":{x:1}}}'],
      [consumerOffsetJson, '{"offsetTable":{"T@g":{-1:1}}}'],
      [consumerOffsetJson, '{"offsetTable":{"T@g":{99999999999:1}}}'],
      [consumerOffsetJson, '{"offsetTable":{"T@g":{0:"abc"}}}'],
      [consumerOffsetJson, '{"offsetTable":{"T@g":{0:9007199254740993}}}'],
      [delayOffsetJson, '{"offsetTable":{1:true}}'],
      [subscriptionGroupJson, '{"subscriptionGroupTable":{"g":{"consumeEnable":3}}}'],
      [subscriptionGroupJson, '{"subscriptionGroupTable":{"g":{"attributes":{"a":{}}}}}'],
      [subscriptionGroupJson, '{"forbiddenTable":{"g":{"T":"x"}}}'],
      [subscriptionGroupJson, "[".repeat(100_000)],
    ];
    for (const [codec, text] of cases) {
      let caught: unknown;
      try {
        codec.decode(text);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(CorruptionError);
      expect((caught as Error).message.startsWith(`${codec.fileName}: `)).toBe(true);
    }
  });

  test("broker: config files: every truncation of a file is a CorruptionError", () => {
    const texts: [ConfigFileCodec<unknown>, string][] = [
      [topicsJson, encodeTopics(sampleTopics())],
      [consumerOffsetJson, encodeConsumerOffsets(sampleOffsets())],
      [subscriptionGroupJson, encodeSubscriptionGroups(sampleGroups())],
    ];
    for (const [codec, text] of texts) {
      for (let cut = 0; cut < text.length; cut++) {
        expect(() => codec.decode(text.slice(0, cut))).toThrow(CorruptionError);
      }
    }
  });

  test("broker: config files: nextDataVersion counts changes and takes time as a parameter", () => {
    const first = nextDataVersion({ counter: 4, stateVersion: 9, timestamp: 1 }, 1_000);
    expect(first).toEqual({ counter: 5, stateVersion: 0, timestamp: 1_000 });
    expect(nextDataVersion(first, 2_000, 3)).toEqual({
      counter: 6,
      stateVersion: 3,
      timestamp: 2_000,
    });
  });
});

describe("broker: config files: persistence", () => {
  test("broker: config files: missing files load as empty defaults", () => {
    const path = join(tempDir(), "config", "topics.json");
    const loaded = loadConfigFile(io, path, topicsJson);
    expect(loaded.source).toBe("none");
    expect(loaded.value).toEqual(topicsJson.empty());
    expect(existsSync(path)).toBe(false);
    // RocketMQ reads an empty file as absent, and so do we when there is no .bak either.
    mkdirSync(dirname(path));
    writeFileSync(path, "\n");
    expect(loadConfigFile(io, path, topicsJson).source).toBe("none");
  });

  test("broker: config files: persist writes tmp, syncs, keeps .bak, renames, syncs dir", () => {
    const path = join(tempDir(), "config", "topics.json");
    persistConfigFile(io, path, topicsJson, sampleTopics(1));
    const recording = new CrashingFileIO(io);
    persistConfigFile(recording, path, topicsJson, sampleTopics(2));
    expect(recording.ops).toEqual([
      "mkdirs",
      "truncate topics.json.tmp",
      "write topics.json.tmp",
      "sync topics.json.tmp",
      "truncate topics.json.bak",
      "write topics.json.bak",
      "sync topics.json.bak",
      "rename topics.json.tmp topics.json",
      "syncDirectory",
    ]);
    expect(existsSync(`${path}.tmp`)).toBe(false);
    expect(readFileSync(path, "utf8")).toBe(encodeTopics(sampleTopics(2)));
    expect(readFileSync(`${path}.bak`, "utf8")).toBe(encodeTopics(sampleTopics(1)));
    expect(loadConfigFile(io, path, topicsJson)).toEqual({
      value: sampleTopics(2),
      source: "main",
      mainProblem: null,
    });
  });

  test("broker: config files: a torn main file falls back to .bak", () => {
    const path = join(tempDir(), "consumerOffset.json");
    const older = sampleOffsets();
    const newer = sampleOffsets();
    newer.offsetTable.get("TopicTest@cg1")!.set(0, 260);
    persistConfigFile(io, path, consumerOffsetJson, older);
    persistConfigFile(io, path, consumerOffsetJson, newer);
    truncateSync(path, Math.floor(readFileSync(path).length / 2));
    const loaded = loadConfigFile(io, path, consumerOffsetJson);
    expect(loaded.source).toBe("bak");
    expect(loaded.value).toEqual(older);
    expect(loaded.mainProblem).toContain("consumerOffset.json: bad JSON");
    // An empty main file (a writer that died after creating it) counts as absent.
    truncateSync(path, 0);
    expect(loadConfigFile(io, path, consumerOffsetJson).source).toBe("bak");
    // Zeros where the data should be (delayed allocation after a crash) are corrupt too.
    writeFileSync(path, new Uint8Array(64));
    expect(loadConfigFile(io, path, consumerOffsetJson).value).toEqual(older);
  });

  test("broker: config files: a corrupt main file is never copied over a good .bak", () => {
    const path = join(tempDir(), "delayOffset.json");
    const v1 = { offsetTable: new Map([[1, 1]]) };
    const v2 = { offsetTable: new Map([[1, 2]]) };
    const v3 = { offsetTable: new Map([[1, 3]]) };
    persistConfigFile(io, path, delayOffsetJson, v1);
    persistConfigFile(io, path, delayOffsetJson, v2);
    writeFileSync(path, '{"offsetTable":{1:');
    expect(loadConfigFile(io, path, delayOffsetJson).value).toEqual(v1);
    persistConfigFile(io, path, delayOffsetJson, v3);
    expect(decodeDelayOffsets(readFileSync(`${path}.bak`, "utf8"))).toEqual(v1);
    expect(loadConfigFile(io, path, delayOffsetJson).value).toEqual(v3);
  });

  test("broker: config files: both copies corrupt refuses to load and changes nothing", () => {
    const path = join(tempDir(), "subscriptionGroup.json");
    writeFileSync(path, '{"subscriptionGroupTable":{"g":');
    writeFileSync(`${path}.bak`, Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect(() => loadConfigFile(io, path, subscriptionGroupJson)).toThrow(CorruptionError);
    expect(() => loadConfigFile(io, path, subscriptionGroupJson)).toThrow(
      /subscriptionGroup\.json.*bad JSON.*\.bak: not UTF-8 text.*neither was changed/,
    );
    expect(readFileSync(path, "utf8")).toBe('{"subscriptionGroupTable":{"g":');
    expect([...readFileSync(`${path}.bak`)]).toEqual([0x7b, 0xff, 0xfe, 0x7d]);
    // One corrupt copy and nothing good to fall back to is refused as well.
    rmSync(`${path}.bak`);
    expect(() => loadConfigFile(io, path, subscriptionGroupJson)).toThrow(CorruptionError);
    expect(existsSync(path)).toBe(true);
  });

  test("broker: config files: a persist interrupted at any step leaves old or new content", () => {
    const probe = new CrashingFileIO(io);
    const probePath = join(tempDir(), "topics.json");
    persistConfigFile(io, probePath, topicsJson, sampleTopics(1));
    persistConfigFile(probe, probePath, topicsJson, sampleTopics(2));
    const renameAt = probe.ops.indexOf("rename topics.json.tmp topics.json");
    expect(renameAt).toBeGreaterThan(0);
    for (let crashAt = 0; crashAt < probe.ops.length; crashAt++) {
      const path = join(tempDir(), "topics.json");
      persistConfigFile(io, path, topicsJson, sampleTopics(1));
      const crashing = new CrashingFileIO(io, crashAt);
      expect(() => persistConfigFile(crashing, path, topicsJson, sampleTopics(2))).toThrow(
        /simulated crash/,
      );
      const loaded = loadConfigFile(io, path, topicsJson);
      expect(loaded.source).toBe("main");
      expect(loaded.value).toEqual(sampleTopics(crashAt <= renameAt ? 1 : 2));
      // The next persist recovers from the leftover temp file.
      persistConfigFile(io, path, topicsJson, sampleTopics(3));
      expect(loadConfigFile(io, path, topicsJson).value).toEqual(sampleTopics(3));
    }
  });
});

/** A decoded table as the plain object the manifest's "parsed" member holds. */
function plain(value: unknown): unknown {
  if (value instanceof Map) {
    return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v)]));
  }
  return value;
}

describe("broker: config files: files Apache RocketMQ 4.9.7 wrote", () => {
  const configDir = () => join(storeFixture("clean")!, "config");
  const manifestFile = (name: string) => storeManifest("clean").configFiles[name];

  test.skipIf(!sharedFixturesDir)("broker: config files: 4.9.7 consumerOffset.json", () => {
    const loaded = loadConfigFile(io, join(configDir(), "consumerOffset.json"), consumerOffsetJson);
    expect(loaded.source).toBe("main");
    const offsets = loaded.value;
    expect(offsets.dataVersion).toBeUndefined(); // 4.x writes none here
    expect(plain(offsets.offsetTable)).toEqual(
      manifestFile("consumerOffset.json").parsed.offsetTable,
    );
    expect(offsets.offsetTable.get(consumerOffsetKey("FxOrders", "FxGroup"))).toEqual(
      new Map([
        [0, 302],
        [1, 318],
        [2, 309],
        [3, 321],
      ]),
    );
    expect(offsets.offsetTable.get("%RETRY%FxGroup@FxGroup")).toEqual(new Map([[0, 6]]));
    expect(offsets.offsetTable.get("RMQ_SYS_TRANS_HALF_TOPIC@CID_RMQ_SYS_TRANS")).toEqual(
      new Map([[0, 4]]),
    );
    expect(offsets.offsetTable.get("RMQ_SYS_TRANS_OP_HALF_TOPIC@CID_RMQ_SYS_TRANS")).toEqual(
      new Map([[0, 3]]),
    );
    // Ours differs from the Java broker's only in table order (its hash map's, ours sorted).
    const raw: string = manifestFile("consumerOffset.json").raw;
    const lines = (text: string) =>
      text
        .split("\n")
        .map((line) => line.replace(/,$/, ""))
        .sort();
    expect(lines(encodeConsumerOffsets(offsets))).toEqual(lines(raw));
    expect(
      decodeConsumerOffsets(readFileSync(join(configDir(), "consumerOffset.json.bak"), "utf8")),
    ).toEqual(offsets);
  });

  test.skipIf(!sharedFixturesDir)("broker: config files: 4.9.7 delayOffset.json", () => {
    const text = readFileSync(join(configDir(), "delayOffset.json"), "utf8");
    const delay = decodeDelayOffsets(text);
    expect(delay.dataVersion).toBeUndefined();
    expect(delay.offsetTable).toEqual(
      new Map([
        [1, 1],
        [3, 7],
      ]),
    );
    expect(plain(delay.offsetTable)).toEqual(manifestFile("delayOffset.json").parsed.offsetTable);
    // Byte for byte what the Java broker wrote, bare keys and fastjson's layout included.
    expect(encodeDelayOffsets(delay)).toBe(text);
  });

  test.skipIf(!sharedFixturesDir)("broker: config files: 4.9.7 topics.json", () => {
    const text = readFileSync(join(configDir(), "topics.json"), "utf8");
    const topics = decodeTopics(text);
    const parsed = manifestFile("topics.json").parsed;
    expect(topics.dataVersion).toEqual({ ...parsed.dataVersion, stateVersion: 0 });
    expect([...topics.topicConfigTable.keys()].sort()).toEqual(
      Object.keys(parsed.topicConfigTable).sort(),
    );
    for (const [name, members] of Object.entries(parsed.topicConfigTable)) {
      const ours = topics.topicConfigTable.get(name)!;
      expect(ours).toEqual({ ...(members as TopicConfig), attributes: {} });
    }
    const queues = (name: string) => {
      const config = topics.topicConfigTable.get(name)!;
      return [config.readQueueNums, config.writeQueueNums, config.perm];
    };
    expect(queues("FxOrders")).toEqual([4, 4, 6]);
    expect(queues("FxEvents")).toEqual([2, 2, 6]);
    expect(queues("%RETRY%FxGroup")).toEqual([1, 1, 6]);
    expect(queues("%DLQ%FxGroup")).toEqual([1, 1, 6]);
    expect(queues("RMQ_SYS_TRANS_HALF_TOPIC")).toEqual([1, 1, 6]);
    expect(queues("SCHEDULE_TOPIC_XXXX")).toEqual([18, 18, 6]);
    expect(queues("TBW102")).toEqual([8, 8, 7]);
    expect(queues("BenchmarkTest")[0]).toBe(1024);
    expect(queues("DefaultCluster")).toEqual([16, 16, 7]);
    expect(queues("broker-a")[2]).toBe(7);
    const longName = [...topics.topicConfigTable.keys()].find((n) => n.startsWith("FxTopic127_"));
    expect(longName?.length).toBe(127);
    expect(topics.topicConfigTable.has("RMQ_SYS_TRANS_OP_HALF_TOPIC")).toBe(false);
    // Every line the Java broker wrote appears in ours; we add attributes and stateVersion.
    const ours = new Set(
      encodeTopics(topics)
        .split("\n")
        .map((l) => l.replace(/,$/, "")),
    );
    for (const line of text.split("\n")) expect(ours.has(line.replace(/,$/, ""))).toBe(true);
    const bak = decodeTopics(readFileSync(join(configDir(), "topics.json.bak"), "utf8"));
    expect(bak.dataVersion.counter).toBeLessThan(topics.dataVersion.counter);
  });

  test.skipIf(!sharedFixturesDir)("broker: config files: 4.9.7 subscriptionGroup.json", () => {
    const text = readFileSync(join(configDir(), "subscriptionGroup.json"), "utf8");
    const groups = decodeSubscriptionGroups(text);
    const parsed = manifestFile("subscriptionGroup.json").parsed;
    expect(groups.dataVersion).toEqual({ ...parsed.dataVersion, stateVersion: 0 });
    expect(groups.forbiddenTable.size).toBe(0);
    expect([...groups.subscriptionGroupTable.keys()].sort()).toEqual([
      "CID_ONS-HTTP-PROXY",
      "CID_ONSAPI_OWNER",
      "CID_ONSAPI_PERMISSION",
      "CID_ONSAPI_PULL",
      "FILTERSRV_CONSUMER",
      "FxGroup",
      "SELF_TEST_C_GROUP",
      "TOOLS_CONSUMER",
    ]);
    for (const [name, members] of Object.entries(parsed.subscriptionGroupTable)) {
      const ours = groups.subscriptionGroupTable.get(name)!;
      // 4.9.7 writes nine members; the five 5.x added are defaulted, nothing else is left over.
      expect(ours).toEqual({ ...defaultSubscriptionGroup(name), ...(members as object) });
      expect(ours.otherMembers).toEqual({});
    }
    expect(groups.subscriptionGroupTable.get("FxGroup")!.retryMaxTimes).toBe(16);
    const ours = new Set(
      encodeSubscriptionGroups(groups)
        .split("\n")
        .map((l) => l.replace(/,$/, "")),
    );
    for (const line of text.split("\n")) expect(ours.has(line.replace(/,$/, ""))).toBe(true);
  });

  test.skipIf(!sharedFixturesDir)(
    "broker: config files: 4.9.7 crash store has topics.json and nothing else to load",
    () => {
      const dir = join(storeFixture("crash")!, "config");
      const topics = loadConfigFile(io, join(dir, "topics.json"), topicsJson);
      expect(topics.source).toBe("main");
      expect(topics.value.topicConfigTable.get("FxOrders")?.writeQueueNums).toBe(4);
      expect(topics.value.topicConfigTable.get("FxEvents")?.writeQueueNums).toBe(2);
      for (const codec of [consumerOffsetJson, subscriptionGroupJson, delayOffsetJson]) {
        const loaded = loadConfigFile(
          io,
          join(dir, codec.fileName),
          codec as ConfigFileCodec<unknown>,
        );
        expect(loaded.source).toBe("none");
      }
    },
  );
});
