// `rmq inspect` online views: ask a running cluster (through the name servers) instead of
// reading files. cluster | route TOPIC | topic TOPIC | group GROUP [-t TOPIC] | msg ID |
// msg --key K | tx [-g GROUP] (transactions waiting for an answer).

import { ConfigError, createLogger, RemoteError, SystemClock } from "../../core/common/index.ts";
import { Admin, pendingTransactions, type ReceivedMessage } from "../../core/client/index.ts";
import { namesrvAddrsFrom } from "../client_args.ts";
import { ExitCode } from "../exit_codes.ts";
import { printError, printJson, printLine, printTable, printWarning } from "../output.ts";
import { envelope } from "./consume.ts";

export interface OnlineFlags {
  namesrvAddr?: string;
  topic?: string;
  key?: string;
  group?: string;
  json?: boolean;
}

export const onlineTargets = new Set(["cluster", "route", "topic", "group", "msg", "tx"]);

function showMessages(messages: ReceivedMessage[], json: boolean): void {
  for (const m of messages) {
    const e = envelope(m);
    if (json) printJson(e);
    else {
      const where = `${m.topic}/${m.queueId}#${m.queueOffset}`;
      const ids = `msgId=${m.msgId} offsetMsgId=${m.offsetMsgId}`;
      const labels = `tags=${m.tags ?? "-"} keys=${m.keys.join(",") || "-"}`;
      printLine(`${where} ${ids} ${labels} body=${JSON.stringify(String(e.body).slice(0, 60))}`);
    }
  }
  if (messages.length > 0) return;
  printError("no message found");
  process.exitCode = ExitCode.FAILURE;
}

/**
 * Per broker group: its master, epoch and in-sync set (controller mode), and per broker its
 * role, commit log max offset and replication lag in bytes and seconds (how much older the
 * replica's newest record is than the master's).
 */
async function showCluster(admin: Admin, json: boolean): Promise<void> {
  const info = await admin.cluster();
  const rows: (string | number)[][] = [];
  for (const [cluster, names] of info.clusterAddrTable) {
    for (const name of names) {
      const addrs = [...(info.brokerAddrTable.get(name)?.brokerAddrs ?? [])];
      const runtime = new Map<number, Map<string, string> | undefined>();
      for (const [id, addr] of addrs) runtime.set(id, await admin.runtimeInfo(addr));
      const master = runtime.get(0);
      const num = (r: Map<string, string> | undefined, key: string) => {
        const raw = r?.get(key);
        return raw === undefined || raw === "" ? null : Number(raw);
      };
      const masterMax = num(master, "commitLogMaxOffset");
      const masterStored = num(master, "commitLogLastStoreTimestamp");
      const epoch = num(master, "masterEpoch");
      const inSync = master?.get("syncStateSet") ?? null;
      for (const [id, addr] of addrs) {
        const r = runtime.get(id);
        const maxOffset = num(r, "commitLogMaxOffset");
        const replica =
          id === 0 ? null : { maxOffset, stored: num(r, "commitLogLastStoreTimestamp") };
        const lagBytes =
          replica && masterMax !== null && maxOffset !== null ? masterMax - maxOffset : null;
        const lagSeconds =
          lagBytes === null || masterStored === null || replica?.stored == null
            ? null
            : lagBytes <= 0
              ? 0
              : Math.max(0, (masterStored - replica.stored) / 1000);
        const role = r?.get("brokerRole") ?? (id === 0 ? "MASTER" : "SLAVE");
        const replicaId = num(r, "replicaId");
        if (json) {
          printJson({
            cluster,
            brokerName: name,
            brokerId: id,
            address: addr,
            role,
            replicaId,
            masterEpoch: epoch,
            syncStateSet: inSync === null ? null : inSync.split(",").map(Number),
            commitLogMaxOffset: maxOffset,
            lagBytes,
            lagSeconds,
            answering: r !== undefined,
          });
        }
        rows.push([
          cluster,
          name,
          id,
          replicaId ?? "-",
          addr,
          r ? role : `${role} (no answer)`,
          epoch ?? "-",
          inSync ?? "-",
          maxOffset ?? "-",
          lagBytes ?? "-",
          lagSeconds === null ? "-" : lagSeconds.toFixed(1),
        ]);
      }
    }
  }
  if (!json) {
    const header = ["cluster", "broker", "id", "replica", "address", "role", "epoch", "in-sync"];
    printTable([...header, "max offset", "lag bytes", "lag s"], rows);
  }
}

/**
 * A group's progress per queue: broker offset, committed offset, lag and the member that owns
 * the queue, on one topic (-t) or on every topic the group has offsets for, as `mqadmin
 * consumerProgress -g` shows them.
 */
