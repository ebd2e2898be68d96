// The classic HA port codec against the bytes Apache RocketMQ 4.9.7's master and slave exchanged
// (shared/fixtures/rocketmq-wire/*.ha-raw.jsonl): every chunk decodes to the units the capture
// tool parsed, whatever the chunking; re-encoded headers and reports equal the captured bytes.

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  encodeSlaveReport,
  encodeTransferHeader,
  SlaveReportDecoder,
  TransferDecoder,
} from "../../../core/ha/ha_codec.ts";
import { hexToBytes, sharedFixturesDir, skipReason } from "../../harness/shared_fixtures.ts";

const describeIfFixtures = sharedFixturesDir ? describe : describe.skip;
if (!sharedFixturesDir) console.warn(`skipping HA capture tests: ${skipReason}`);

interface RawChunk {
  dir?: "c2s" | "s2c";
  raw?: boolean;
  hex?: string;
}

function chunks(file: string): RawChunk[] {
  const text = readFileSync(join(sharedFixturesDir!, "rocketmq-wire", file), "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RawChunk)
    .filter((c) => c.raw && c.hex !== undefined);
}

describe("ha: codec", () => {
  test("ha: codec: headers and reports in big-endian", () => {
    expect(Buffer.from(encodeSlaveReport(0x0102030405)).toString("hex")).toBe("0000000102030405");
    expect(Buffer.from(encodeTransferHeader(10_632, 215)).toString("hex")).toBe(
      "0000000000002988000000d7",
    );
    const reports = new SlaveReportDecoder();
    const bytes = new Uint8Array([...encodeSlaveReport(7), ...encodeSlaveReport(9)]);
    expect(reports.push(bytes.subarray(0, 5))).toBeUndefined();
    expect(reports.push(bytes.subarray(5, 12))).toBe(7);
    expect(reports.push(bytes.subarray(12))).toBe(9);
    const frames = new TransferDecoder();
    const frame = new Uint8Array([
      ...encodeTransferHeader(5, 3),
      1,
      2,
      3,
      ...encodeTransferHeader(8, 0),
    ]);
    const got = [...frame].flatMap((b) => frames.push(Uint8Array.of(b)));
    expect(got.map((f) => [f.offset, [...f.data]])).toEqual([
      [5, [1, 2, 3]],
      [8, []],
    ]);
    expect(() => new TransferDecoder().push(encodeTransferHeader(0, -1))).toThrow(/HA frame/);
  });
});

describeIfFixtures("ha: codec against 4.9.7", () => {
  test("ha: codec: the captured slave reports and master frames decode", () => {
    const all = chunks("09-broker-slave-register-and-ha.ha-raw.jsonl");
    const reports = new SlaveReportDecoder();
    const frames = new TransferDecoder();
    const seenReports: number[] = [];
    const seenFrames: { offset: number; size: number }[] = [];
    for (const c of all) {
      const bytes = hexToBytes(c.hex!);
      if (c.dir === "c2s") {
        const r = reports.push(bytes);
        if (r !== undefined) seenReports.push(r);
      } else {
        for (const f of frames.push(bytes))
          seenFrames.push({ offset: f.offset, size: f.data.length });
      }
    }
    // README: the initial 10,632 B transfer from offset 0, heartbeats, then 215 B after a send.
    // (The master's first frame is a heartbeat: offset 0, no data.)
    expect(seenFrames[0]).toEqual({ offset: 0, size: 0 });
    const data = seenFrames.filter((f) => f.size > 0);
    expect(data).toEqual([
      { offset: 0, size: 10_632 },
      { offset: 10_632, size: 215 },
    ]);
    expect(seenReports[0]).toBe(0);
    expect(seenReports).toContain(10_632);
    expect(Math.max(...seenReports)).toBe(10_632 + 215);
  });
});
