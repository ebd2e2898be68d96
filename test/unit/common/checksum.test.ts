// Hashes that must match Java bit for bit.

import { describe, expect, test } from "bun:test";
import { crc32, crc32Masked, javaStringHashCode } from "../../../core/common/checksum.ts";
import { decodeFrameContent } from "../../../core/protocol/frame.ts";
import { hexToBytes, sharedFixturesDir, wireRecords } from "../../harness/shared_fixtures.ts";

describe("common: checksum", () => {
  test("common: checksum: crc32 matches the IEEE check value", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32Masked(new TextEncoder().encode("123456789"))).toBe(0x4bf43926);
  });

  test("common: checksum: String.hashCode wraps like a Java int", () => {
    // "hello" is Java's documented example; the others were computed independently from the
    // Javadoc formula over UTF-16 code units with 32-bit wrap.
    expect(javaStringHashCode("")).toBe(0);
    expect(javaStringHashCode("hello")).toBe(99162322);
    expect(javaStringHashCode("TagA")).toBe(2598919);
    expect(javaStringHashCode("hello world, this wraps")).toBe(1020677791);
    expect(javaStringHashCode("中文")).toBe(646394);
    expect(javaStringHashCode("a".repeat(40))).toBe(javaStringHashCode("a".repeat(40)) | 0);
  });

  test.skipIf(!sharedFixturesDir)(
    "common: checksum: masked crc32 equals the bodyCrc32 a RocketMQ broker sent",
    () => {
      const registrations = wireRecords("01-broker-master-start.jsonl").filter(
        (r) => r.decoded.code === 103 && !r.decoded.isResponse,
      );
      expect(registrations.length).toBeGreaterThan(0);
      for (const record of registrations) {
        const cmd = decodeFrameContent(hexToBytes(record.hex).subarray(4));
        expect(crc32Masked(cmd.body!)).toBe(Number(cmd.extFields!.get("bodyCrc32")));
      }
    },
  );
});
