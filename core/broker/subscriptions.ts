// Consumer group settings (subscriptionGroup.json): found or auto-created on first use when
// autoCreateSubscriptionGroup is on, as RocketMQ's SubscriptionGroupManager. As there, the
// groups of RocketMQ's own tools exist from the start (mqadmin reads with TOOLS_CONSUMER), and
// CID_RMQ_SYS_ groups are created even with auto-creation off. Every change moves the table's
// dataVersion, which a slave compares to skip an unchanged copy.

import type { Clock } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import type { FileIO } from "../store/file_io.ts";
import { configFilePath, loadConfigFile, persistConfigFile } from "./config_file_persist.ts";
import type { DataVersion } from "../protocol/topic_config.ts";
import {
  defaultSubscriptionGroup,
  nextDataVersion,
  subscriptionGroupJson,
  type SubscriptionGroupConfig,
  type SubscriptionGroupFile,
} from "./config_files.ts";

/** Groups RocketMQ 4.9.7 always has (MixAll; its stores' subscriptionGroup.json lists them). */
const builtInGroups = [
  "TOOLS_CONSUMER",
  "FILTERSRV_CONSUMER",
  "SELF_TEST_C_GROUP",
  "CID_ONS-HTTP-PROXY",
  "CID_ONSAPI_PULL",
  "CID_ONSAPI_PERMISSION",
  "CID_ONSAPI_OWNER",
];
const systemGroupPrefix = "CID_RMQ_SYS_";

function withBuiltIns(file: SubscriptionGroupFile): SubscriptionGroupFile {
  const table = new Map<string, SubscriptionGroupConfig>();
  for (const name of builtInGroups) table.set(name, defaultSubscriptionGroup(name));
  // The file's settings win, as RocketMQ's load puts them over its built-ins.
  for (const [name, config] of file.subscriptionGroupTable) table.set(name, config);
  return { ...file, subscriptionGroupTable: table };
}

export class SubscriptionGroupManager {
  private file: SubscriptionGroupFile;
  private readonly path: string;

  constructor(
    private readonly io: FileIO,
    storeRoot: string,
    /** autoCreateSubscriptionGroup, read at each lookup (UPDATE_BROKER_CONFIG may change it). */
    private readonly autoCreate: () => boolean,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.path = configFilePath(storeRoot, subscriptionGroupJson);
    this.file = withBuiltIns(subscriptionGroupJson.empty());
  }

  load(): void {
    const loaded = loadConfigFile(this.io, this.path, subscriptionGroupJson);
    if (loaded.source === "bak") this.log.warn(`subscriptionGroup.json unreadable; using .bak`);
    this.file = withBuiltIns(loaded.value);
  }

  /** The group's settings, created with defaults if allowed; undefined if it may not exist. */
  findOrCreate(group: string): SubscriptionGroupConfig | undefined {
    const existing = this.file.subscriptionGroupTable.get(group);
    if (existing || !(this.autoCreate() || group.startsWith(systemGroupPrefix))) return existing;
    const created = defaultSubscriptionGroup(group);
    this.put(created);
    return created;
  }

  /** UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: the group's settings as given, replacing any. */
  put(config: SubscriptionGroupConfig): void {
    this.file.subscriptionGroupTable.set(config.groupName, config);
    this.changed();
  }

  /** DELETE_SUBSCRIPTIONGROUP; false when there was no such group (nothing changes). */
  delete(group: string): boolean {
    if (!this.file.subscriptionGroupTable.delete(group)) return false;
    this.changed();
    return true;
  }

  get dataVersion(): DataVersion {
    return this.file.dataVersion;
  }

  /**
   * A slave takes its master's groups (slave_sync.ts); an unchanged version changes nothing. A
   * zero version (a file written without one) never counts as unchanged.
   */
  replaceAll(table: Map<string, SubscriptionGroupConfig>, dataVersion: DataVersion): void {
    const current = this.file.dataVersion;
    const same =
      dataVersion.counter === current.counter &&
      dataVersion.timestamp === current.timestamp &&
      dataVersion.timestamp !== 0;
    if (same) return;
    this.file = { ...this.file, dataVersion, subscriptionGroupTable: table };
    this.persist();
  }

  private changed(): void {
    this.file.dataVersion = nextDataVersion(this.file.dataVersion, this.clock.nowMs());
    this.persist();
  }

  private persist(): void {
    try {
      persistConfigFile(this.io, this.path, subscriptionGroupJson, this.file);
    } catch (error) {
      this.log.error(`could not persist subscriptionGroup.json: ${error}`);
    }
  }

  all(): Map<string, SubscriptionGroupConfig> {
    return this.file.subscriptionGroupTable;
  }
}
