// A name server running the controller, in process on 127.0.0.1 with a manual clock (so no
// heartbeat ever times out): when the route connection of a group's master closes, the
// controller takes the master for dead at once and elects, even though the master never sent
// a controller request over that connection. That is the state right after a controller
// restart, before the master's first heartbeat reaches it.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../../../core/common/clock.ts";
import { memoryLogger } from "../../../core/common/log.ts";
import { namesrvDefaults } from "../../../core/config/namesrv_config.ts";
import { Namesrv } from "../../../core/namesrv/namesrv.ts";
import { createRequest } from "../../../core/protocol/command.ts";
import { encodeRegisterBrokerBodyJson } from "../../../core/protocol/register_broker_body.ts";
import { RequestCode } from "../../../core/protocol/request_code.ts";
import { ResponseCode } from "../../../core/protocol/response_code.ts";
import { RemotingClient } from "../../../core/remoting/client.ts";
import { waitFor } from "../../harness/wait_for.ts";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const masterAddr = "127.0.0.1:10911";
const slaveAddr = "127.0.0.1:10912";

async function startNamesrv(dir: string, clock: ManualClock) {
  const log = memoryLogger();
  const namesrv = new Namesrv({
    config: {
      ...namesrvDefaults(dir),
      bindAddress: "127.0.0.1",
      listenPort: 0,
      enableControllerInNamesrv: true,
      controllerStorePath: join(dir, "controller"),
    },
    clock,
    log, // state, KV and config files all go under dir
  });
  const address = `127.0.0.1:${namesrv.start().port}`;
  await namesrv.controllerReady;
  return { namesrv, address };
}

function client(clock: ManualClock): RemotingClient {
  const c = new RemotingClient({ clock, log: memoryLogger() });
  cleanups.push(() => c.close());
  return c;
}

async function call(c: RemotingClient, address: string, code: number, fields: object) {
  const extFields = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
  return c.invoke(address, createRequest(code, { extFields }), 3_000);
}

describe("ha: controller in the name server", () => {
  test("ha: controller: a master's closed route connection elects at once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rmq-route-close-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const clock = new ManualClock(1_000);
    const group = { clusterName: "c", brokerName: "g" };

    // A group of two in sync, master 1, then the name server restarts on the same state.
    const before = await startNamesrv(dir, clock);
    const setup = client(clock);
    for (const [id, addr] of [
      [1, masterAddr],
      [2, slaveAddr],
    ] as const) {
      const applied = await call(setup, before.address, RequestCode.CONTROLLER_APPLY_BROKER_ID, {
        ...group,
        appliedBrokerId: id,
        registerCheckCode: `code-${id}`,
      });
      expect(applied.code).toBe(ResponseCode.SUCCESS);
      const registered = await call(setup, before.address, RequestCode.CONTROLLER_REGISTER_BROKER, {
        ...group,
        brokerId: id,
        brokerAddress: addr,
      });
      expect(registered.code).toBe(ResponseCode.SUCCESS);
    }
    const altered = await before.namesrv.controller!.alterSyncStateSet("g", 1, 1, [1, 2], 1);
    expect(altered.ok).toBe(true);
    setup.close();
    await before.namesrv.stop();

    const after = await startNamesrv(dir, clock);
    cleanups.push(() => after.namesrv.stop());
    const replicaInfo = async () => {
      const answer = await call(
        client(clock),
        after.address,
        RequestCode.CONTROLLER_GET_REPLICA_INFO,
        {
          brokerName: "g",
        },
      );
      return Number(answer.extFields?.get("masterBrokerId"));
    };
    expect(await replicaInfo()).toBe(1);

    // The master registers its route, and its connection closes before any heartbeat.
    const master = client(clock);
    const body = encodeRegisterBrokerBodyJson({
      dataVersion: { timestamp: 0, counter: 1, stateVersion: 0 },
      topicConfigTable: new Map(),
      filterServerList: [],
    });
    const request = createRequest(RequestCode.REGISTER_BROKER, {
      extFields: {
        ...group,
        brokerId: "0",
        brokerAddr: masterAddr,
        haServerAddr: "127.0.0.1:10913",
        compressed: "false",
      },
      body,
    });
    expect((await master.invoke(after.address, request, 3_000)).code).toBe(ResponseCode.SUCCESS);
    master.close();

    await waitFor(async () => (await replicaInfo()) === 2, { what: "replica 2 elected" });
  });
});
