// A consume queue answers reads of its newest units from memory: the answers must be exactly
// what its files hold, through truncation, rewriting and retention. Reads the memory does not
// cover still go to the files: corrupted file bytes show up there and only there.

import { describe, expect, test } from "bun:test";
import { ConsumeQueue } from "../../../core/store/consume_queue.ts";
import { CQ_STORE_UNIT_SIZE } from "../../../core/store/consume_queue_codec.ts";
import { MemoryFileIO } from "../../harness/memory_file_io.ts";

const dir = "/store/consumequeue/T/0";
const unitsPerFile = 100;
const fileSizeBytes = unitsPerFile * CQ_STORE_UNIT_SIZE;
/** The queue keeps its newest 2048 units in memory (consume_queue.ts). */
const recentUnitCount = 2048;

function openQueue(io: MemoryFileIO): ConsumeQueue {
  const queue = new ConsumeQueue(io, dir, "T", 0, fileSizeBytes);
  queue.recover(false);
  return queue;
}

/** Units pointing at records of 100 bytes each, `generation` telling rewrites apart. */
function putUnits(queue: ConsumeQueue, from: number, to: number, generation: number): void {
  for (let q = from; q < to; q++) {
    queue.put(q, { physicalOffset: q * 100, size: 100, tagsCode: generation * 1_000_000 + q });
  }
}

/** What a fresh reader of the same files answers, unit by unit. */
function fromFiles(io: MemoryFileIO, from: number, count: number) {
  const fresh = openQueue(io);
  const units = fresh.unitsFrom(from, count);
  fresh.close();
  return units;
}

