// SYNC_FLUSH shape benchmark (not a test): what group commit can reach on this disk before any
// store code runs. bench_store's SYNC reference writes all N records of N appenders and then
// fdatasyncs, one cycle after another. A store serving N independent senders cannot wait for
// all of them: it flushes the group that is ready while the others are still sending, so with
// k fdatasyncs in flight each covers about N / (k + 1) records (bench_store prints the store's
// own puts/fsync: 128 with one flight, 86-90 with two, at 256 appenders). This script measures
// that pattern with no per-record CPU at all, next to the serial reference, in the same run:
// its ratio is a ceiling for the store's SYNC_FLUSH x N ratio, whatever a put costs.
//
//   npx bun scripts/bench_sync_shape.ts [--quick]
//
// Files: sparse (ftruncate, as the store's segments) and zero-filled beforehand (the pages
// already allocated, as RocketMQ's warmMapedFileEnable leaves them), in a temp dir under
// os.tmpdir(), deleted at the end.

import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { int, median, printTable } from "./bench_table.ts";
import { assert, MiB } from "../core/common/index.ts";

const quick = process.argv.includes("--quick");
const appenderCount = 256;
/** A 128 B body's record in bench_store (header, topic, UNIQ_KEY, TAGS, WAIT properties). */
const recordBytes = 291;
const cellMs = quick ? 300 : 1_000;
const roundCount = quick ? 1 : 3;
/** One cell's file: more than a cell writes at 1.2M records/s (the disk's best here). */
const fileBytes = 512 * MiB;
const flightCounts = [1, 2, 3];

function openFile(path: string, zeroFilled: boolean): number {
  const fd = openSync(path, "w+");
  ftruncateSync(fd, fileBytes);
  if (zeroFilled) {
    const zeros = new Uint8Array(8 * MiB);
    for (let at = 0; at < fileBytes; at += zeros.length) writeSync(fd, zeros, 0, zeros.length, at);
    fdatasyncSync(fd);
  }
  return fd;
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.length;) {
    done += writeSync(fd, bytes, done, bytes.length - done, position + done);
  }
}

/** bench_store's reference: write N records, fdatasync, repeat. Records per second. */
function serialRecordsPerSecond(fd: number): number {
  const batch = new Uint8Array(recordBytes * appenderCount).fill(1);
  let position = 0;
  let recordCount = 0;
  const startMs = performance.now();
  while (performance.now() - startMs < cellMs) {
    assert(position + batch.length <= fileBytes, "a cell stays inside its file");
    writeAll(fd, batch, position);
    fdatasyncSync(fd);
    position += batch.length;
    recordCount += appenderCount;
  }
  return (recordCount / (performance.now() - startMs)) * 1000;
}

/**
 * Group commit's shape at zero CPU: a group of N / (k + 1) records is written and its
 * fdatasync started (off this thread, as the store's) whenever fewer than k are in flight.
 */
async function pipelinedRecordsPerSecond(fd: number, flightCount: number): Promise<number> {
  const groupCount = Math.floor(appenderCount / (flightCount + 1));
  const group = new Uint8Array(recordBytes * groupCount).fill(2);
  let position = 0;
  let recordCount = 0;
  let inFlight = 0;
  const startMs = performance.now();
  await new Promise<void>((done) => {
    const startFlights = () => {
      while (inFlight < flightCount) {
        if (performance.now() - startMs >= cellMs) {
          if (inFlight === 0) done();
          return;
        }
        assert(position + group.length <= fileBytes, "a cell stays inside its file");
        writeAll(fd, group, position);
        position += group.length;
        inFlight++;
        fdatasync(fd, (error) => {
          if (error) throw error;
          inFlight--;
          recordCount += groupCount;
          startFlights();
        });
      }
    };
    startFlights();
  });
  return (recordCount / (performance.now() - startMs)) * 1000;
}

const dir = mkdtempSync(join(tmpdir(), "rmq-sync-shape-"));
try {
  console.log(
    `SYNC_FLUSH shape: ${appenderCount} appenders, ${recordBytes} B records, ` +
      `${roundCount} rounds of ${cellMs} ms per cell, zero CPU per record`,
  );
  const rows: string[][] = [];
  for (const zeroFilled of [false, true]) {
    const serial: number[] = [];
    const pipelined = new Map<number, number[]>(flightCounts.map((k) => [k, []]));
    // Cells take turns within a round, each on a file of its own (pages never written before).
    const inFreshFile = async (measure: (fd: number) => number | Promise<number>) => {
      const path = join(dir, `shape-${zeroFilled}`);
      const fd = openFile(path, zeroFilled);
      try {
        return await measure(fd);
      } finally {
        closeSync(fd);
        rmSync(path);
      }
    };
    for (let round = 0; round < roundCount; round++) {
      serial.push(await inFreshFile(serialRecordsPerSecond));
      for (const k of flightCounts) {
        pipelined.get(k)!.push(await inFreshFile((fd) => pipelinedRecordsPerSecond(fd, k)));
      }
    }
    const file = zeroFilled ? "zero-filled" : "sparse";
    const serialMedian = median(serial);
    rows.push([file, `serial, ${appenderCount} per fdatasync`, int(serialMedian), "1.00"]);
    for (const k of flightCounts) {
      const rate = median(pipelined.get(k)!);
      const perSync = Math.floor(appenderCount / (k + 1));
      rows.push([
        file,
        `${k} in flight, ${perSync} per fdatasync`,
        int(rate),
        (rate / serialMedian).toFixed(2),
      ]);
    }
  }
  printTable(["file", "pattern", "records/s", "/serial"], rows);
  console.log(
    "  /serial of a pipelined row bounds bench_store's SYNC_FLUSH x256 store/raw ratio " +
      "for that flight count",
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
