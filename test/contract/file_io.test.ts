// The same expectations over every FileIO (STYLE rule 7): the real one on a temp dir and the
// in-memory one the fault tests use, so the fake cannot drift from the real thing.

import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RealFileIO, type FileIO } from "../../core/store/file_io.ts";
import { MemoryFileIO } from "../harness/memory_file_io.ts";

const implementations: [string, () => { io: FileIO; root: string }][] = [
  ["real", () => ({ io: new RealFileIO(), root: mkdtempSync(join(tmpdir(), "rmq-fileio-")) })],
  [
    "memory",
    () => {
      const io = new MemoryFileIO();
      io.mkdirs("/mem/root");
      return { io, root: "/mem/root" };
    },
  ],
];

for (const [name, make] of implementations) {
  describe(`contract: file io: ${name}`, () => {
    test(`contract: file io: ${name}: positional writes, reads, sizes and maps agree`, () => {
      const { io, root } = make();
      const path = join(root, "a");
      const handle = io.open(path, { create: true });
      handle.truncate(16);
      handle.write(Uint8Array.of(1, 2, 3), 4);
      handle.write(Uint8Array.of(9), 15);
      handle.sync();
      expect(handle.sizeBytes()).toBe(16);
      expect([...handle.read(3, 3)]).toEqual([0, 1, 2]);
      expect([...handle.read(14, 10)]).toEqual([0, 9]); // short at the end
      expect([...io.map(path)]).toEqual([0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
      handle.truncate(5);
      expect(io.sizeBytes(path)).toBe(5);
      handle.close();
    });

    test(`contract: file io: ${name}: directories list sorted; remove and rename`, () => {
      const { io, root } = make();
      io.mkdirs(join(root, "d", "e"));
      for (const n of ["b", "a", "c"]) io.open(join(root, "d", n), { create: true }).close();
      expect(io.list(join(root, "d"))).toEqual(["a", "b", "c", "e"]);
      expect(io.isDirectory(join(root, "d", "e"))).toBe(true);
      expect(io.isDirectory(join(root, "d", "a"))).toBe(false);
      io.rename(join(root, "d", "a"), join(root, "d", "z"));
      io.remove(join(root, "d", "b"));
      expect(io.list(join(root, "d"))).toEqual(["c", "e", "z"]);
      expect(io.list(join(root, "missing"))).toEqual([]);
      expect(io.exists(join(root, "d", "b"))).toBe(false);
      expect(() => io.open(join(root, "nope"), { create: false })).toThrow();
    });
  });
}
