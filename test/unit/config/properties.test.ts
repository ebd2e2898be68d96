// Java .properties parsing and config layering.

import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../../core/common/errors.ts";
import {
  describeConfig,
  namesrvDefaults,
  namesrvSchema,
  parseProperties,
  setProperties,
  resolveConfig,
} from "../../../core/config/index.ts";
import { parseConfigUpdate } from "../../../core/config/runtime_update.ts";

describe("config: properties", () => {
  test("config: properties: separators, comments, continuations and escapes", () => {
    const text = [
      "# comment",
      "! also a comment",
      "listenPort=9877",
      "  bindAddress : 127.0.0.1",
      "key\\ with\\ space value here",
      "multi = one \\",
      "    two",
      "unicode=\\u0041\\tB",
      "",
    ].join("\n");
    expect(Object.fromEntries(parseProperties(text))).toEqual({
      listenPort: "9877",
      bindAddress: "127.0.0.1",
      "key with space": "value here",
      multi: "one two",
      unicode: "A\tB",
    });
  });

  test("config: properties: defaults < file < flags, with sources and unknown keys", () => {
    const resolved = resolveConfig(namesrvSchema, namesrvDefaults("/home/x"), [
      {
        source: "file",
        values: new Map([
          ["listenPort", "9000"],
          ["typoKey", "1"],
          ["orderMessageEnable", "true"],
        ]),
      },
      { source: "flag", values: new Map([["listenPort", "0"]]) },
    ]);
    expect(resolved.config.listenPort).toBe(0);
    expect(resolved.sources.listenPort).toBe("flag");
    expect(resolved.config.orderMessageEnable).toBe(true);
    expect(resolved.sources.orderMessageEnable).toBe("file");
    expect(resolved.config.kvConfigPath).toBe("/home/x/namesrv/kvConfig.json");
    expect(resolved.unknownKeys).toEqual(["typoKey"]);
    expect(describeConfig(resolved)).toContain("listenPort=0  # flag");
  });

  test("config: properties: bad values are ConfigErrors naming the key", () => {
    const bad: [string, string][] = [
      ["listenPort", "ninety"],
      ["listenPort", "70000"],
      ["orderMessageEnable", "yes"],
      ["scanNotActiveBrokerInterval", "0"],
    ];
    for (const [key, value] of bad) {
      expect(() =>
        resolveConfig(namesrvSchema, namesrvDefaults(), [
          { source: "file", values: new Map([[key, value]]) },
        ]),
      ).toThrow(new RegExp(`^${key}:`));
      try {
        resolveConfig(namesrvSchema, namesrvDefaults(), [
          { source: "file", values: new Map([[key, value]]) },
        ]);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
      }
    }
  });
});

describe("config: properties written back", () => {
  test("config: properties written back: keys set in place, other lines kept, new added", () => {
    const text = [
      "# broker-a",
      "brokerName=broker-a",
      "brokerPermission = 6",
      "  ! a comment",
      "long=one \\",
      "   two",
      "brokerPermission=7",
      "",
    ].join("\r\n");
    const values = new Map([
      ["brokerPermission", "4"],
      ["long", "x"],
      ["traceOn", "false"],
    ]);
    expect(setProperties(text, values)).toBe(
      [
        "# broker-a",
        "brokerName=broker-a",
        "brokerPermission=4",
        "  ! a comment",
        "long=x",
        "brokerPermission=4",
        "traceOn=false",
        "",
      ].join("\r\n"),
    );
    expect(setProperties("", new Map([["a", "b"]]))).toBe("a=b\n");
  });

  test("config: properties written back: a value reads back as written", () => {
    const value = " C:\\store\tend\n";
    const text = setProperties("x=1\n", new Map([["path", value]]));
    expect(parseProperties(text)).toEqual(
      new Map([
        ["x", "1"],
        ["path", value],
      ]),
    );
  });
});

describe("config: inherited names", () => {
  test("config: inherited names: constructor or toString is an unknown key, not a member", () => {
    const layers = [
      {
        source: "file" as const,
        values: new Map([
          ["constructor", "1"],
          ["toString", "x"],
        ]),
      },
    ];
    const resolved = resolveConfig(namesrvSchema, namesrvDefaults(), layers);
    expect(resolved.unknownKeys).toEqual(["constructor", "toString"]);
    expect(typeof resolved.config.toString).toBe("function");
    const update = parseConfigUpdate(namesrvSchema, "constructor=1\n", () => undefined);
    expect(update).toEqual({
      kind: "refused",
      code: "SYSTEM_ERROR",
      remark: "unknown config key: constructor",
    });
  });
});
