// Host addresses as clients print them ("ip:port", IPv6 in brackets); IPv4 text is cached, so
// a repeat must give the same text and a near miss (another port, another byte) its own.

import { describe, expect, test } from "bun:test";
import { formatHost } from "../../../core/common/message.ts";

const v4 = (a: number, b: number, c: number, d: number, port: number) => ({
  ip: Uint8Array.of(a, b, c, d),
  port,
});

describe("common: format host", () => {
  test("common: format host: IPv4, repeated and near misses", () => {
    expect(formatHost(v4(127, 0, 0, 1, 10911))).toBe("127.0.0.1:10911");
    expect(formatHost(v4(127, 0, 0, 1, 10911))).toBe("127.0.0.1:10911");
    expect(formatHost(v4(127, 0, 0, 1, 10912))).toBe("127.0.0.1:10912");
    expect(formatHost(v4(127, 0, 0, 2, 10911))).toBe("127.0.0.2:10911");
    expect(formatHost(v4(255, 255, 255, 255, 65535))).toBe("255.255.255.255:65535");
    expect(formatHost(v4(10, 0, 0, 1, 0))).toBe("10.0.0.1:0");
    // A port outside 16 bits (a corrupt record) is printed as it is, not cached.
    expect(formatHost(v4(10, 0, 0, 1, 70000))).toBe("10.0.0.1:70000");
    expect(formatHost(v4(10, 0, 0, 1, -1))).toBe("10.0.0.1:-1");
    for (let i = 0; i < 5000; i++) {
      expect(formatHost(v4(192, 168, i >> 8, i & 0xff, 9876))).toBe(
        `192.168.${i >> 8}.${i & 0xff}:9876`,
      );
    }
  });

  test("common: format host: IPv6 in brackets", () => {
    const ip = new Uint8Array(16);
    ip[15] = 1;
    expect(formatHost({ ip, port: 10911 })).toBe("[0:0:0:0:0:0:0:1]:10911");
  });
});
