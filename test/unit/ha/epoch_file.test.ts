// The epoch file's text (RocketMQ's CheckpointFile of "<epoch>-<startOffset>" lines) and the
// rule replicas use to find the last byte they share.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CorruptionError } from "../../../core/common/errors.ts";
import {
  decodeEpochFile,
  encodeEpochFile,
  EpochFile,
  lastCommonOffset,
  truncationPoint,
} from "../../../core/ha/epoch_file.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("ha: epoch file", () => {
  test("ha: epoch file: text layout with a masked CRC32 of the entry lines", () => {
    const entries = [
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 1_048_576 },
    ];
    const text = encodeEpochFile(entries);
    // The checksum is CRC32 of the entry lines masked to 31 bits, as UtilAll.crc32 gives.
    const lines = text.split("\n");
    expect(lines.slice(0, 1)).toEqual(["2"]);
    expect(lines.slice(2)).toEqual(["1-0", "2-1048576", ""]);
    expect(Number(lines[1])).toBe(Number(BigInt(Bun.hash.crc32("1-0\n2-1048576\n")) & 0x7fffffffn));
    expect(decodeEpochFile(text)).toEqual(entries);
    expect(decodeEpochFile("1\n0\n3-100\n")).toEqual([{ epoch: 3, startOffset: 100 }]); // unchecked
  });

  test("ha: epoch file: a wrong count, checksum or order is corruption", () => {
    const good = encodeEpochFile([{ epoch: 1, startOffset: 0 }]);
    expect(() => decodeEpochFile(good.replace(/^1/, "2"))).toThrow(CorruptionError);
    expect(() => decodeEpochFile(good.replace("1-0", "1-1"))).toThrow(CorruptionError);
    expect(() => decodeEpochFile("2\n0\n2-0\n1-5\n")).toThrow(CorruptionError);
    expect(() => decodeEpochFile("")).toThrow(CorruptionError);
  });

  test("ha: epoch file: appends persist with a .bak; a corrupt file falls back to it", () => {
    const dir = mkdtempSync(join(tmpdir(), "rmq-epoch-"));
    dirs.push(dir);
    const path = join(dir, "epochFileCheckpoint");
    const file = new EpochFile(path);
    file.load();
    expect(file.lastEpoch()).toBe(0);
    file.append({ epoch: 1, startOffset: 0 });
    file.append({ epoch: 1, startOffset: 0 }); // the same epoch again: nothing new
    file.append({ epoch: 3, startOffset: 500 });
    expect(() => file.append({ epoch: 2, startOffset: 900 })).toThrow();
    expect(readFileSync(`${path}.bak`, "utf8")).toBe(
      encodeEpochFile([{ epoch: 1, startOffset: 0 }]),
    );
    writeFileSync(path, "garbage");
    const reread = new EpochFile(path);
    reread.load();
    expect(reread.entries()).toEqual([{ epoch: 1, startOffset: 0 }]);
    file.append({ epoch: 4, startOffset: 500 }); // epoch 3 wrote nothing: epoch 4 replaces it
    expect(file.entries()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 4, startOffset: 500 },
    ]);
    file.truncateFrom(500);
    expect(file.entries()).toEqual([{ epoch: 1, startOffset: 0 }]);
    expect(file.entryAt(10)?.epoch).toBe(1);
  });

  test("ha: epoch file: the last common offset of two replicas", () => {
    const a = [
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 100 },
    ];
    // Same history, one replica behind: the shorter end.
    expect(lastCommonOffset(a, 250, a, 300)).toBe(250);
    // The other went on in epoch 3 from 180: epoch 2 is shared up to 180.
    const b = [...a, { epoch: 3, startOffset: 180 }];
    expect(lastCommonOffset(a, 250, b, 400)).toBe(180);
    // A deposed master that wrote epoch 2 alone; the new master's epoch 2 started elsewhere.
    const c = [
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 120 },
    ];
    expect(lastCommonOffset(a, 250, c, 400)).toBe(100);
    expect(lastCommonOffset(a, 250, [{ epoch: 5, startOffset: 0 }], 10)).toBe(-1);
    expect(lastCommonOffset([], 0, a, 300)).toBe(-1);
  });

  test("ha: epoch file: where a rejoining replica cuts, or that it cannot tell", () => {
    const mine = [{ epoch: 1, startOffset: 0 }];
    // A master killed before its first bytes reached anyone; its successor's epoch 2 took the
    // same start (replacing the empty epoch 1): none of the dead master's bytes are shared.
    expect(truncationPoint(mine, 500, [{ epoch: 2, startOffset: 0 }], 300)).toBe(0);
    // Shared history: the last common offset.
    expect(truncationPoint(mine, 500, [...mine, { epoch: 2, startOffset: 400 }], 900)).toBe(400);
    // The master's list starts later (trimmed): undecidable, keep everything.
    expect(
      truncationPoint([{ epoch: 3, startOffset: 100 }], 500, [{ epoch: 5, startOffset: 200 }], 900),
    ).toBeNull();
    // No epochs here: a store from before controller mode keeps its log.
    expect(truncationPoint([], 500, mine, 900)).toBe(500);
  });
});
