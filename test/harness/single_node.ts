// `rmq broker` with its embedded name server, as a real process on loopback ports picked by the
// OS: what a newcomer starts with one command, for integration tests.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { RmqProcess } from "./rmq_process.ts";

/**
 * `brokerConf`: broker.conf lines (key=value) for this node; none by default. `listen`: the
 * addresses of an earlier run of this node, to restart it where its clients look for it.
 */
export async function startSingleNode(
  store = mkdtempSync(join(tmpdir(), "rmq-node-")),
  brokerConf = "",
  listen = { broker: "127.0.0.1:0", namesrv: "127.0.0.1:0" },
) {
  const confPath = join(store, "..", `${basename(store)}.conf`);
  // Any free HA port unless the test names one: on a restart at a fixed listen port it would be
  // that port + 1, which a client connection on loopback may hold as its local port by then.
  const haPort = /^haListenPort=/m.test(brokerConf) ? "" : "\nhaListenPort=0\n";
  writeFileSync(confPath, brokerConf + haPort);
  const node = new RmqProcess([
    "broker",
    "--listen",
    listen.broker,
    "--namesrv-listen",
    listen.namesrv,
    "--store",
    store,
    "-c",
    confPath,
  ]);
  const address = await node.ready();
  const namesrv = /namesrv=(\S+)/.exec(node.stdout)![1]!;
  return { node, address, namesrv, store };
}