async function showGroup(
  admin: Admin,
  group: string,
  onlyTopic: string | undefined,
  json: boolean,
): Promise<void> {
  const topics = onlyTopic ? [onlyTopic] : await admin.groupTopics(group);
  if (topics.length === 0) {
    printError(`group ${group} has no offsets on any broker (-t TOPIC shows one topic's queues)`);
    process.exitCode = ExitCode.FAILURE;
    return;
  }
  let members: string[] | undefined;
  const rows: (string | number)[][] = [];
  let lag = 0;
  for (const topic of topics) {
    let progress;
    try {
      progress = await admin.groupProgress(group, topic);
    } catch (error) {
      // A topic deleted since the group committed on it has no route: left out, said so.
      if (onlyTopic || !(error instanceof RemoteError)) throw error;
      printWarning(`${topic}: ${error.message}; left out`);
      continue;
    }
    members ??= await admin.consumerIds(group, topic);
    const owners = await admin.queueOwners(topic, members);
    for (const q of progress) {
      const owner = owners.get(`${q.brokerName}/${q.queueId}`) ?? null;
      lag += q.lag;
      if (json) printJson({ group, topic, ...q, owner });
      else {
        const offset = q.consumerOffset ?? "-";
        rows.push([topic, q.brokerName, q.queueId, q.maxOffset, offset, q.lag, owner ?? "-"]);
      }
    }
  }
  members ??= [];
  if (json) return;
  const list = members.length ? `: ${members.join(", ")}` : "";
  const on = onlyTopic ? ` on ${onlyTopic}` : "";
  printLine(`group ${group}${on}: ${members.length} member(s) online${list}`);
  const header = ["topic", "broker", "queue", "brokerOffset", "consumerOffset", "lag", "owner"];
  printTable(header, rows);
  printLine(`total lag ${lag}`);
}

export async function runOnline(what: string, args: string[], flags: OnlineFlags): Promise<void> {
  const addrs = namesrvAddrsFrom(flags.namesrvAddr);
  const clock = new SystemClock();
  // Warnings show (a looked-up message stored damaged says so), unless RMQ_LOG_LEVEL says more.
  const level = process.env.RMQ_LOG_LEVEL ? undefined : "warn";
  const admin = Admin.connect(addrs, clock, createLogger("inspect", { level }));
  const json = flags.json === true;
  const need = (value: string | undefined, what: string) => {
    if (!value) throw new ConfigError(`missing ${what}`);
    return value;
  };
  try {
    switch (what) {
      case "cluster":
        await showCluster(admin, json);
        return;
      case "route": {
        const topic = need(args[0], "<topic>");
        const route = await admin.route(topic);
        if (json) {
          printJson({
            queueDatas: route.queueDatas,
            brokerDatas: route.brokerDatas.map((b) => ({
              ...b,
              brokerAddrs: Object.fromEntries(b.brokerAddrs),
            })),
          });
          return;
        }
        printTable(
          ["broker", "addresses", "read", "write", "perm"],
          route.queueDatas.map((q) => {
            const addrsOf = route.brokerDatas.find(
              (b) => b.brokerName === q.brokerName,
            )?.brokerAddrs;
            const list = [...(addrsOf ?? [])].map(([id, a]) => `${id}=${a}`).join(" ");
            return [q.brokerName, list, q.readQueueNums, q.writeQueueNums, q.perm];
          }),
        );
        return;
      }
      case "topic": {
        const topic = need(args[0], "<topic>");
        const queues = await admin.topicOffsets(topic);
        if (json) for (const q of queues) printJson({ topic, ...q });
        else
          printTable(
            ["broker", "queue", "minOffset", "maxOffset"],
            queues.map((q) => [q.brokerName, q.queueId, q.minOffset, q.maxOffset]),
          );
        return;
      }
      case "group":
        await showGroup(admin, need(args[0], "<group>"), flags.topic, json);
        return;
      case "tx": {
        const log = createLogger("inspect", { level: "error" });
        const all = await pendingTransactions({ namesrvAddrs: addrs, clock, log });
        const pending = all.filter((p) => !flags.group || p.producerGroup === flags.group);
        if (json) {
          for (const p of pending) printJson(p);
          return;
        }
        printTable(
          ["producer group", "msgId", "topic", "checks", "age s", "broker"],
          pending.map((p) => [
            p.producerGroup,
            p.msgId,
            p.topic,
            p.checkTimes,
            Math.round((clock.nowMs() - p.bornTimestamp) / 1000),
            p.brokerName,
          ]),
        );
        return;
      }
      case "msg": {
        if (flags.key)
          return showMessages(
            await admin.messagesByKey(need(flags.topic, "-t/--topic"), flags.key),
            json,
          );
        return showMessages(await admin.messageById(need(args[0], "<msgId>"), flags.topic), json);
      }
    }
  } finally {
    admin.close();
  }
}
