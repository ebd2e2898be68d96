// Where the controller keeps its state (every replica group: ids, master, epochs, in-sync
// set): a local file (one controller, the default) or one etcd key written only by
// compare-and-swap on the revision last read (replicated controllers). Liveness is never
// stored: a controller re-learns it from heartbeats.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileDurably } from "../../common/durable_file.ts";
import { CorruptionError } from "../../common/errors.ts";
import type { EtcdClient } from "./etcd_client.ts";
import type { SavedGroup } from "./replica_groups.ts";

export interface ControllerStateStore {
  /** For logs: where the state lives. */
  readonly where: string;
  load(): Promise<SavedGroup[]>;
  /** Throws StateConflictError when another controller wrote since this one read. */
  save(groups: SavedGroup[]): Promise<void>;
}

export class StateConflictError extends Error {
  override name = "StateConflictError";
}

/** The state file's name under controllerStorePath. */
export const CONTROLLER_STATE_FILE = "rmq-controller.json";
const stateFormatVersion = 1;

export function encodeState(groups: SavedGroup[]): string {
  return `${JSON.stringify({ version: stateFormatVersion, groups }, null, 2)}\n`;
}

/** The state's groups, checked field by field (a hand-edited copy must not crash us). */
export function decodeState(text: string): SavedGroup[] {
  const parsed = JSON.parse(text) as { version?: unknown; groups?: unknown };
  if (parsed.version !== stateFormatVersion || !Array.isArray(parsed.groups)) {
    throw new CorruptionError("not an rmq controller state");
  }
  const int = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v);
  for (const g of parsed.groups as SavedGroup[]) {
    const ok =
      typeof g.clusterName === "string" &&
      typeof g.brokerName === "string" &&
      int(g.nextBrokerId) &&
      (g.masterId === null || int(g.masterId)) &&
      int(g.masterEpoch) &&
      int(g.syncStateSetEpoch) &&
      Array.isArray(g.syncStateSet) &&
      g.syncStateSet.every(int) &&
      Array.isArray(g.replicas) &&
      g.replicas.every(
        (r) =>
          int(r.brokerId) &&
          typeof r.address === "string" &&
          typeof r.registerCheckCode === "string" &&
          int(r.epoch) &&
          int(r.maxOffset),
      );
    if (!ok) throw new CorruptionError(`controller state: group ${g.brokerName} is malformed`);
  }
  return parsed.groups as SavedGroup[];
}

/** A file under controllerStorePath, replaced durably with a .bak of the one before. */
export class FileStateStore implements ControllerStateStore {
  readonly where: string;

  constructor(dir: string) {
    this.where = join(dir, CONTROLLER_STATE_FILE);
  }

  async load(): Promise<SavedGroup[]> {
    let failure: unknown = null;
    for (const candidate of [this.where, `${this.where}.bak`]) {
      if (!existsSync(candidate)) continue;
      try {
        return decodeState(readFileSync(candidate, "utf8"));
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure) throw new CorruptionError(`${this.where} and its .bak unreadable: ${failure}`);
    return [];
  }

  async save(groups: SavedGroup[]): Promise<void> {
    writeFileDurably(this.where, encodeState(groups), { backup: true });
  }
}

/** One etcd key; a save succeeds only over the revision the last load or save saw. */
export class EtcdStateStore implements ControllerStateStore {
  readonly where: string;
  private revision = 0;

  constructor(
    private readonly etcd: EtcdClient,
    private readonly key: string,
  ) {
    this.where = `etcd ${key}`;
  }

  async load(): Promise<SavedGroup[]> {
    const found = await this.etcd.get(this.key);
    this.revision = found?.modRevision ?? 0;
    return found ? decodeState(found.value) : [];
  }

  async save(groups: SavedGroup[]): Promise<void> {
    const put = await this.etcd.putIfRevision(this.key, encodeState(groups), this.revision);
    if (!put.written) {
      throw new StateConflictError(`${this.key} changed since revision ${this.revision}`);
    }
    this.revision = put.revision;
  }
}