describe("store: consume queue recent units", () => {
  test("store: consume queue recent units: newest from memory, older from the files", () => {
    const io = new MemoryFileIO();
    const queue = openQueue(io);
    const total = 3000;
    putUnits(queue, 0, total, 1);
    queue.writePending(); // every unit written: the ring holds the newest 2048
    // Flip the first byte of every unit in every file: a read from a file now shows it.
    for (const name of io.list(dir)) {
      const offsets = new Set<number>();
      for (let at = 0; at < fileSizeBytes; at += CQ_STORE_UNIT_SIZE) offsets.add(at);
      io.corruptReads.set(`${dir}/${name}`, offsets);
    }
    const oldestHeld = total - recentUnitCount;
    const held = queue.unitsFrom(oldestHeld, 32);
    expect(held).toHaveLength(32);
    held.forEach((unit, i) => expect(unit.physicalOffset).toBe((oldestHeld + i) * 100));
    expect(queue.unitAt(total - 1)?.tagsCode).toBe(1_000_000 + total - 1);
    // One unit older than the memory holds comes from its file, corrupted.
    expect(queue.unitAt(oldestHeld - 1)?.physicalOffset).not.toBe((oldestHeld - 1) * 100);
    queue.close();
  });

  test("store: consume queue recent units: units not yet written are read from memory", () => {
    const io = new MemoryFileIO();
    const queue = openQueue(io);
    putUnits(queue, 0, 150, 1); // 100 written (the first file filled), 50 gathered
    putUnits(queue, 150, 160, 1);
    // A read across written and gathered units answers them all and writes nothing.
    const units = queue.unitsFrom(90, 70);
    expect(units.map((u) => u.physicalOffset)).toEqual(
      Array.from({ length: 70 }, (_, i) => (90 + i) * 100),
    );
    expect(queue.unitAt(159)?.tagsCode).toBe(1_000_159);
    expect(fromFiles(io, 100, 60)).toEqual([]);
    // A cut applies to gathered units too, and to the files once they are written.
    queue.truncateByPhysical(155 * 100);
    expect(queue.maxOffset).toBe(155);
    expect(queue.unitAt(155)).toBeUndefined();
    putUnits(queue, 155, 170, 2);
    expect(queue.unitsFrom(150, 30).map((u) => u.tagsCode)).toEqual([
      ...Array.from({ length: 5 }, (_, i) => 1_000_150 + i),
      ...Array.from({ length: 15 }, (_, i) => 2_000_155 + i),
    ]);
    queue.flush();
    expect(fromFiles(io, 100, 70)).toEqual(queue.unitsFrom(100, 70));
    queue.close();
  });

  test("store: consume queue recent units: a failed write keeps the units for readers", () => {
    const io = new MemoryFileIO();
    const queue = openQueue(io);
    putUnits(queue, 0, 30, 1);
    io.bytesBudget = 7 * CQ_STORE_UNIT_SIZE + 3; // the disk fills up part way through a unit
    expect(() => queue.writePending()).toThrow();
    expect(queue.unitsFrom(0, 30).map((u) => u.physicalOffset)).toEqual(
      Array.from({ length: 30 }, (_, i) => i * 100),
    );
    // The files refuse writes from then on; what readers get does not change.
    io.bytesBudget = Infinity;
    putUnits(queue, 30, 35, 1);
    expect(() => queue.flush()).toThrow(/ENOSPC/);
    expect(queue.unitsFrom(0, 35)).toHaveLength(35);
    expect(queue.unitAt(7)?.physicalOffset).toBe(700); // the unit the disk tore
    expect(fromFiles(io, 0, 35)).toHaveLength(7);
    expect(() => queue.close()).toThrow(/ENOSPC/); // the files close all the same
  });

  test("store: consume queue recent units: answers match the files after a cut and rewrite", () => {
    const io = new MemoryFileIO();
    const queue = openQueue(io);
    putUnits(queue, 0, 2600, 1);
    queue.truncateByPhysical(2500 * 100); // units 2500.. pointed past the cut
    expect(queue.maxOffset).toBe(2500);
    expect(queue.unitAt(2550)).toBeUndefined();
    putUnits(queue, 2500, 2700, 2);
    queue.flush();
    const fromMemory = queue.unitsFrom(2480, 40);
    expect(fromMemory.map((u) => u.tagsCode)).toEqual(
      fromFiles(io, 2480, 40).map((u) => u.tagsCode),
    );
    expect(fromMemory[19]!.tagsCode).toBe(1_000_000 + 2499);
    expect(fromMemory[20]!.tagsCode).toBe(2_000_000 + 2500);
    queue.close();
  });

  test("store: consume queue recent units: retired files are not answered from memory", () => {
    const io = new MemoryFileIO();
    const queue = openQueue(io);
    putUnits(queue, 0, 250, 1); // three files, all of it held in memory
    const removed = queue.deleteBelow(200 * 100); // records below 200 are gone
    expect(removed).toBe(2);
    expect(queue.minOffset).toBe(200);
    expect(queue.unitAt(150)).toBeUndefined();
    expect(queue.unitsFrom(199, 3)).toEqual([]);
    expect(queue.unitsFrom(200, 2).map((u) => u.physicalOffset)).toEqual([20_000, 20_100]);
    queue.close();
  });

  test("store: consume queue recent units: nothing from memory once every file is gone", () => {
    const io = new MemoryFileIO();
    const queue = openQueue(io);
    putUnits(queue, 0, 250, 1);
    queue.deleteBelow(200 * 100);
    queue.truncateByPhysical(0); // a rejoining replica cuts everything
    expect(queue.unitAt(199)).toBeUndefined();
    expect(queue.unitsFrom(150, 3)).toEqual([]);
    expect(queue.maxPhysicalEnd).toBe(0);
    queue.close();
  });

  test("store: consume queue recent units: a cut whose flush fails still forgets the units", () => {
    const io = new MemoryFileIO();
    const queue = openQueue(io);
    putUnits(queue, 0, 50, 1);
    io.failSync = true;
    expect(() => queue.truncateByPhysical(30 * 100)).toThrow();
    expect(queue.unitAt(40)?.physicalOffset).not.toBe(4000);
  });
});
