// The Requester's own waiting, against a name server that accepts connections and never
// answers (so a send hangs in its route lookup): a request still ends at its timeout, and the
// send failing later (here: the requester closed) is not an unhandled rejection.

import { expect, test } from "bun:test";
import { Requester } from "../../../core/client/requester.ts";
import { ManualClock } from "../../../core/common/clock.ts";
import { TimeoutError } from "../../../core/common/errors.ts";
import { memoryLogger } from "../../../core/common/log.ts";

test("client: requester: a request ends at its timeout while its send still hangs", async () => {
  const silent = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: { data() {} }, // reads requests, answers none
  });
  const clock = new ManualClock();
  const requester = new Requester({
    group: "askers",
    namesrvAddrs: [`127.0.0.1:${silent.port}`],
    clock,
    log: memoryLogger(),
  });
  try {
    const asked = requester.request({ topic: "Q", body: new Uint8Array(1) }, 100);
    const outcome = asked.then(
      () => "replied",
      (error: unknown) => error,
    );
    await Bun.sleep(20); // the route lookup is on the wire, unanswered
    clock.advance(100);
    const error = await outcome;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toContain("no reply to request");
  } finally {
    requester.close(); // the hanging send now fails: nothing may be left unhandled
    await Bun.sleep(20);
    silent.stop(true);
  }
});
