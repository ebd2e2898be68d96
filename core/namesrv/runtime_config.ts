// UPDATE_NAMESRV_CONFIG (318) and GET_NAMESRV_CONFIG (319): the name server's configuration read
// and changed at runtime (core/config/runtime_update.ts). As in RocketMQ, an update changes the
// live config object (keys read per request, such as enableTopicList, act at once; ports, paths
// and timers act at the next start), keys on the black list are refused with NO_PERMISSION, and
// the whole config is written to configStorePath.

import { formatConfig, parseConfigUpdate, type ConfigUpdate } from "../config/runtime_update.ts";
import { namesrvSchema, type NamesrvConfig } from "../config/namesrv_config.ts";

/** RocketMQ's default configBlackList for the name server. */
const blackList = new Set(["configBlackList", "configStorePath", "kvConfigPath"]);

export function formatNamesrvConfig(config: NamesrvConfig): string {
  return formatConfig(namesrvSchema, config);
}

/** Validates every key first and applies all or nothing. */
export function updateNamesrvConfig(config: NamesrvConfig, text: string): ConfigUpdate {
  const update = parseConfigUpdate(namesrvSchema, text, (key) =>
    blackList.has(key)
      ? { code: "NO_PERMISSION", remark: "Can not update config in black list." }
      : undefined,
  );
  if (update.kind === "updated") {
    for (const [key, value] of update.values) (config as Record<string, unknown>)[key] = value;
  }
  return update;
}
