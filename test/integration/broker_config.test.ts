// mqadmin getBrokerConfig / updateBrokerConfig against a real `rmq broker`: every key read back
// with the config's version; an update acts at once (a pull's batch limit), is written into the
// broker's -c file in place, and a new brokerPermission re-registers so the name server's route
// shows it; keys read only at start, unknown keys and bad values are refused, changing nothing.

import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SystemClock } from "../../core/common/clock.ts";
import { createLogger } from "../../core/common/log.ts";
import { parseProperties } from "../../core/config/properties.ts";
import { createRequest, RequestCode, ResponseCode } from "../../core/protocol/index.ts";
import { PullSysFlag } from "../../core/protocol/headers/pull.ts";
import { RemotingClient } from "../../core/remoting/client.ts";
import { pullRequest } from "../harness/raw_requests.ts";
import { runRmq } from "../harness/rmq_process.ts";
import { startSingleNode } from "../harness/single_node.ts";
import { waitFor } from "../harness/wait_for.ts";

test("broker config: read, updated live and in the -c file, refused when start-only", async () => {
  const store = join(mkdtempSync(join(tmpdir(), "rmq-broker-config-")), "store");
  const node = await startSingleNode(store, "# ours\nbrokerName=cfg-a\n");
  await using _node = node.node;
  const confPath = join(store, "..", "store.conf");
  const sent = ["produce", "-n", node.namesrv, "-t", "Cfg", "--body", "x", "--count", "40"];
  expect((await runRmq(sent)).exitCode).toBe(0);
  const remoting = new RemotingClient({
    clock: new SystemClock(),
    log: createLogger("test", { level: "error" }),
  });
  const text = (body: Uint8Array | null) => new TextDecoder().decode(body ?? new Uint8Array());
  const read = async () => {
    const answer = await remoting.invoke(
      node.address,
      createRequest(RequestCode.GET_BROKER_CONFIG),
    );
    expect(answer.code).toBe(ResponseCode.SUCCESS);
    return {
      values: parseProperties(text(answer.body)),
      counter: JSON.parse(answer.extFields!.get("version")!).counter as number,
    };
  };
  const update = (body: string) =>
    remoting.invoke(
      node.address,
      createRequest(RequestCode.UPDATE_BROKER_CONFIG, { body: new TextEncoder().encode(body) }),
    );
  const routePerm = async () => {
    const answer = await remoting.invoke(
      node.namesrv,
      createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields: { topic: "Cfg" } }),
    );
    return JSON.parse(text(answer.body)).queueDatas[0].perm as number;
  };
  const pulled = async () => {
    const answer = await remoting.invoke(
      node.address,
      pullRequest({
        consumerGroup: "cfg",
        topic: "Cfg",
        queueId: 0,
        sysFlag: PullSysFlag.SUBSCRIPTION,
      }),
    );
    expect(answer.code).toBe(ResponseCode.SUCCESS);
    return Number(answer.extFields?.get("nextBeginOffset"));
  };
  try {
    const before = await read();
    expect([before.values.get("brokerName"), before.values.get("brokerPermission")]).toEqual([
      "cfg-a",
      "6",
    ]);
    expect(before.values.get("maxTransferCountOnMessageInMemory")).toBe("32");
    expect(await pulled()).toBe(10); // 40 messages over 4 queues, all in one answer

    for (const [body, remark] of [
      ["listenPort=1", "listenPort is read only at start: set it in broker.conf and restart"],
      ["noSuchKey=1", "unknown config key: noSuchKey"],
      ["brokerPermission=x", 'brokerPermission: expected an integer, got "x"'],
    ]) {
      const refused = await update(`traceOn=false\n${body}\n`);
      expect([refused.code, refused.remark?.slice(0, remark!.length)]).toEqual([
        ResponseCode.SYSTEM_ERROR,
        remark,
      ]);
    }
    expect((await read()).counter).toBe(before.counter);
    expect((await read()).values.get("traceOn")).toBe("true");

    const changed = await update("maxTransferCountOnMessageInMemory=3\nbrokerPermission=4\n");
    expect(changed.code).toBe(ResponseCode.SUCCESS);
    const after = await read();
    expect(after.counter).toBe(before.counter + 1);
    expect(after.values.get("brokerPermission")).toBe("4");
    expect(await pulled()).toBe(3);
    await waitFor(async () => (await routePerm()) === 4, {
      timeoutMs: 5_000,
      what: "the route to show the broker read-only",
    });
    const refusedSend = await runRmq([...sent.slice(0, -2), "--count", "1"]);
    expect(refusedSend.exitCode).not.toBe(0);
    const conf = readFileSync(confPath, "utf8");
    expect(conf.startsWith("# ours\nbrokerName=cfg-a\n")).toBe(true);
    expect(parseProperties(conf).get("brokerPermission")).toBe("4");
    expect(parseProperties(conf).get("maxTransferCountOnMessageInMemory")).toBe("3");
  } finally {
    remoting.close();
  }
}, 30_000);
