// Offset message ids (store IP + port + physical offset, upper-case hex): the IPv4 host part is
// cached by address, so equal addresses in different objects, near misses and odd ports must
// each give the bytes spelled out, and decoding must give them back.

import { describe, expect, test } from "bun:test";
import { createOffsetMessageId, decodeOffsetMessageId } from "../../../core/common/message.ts";

const v4 = (a: number, b: number, c: number, d: number, port: number) => ({
  ip: Uint8Array.of(a, b, c, d),
  port,
});

describe("common: offset message id", () => {
  test("common: offset message id: IPv4 bytes spelled out, cached by address", () => {
    // 127.0.0.1, port 10911 = 0x2A9F, offset 0x1_0000_0100.
    const expected = "7F00000100002A9F0000000100000100";
    expect(createOffsetMessageId(v4(127, 0, 0, 1, 10911), 0x1_0000_0100)).toBe(expected);
    expect(createOffsetMessageId(v4(127, 0, 0, 1, 10911), 0x1_0000_0100)).toBe(expected);
    expect(createOffsetMessageId(v4(127, 0, 0, 1, 10912), 0)).toBe(
      "7F00000100002AA00000000000000000",
    );
    expect(createOffsetMessageId(v4(255, 255, 255, 255, 65535), 2 ** 53 - 1)).toBe(
      "FFFFFFFF0000FFFF001FFFFFFFFFFFFF",
    );
    // A port outside 16 bits (a corrupt record) goes the uncached way, as an int32.
    expect(createOffsetMessageId(v4(10, 0, 0, 1, -1), 5)).toBe("0A000001FFFFFFFF0000000000000005");
    for (let i = 0; i < 5000; i++) {
      const host = v4(192, 168, i >> 8, i & 0xff, 9876);
      const id = createOffsetMessageId(host, i);
      expect(decodeOffsetMessageId(id)).toEqual({ storeHost: host, physicalOffset: i });
    }
  });

  test("common: offset message id: IPv6 hosts", () => {
    const ip = Uint8Array.from({ length: 16 }, (_, i) => i);
    const id = createOffsetMessageId({ ip, port: 10911 }, 7);
    expect(id).toBe("000102030405060708090A0B0C0D0E0F00002A9F0000000000000007");
    expect(decodeOffsetMessageId(id)).toEqual({
      storeHost: { ip, port: 10911 },
      physicalOffset: 7,
    });
  });
});
