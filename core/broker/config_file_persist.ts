// Crash-safe persistence of the broker's metadata files (spec §5.12) through FileIO.
//
// persist: write `<path>.tmp` and fsync it; copy the current file to `<path>.bak` (fsynced) if it
// decodes; rename the temp file over `<path>`; fsync the directory. The rename is atomic, so at
// every instant `<path>` holds either the old or the new content, and `.bak` holds the last good
// content before that. A current file that does not decode is never copied over `.bak`: it was
// not what we loaded from, and the `.bak` is then the only good copy left.
//
// load: read `<path>`; if it is missing, empty (RocketMQ treats an empty file as absent) or does
// not decode, read `<path>.bak`. Neither present, or both empty, gives the codec's empty value.
// When a copy exists that does not decode and no copy decodes, load throws CorruptionError and
// changes nothing: an operator may want to recover those bytes, and starting empty would let the
// next persist replace them. IO errors are not corruption and propagate as they are.

import { dirname, join } from "node:path";
import { ConfigError, CorruptionError } from "../common/errors.ts";
import { MiB } from "../common/units.ts";
import type { FileIO } from "../store/file_io.ts";
import type { ConfigFileCodec } from "./config_files.ts";

/** Metadata files larger than this are refused rather than read into memory whole. */
export const configFileSizeBytesMax = 64 * MiB;

export type ConfigFileSource = "main" | "bak" | "none";

export interface LoadedConfigFile<T> {
  value: T;
  /** Which copy the value came from: "none" when there was no content (empty defaults). */
  source: ConfigFileSource;
  /** Why `<path>` was not used when source is "bak" (for the log). */
  mainProblem: string | null;
}

type Candidate<T> =
  | { kind: "missing" }
  | { kind: "empty" }
  | { kind: "corrupt"; reason: string }
  | { kind: "ok"; value: T; bytes: Uint8Array };

const utf8Strict = new TextDecoder("utf-8", { fatal: true });

/** `<storeRoot>/config/<fileName>`, where RocketMQ's BrokerPathConfigHelper puts them. */
export function configFilePath(storeRoot: string, codec: ConfigFileCodec<unknown>): string {
  return join(storeRoot, "config", codec.fileName);
}

export function loadConfigFile<T>(
  io: FileIO,
  path: string,
  codec: ConfigFileCodec<T>,
): LoadedConfigFile<T> {
  const main = readCandidate(io, path, codec);
  if (main.kind === "ok") return { value: main.value, source: "main", mainProblem: null };
  const bakPath = `${path}.bak`;
  const bak = readCandidate(io, bakPath, codec);
  if (bak.kind === "ok") {
    return { value: bak.value, source: "bak", mainProblem: describe(main) };
  }
  if (main.kind === "corrupt" || bak.kind === "corrupt") {
    throw new CorruptionError(
      `cannot load ${codec.fileName}: ${path}: ${describe(main)}; ${bakPath}: ${describe(bak)}; ` +
        "neither was changed: repair them or move them aside",
    );
  }
  return { value: codec.empty(), source: "none", mainProblem: null };
}

export function persistConfigFile<T>(
  io: FileIO,
  path: string,
  codec: ConfigFileCodec<T>,
  value: T,
): void {
  const bytes = encodedForPersist(codec, value);
  const dir = dirname(path);
  io.mkdirs(dir);
  writeWholeFile(io, `${path}.tmp`, bytes);
  const current = readCandidate(io, path, codec);
  if (current.kind === "ok") writeWholeFile(io, `${path}.bak`, current.bytes);
  io.rename(`${path}.tmp`, path);
  io.syncDirectory(dir);
}

/**
 * persistConfigFile with its three fsyncs off the event loop (they took 2.4-18.7 ms of the
 * thread every request runs on). `value` is encoded before the first await, so it may change
 * meanwhile. A synchronous persist of the same file may run while this one waits (a stop):
 * `superseded` then says so, and this one gives up before its next step rather than rename
 * older bytes over newer ones. Resolves true once the new content is durable in place.
 */
export async function persistConfigFileAsync<T>(
  io: FileIO,
  path: string,
  codec: ConfigFileCodec<T>,
  value: T,
  superseded: () => boolean,
): Promise<boolean> {
  const bytes = encodedForPersist(codec, value);
  const dir = dirname(path);
  io.mkdirs(dir);
  await writeWholeFileAsync(io, `${path}.tmp`, bytes);
  if (superseded()) return false;
  const current = readCandidate(io, path, codec);
  if (current.kind === "ok") {
    await writeWholeFileAsync(io, `${path}.bak`, current.bytes);
    if (superseded()) return false;
  }
  io.rename(`${path}.tmp`, path);
  await io.syncDirectoryAsync(dir);
  return true;
}

function encodedForPersist<T>(codec: ConfigFileCodec<T>, value: T): Uint8Array {
  const bytes = new TextEncoder().encode(codec.encode(value));
  if (bytes.length > configFileSizeBytesMax) {
    throw new ConfigError(
      `${codec.fileName} would be ${bytes.length} bytes, more than ${configFileSizeBytesMax}`,
    );
  }
  return bytes;
}

function readCandidate<T>(io: FileIO, path: string, codec: ConfigFileCodec<T>): Candidate<T> {
  if (!io.exists(path)) return { kind: "missing" };
  const sizeBytes = io.sizeBytes(path);
  if (sizeBytes > configFileSizeBytesMax) {
    // Not a torn write: refuse outright instead of falling back to an older copy.
    throw new ConfigError(`${path} is ${sizeBytes} bytes, more than ${configFileSizeBytesMax}`);
  }
  const bytes = readWholeFile(io, path);
  let text: string;
  try {
    text = utf8Strict.decode(bytes);
  } catch {
    return { kind: "corrupt", reason: "not UTF-8 text" };
  }
  if (text.trim() === "") return { kind: "empty" };
  try {
    return { kind: "ok", value: codec.decode(text), bytes };
  } catch (error) {
    if (error instanceof CorruptionError) return { kind: "corrupt", reason: error.message };
    throw error;
  }
}

function describe(candidate: Candidate<unknown>): string {
  switch (candidate.kind) {
    case "missing":
      return "missing";
    case "empty":
      return "empty";
    case "corrupt":
      return candidate.reason;
    case "ok":
      return "ok";
  }
}

function readWholeFile(io: FileIO, path: string): Uint8Array {
  const handle = io.open(path, { create: false, readOnly: true });
  try {
    return handle.read(0, handle.sizeBytes());
  } finally {
    handle.close();
  }
}

/** Replaces the file's content with `bytes` and makes it durable before returning. */
function writeWholeFile(io: FileIO, path: string, bytes: Uint8Array): void {
  const handle = io.open(path, { create: true });
  try {
    handle.truncate(0);
    handle.write(bytes, 0);
    handle.sync();
  } finally {
    handle.close();
  }
}

async function writeWholeFileAsync(io: FileIO, path: string, bytes: Uint8Array): Promise<void> {
  const handle = io.open(path, { create: true });
  try {
    handle.truncate(0);
    handle.write(bytes, 0);
    await handle.syncAsync();
  } finally {
    handle.close();
  }
}
