// A channel over an in-memory socket: request/response matching, timeouts on a manual clock,
// prompt failure on close, write back-pressure, and malformed input closing only this channel.

import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../../core/common/clock.ts";
import { ConnectionError, TimeoutError } from "../../../core/common/errors.ts";
import { memoryLogger } from "../../../core/common/log.ts";
import {
  createRequest,
  createResponse,
  encodeFrame,
  FlagBit,
  RequestCode,
  ResponseCode,
} from "../../../core/protocol/index.ts";
import { requestsPerTurnMax } from "../../../core/remoting/channel.ts";
import { dispatchRequest } from "../../../core/remoting/dispatch.ts";
import { ProcessorTable } from "../../../core/remoting/processor_table.ts";
import { fakeChannel } from "../../harness/fake_channel.ts";

describe("remoting: channel", () => {
  test("remoting: channel: a response settles the request with the same opaque", async () => {
    const { channel, socket } = fakeChannel();
    const pending = channel.invoke(createRequest(RequestCode.GET_KV_CONFIG), 1000);
    const [sent] = socket.commands();
    expect(sent!.flag).toBe(0);
    channel.receive(encodeFrame(createResponse(sent!, 0, { extFields: { value: "v" } })));
    const response = await pending;
    expect(response.extFields?.get("value")).toBe("v");
    expect(channel.pendingCount()).toBe(0);
  });

  test("remoting: channel: no answer in time is a TimeoutError", async () => {
    const clock = new ManualClock();
    const { channel } = fakeChannel({ clock });
    const pending = channel.invoke(createRequest(RequestCode.GET_KV_CONFIG), 500);
    clock.advance(499);
    expect(channel.pendingCount()).toBe(1);
    clock.advance(1);
    await expect(pending).rejects.toBeInstanceOf(TimeoutError);
    expect(channel.pendingCount()).toBe(0);
  });

  test("remoting: channel: closing fails every pending request at once", async () => {
    const { channel, closes } = fakeChannel();
    const a = channel.invoke(createRequest(RequestCode.GET_KV_CONFIG), 60_000);
    const b = channel.invoke(createRequest(RequestCode.PUT_KV_CONFIG), 60_000);
    channel.close("peer vanished");
    await expect(a).rejects.toBeInstanceOf(ConnectionError);
    await expect(b).rejects.toThrow(/peer vanished/);
    expect(closes).toEqual(["peer vanished"]);
    expect(channel.invokeOneway(createRequest(RequestCode.HEART_BEAT))).toBe(false);
  });

  test("remoting: channel: a read is handed on a slice of requests per turn", async () => {
    const { channel, socket, requests } = fakeChannel();
    const count = requestsPerTurnMax * 2 + 10;
    const pending = channel.invoke(createRequest(RequestCode.GET_KV_CONFIG), 60_000);
    const [sent] = socket.commands();
    const frames: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      frames.push(encodeFrame({ ...createRequest(RequestCode.HEART_BEAT), opaque: 1000 + i }));
    }
    // An answer behind the requests comes in its place, not before them.
    frames.push(encodeFrame(createResponse(sent!, 0)));
    channel.receive(Buffer.concat(frames));
    expect(requests).toHaveLength(requestsPerTurnMax);
    // A read arriving meanwhile waits behind them.
    channel.receive(encodeFrame({ ...createRequest(RequestCode.HEART_BEAT), opaque: 5000 }));
    expect(requests).toHaveLength(requestsPerTurnMax);
    await new Promise((resolve) => setImmediate(resolve));
    expect(requests).toHaveLength(requestsPerTurnMax * 2);
    expect(channel.pendingCount()).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(requests).toHaveLength(count + 1);
    expect(channel.pendingCount()).toBe(0);
    await pending;
    const opaques = requests.map((r) => r.opaque);
    expect(opaques).toEqual([...Array.from({ length: count }, (_, i) => 1000 + i), 5000]);
  });

  test("remoting: channel: commands are handed on once, from a receive inside one too", () => {
    const seen: number[] = [];
    const frames = (opaques: number[]) =>
      Buffer.concat(
        opaques.map((opaque) => encodeFrame({ ...createRequest(RequestCode.HEART_BEAT), opaque })),
      );
    let inner = true;
    const { channel } = fakeChannel({
      events: {
        onRequest: (ch, r) => {
          seen.push(r.opaque);
          // A read arriving while the first one's commands are handed on (the list is reused).
          if (inner && r.opaque === 1) {
            inner = false;
            ch.receive(frames([10, 11]), true);
          }
        },
      },
    });
    channel.receive(frames([1, 2, 3]), true);
    channel.receive(frames([4]), true);
    expect(seen).toEqual([1, 10, 11, 2, 3, 4]);
  });

  test("remoting: channel: oneway requests carry the oneway flag", () => {
    const { channel, socket } = fakeChannel();
    expect(channel.invokeOneway(createRequest(RequestCode.UPDATE_CONSUMER_OFFSET))).toBe(true);
    expect(socket.commands()[0]!.flag & FlagBit.ONEWAY).toBe(FlagBit.ONEWAY);
  });

  test("remoting: channel: partial writes queue the rest in order until drain", () => {
    const { channel, socket } = fakeChannel();
    socket.capacityBytes = 10;
    for (let i = 0; i < 3; i++) channel.invokeOneway(createRequest(RequestCode.HEART_BEAT));
    expect(channel.queuedWriteBytes()).toBeGreaterThan(0);
    socket.capacityBytes = Infinity;
    channel.drain();
    expect(channel.queuedWriteBytes()).toBe(0);
    expect(socket.commands().map((c) => c.opaque)).toEqual([1, 2, 3]);
  });

  test("remoting: channel: frames sent in one turn go out in one write, in order", async () => {
    const { channel, socket } = fakeChannel({ coalesceWrites: true });
    for (let i = 0; i < 5; i++) channel.invokeOneway(createRequest(RequestCode.HEART_BEAT));
    expect(socket.written).toHaveLength(0);
    expect(channel.queuedWriteBytes()).toBeGreaterThan(0);
    await Promise.resolve();
    expect(socket.written).toHaveLength(1);
    expect(socket.commands().map((c) => c.opaque)).toEqual([1, 2, 3, 4, 5]);
    expect(channel.queuedWriteBytes()).toBe(0);
  });

  test("remoting: channel: coalesced frames respect partial writes and close", async () => {
    const { channel, socket } = fakeChannel({ coalesceWrites: true });
    socket.capacityBytes = 7;
    for (let i = 0; i < 3; i++) channel.invokeOneway(createRequest(RequestCode.HEART_BEAT));
    await Promise.resolve();
    channel.invokeOneway(createRequest(RequestCode.HEART_BEAT)); // queued behind the rest
    await Promise.resolve();
    socket.capacityBytes = Infinity;
    channel.drain();
    expect(socket.commands().map((c) => c.opaque)).toEqual([1, 2, 3, 4]);

    // A clean close still hands over what was sent before it.
    const other = fakeChannel({ coalesceWrites: true });
    other.channel.invokeOneway(createRequest(RequestCode.HEART_BEAT));
    other.channel.close("done");
    expect(other.socket.commands()).toHaveLength(1);
    expect(other.socket.ended).toBe(true);
  });

  test("remoting: channel: frames large and small keep their order and bytes", async () => {
    const { channel, socket } = fakeChannel({ coalesceWrites: true });
    socket.capacityBytes = 50_000; // partial writes: what is queued must be a copy
    const bodies = [100, 70 * 1024, 10, 300 * 1024, 5].map((size, i) =>
      Uint8Array.from({ length: size }, (_, j) => (i * 31 + j) & 0xff),
    );
    for (const body of bodies)
      channel.invokeOneway(createRequest(RequestCode.SEND_MESSAGE_V2, { body }));
    await Promise.resolve();
    // A later turn reuses the pooled chunk; the queued bytes must not change with it.
    const other = fakeChannel({ coalesceWrites: true });
    for (let i = 0; i < 100; i++) other.channel.invokeOneway(createRequest(RequestCode.HEART_BEAT));
    await Promise.resolve();
    socket.capacityBytes = Infinity;
    channel.drain();
    const got = socket.commands();
    expect(got.map((c) => c.opaque)).toEqual([1, 2, 3, 4, 5]);
    for (let i = 0; i < bodies.length; i++) expect(got[i]!.body).toEqual(bodies[i]!);
    expect(other.socket.commands()).toHaveLength(100);
  });

  test("remoting: channel: malformed input closes this channel with the reason", () => {
    const { channel, closes, socket } = fakeChannel();
    channel.receive(Uint8Array.of(0x7f, 0xff, 0xff, 0xff));
    expect(closes[0]).toMatch(/malformed input: frame length 2147483647 exceeds/);
    expect(socket.ended).toBe(true);
    expect(channel.isOpen()).toBe(false);
  });

  test("remoting: channel: responses with unknown opaques are dropped", () => {
    const { channel, requests } = fakeChannel();
    const stray = { ...createResponse(createRequest(1), 0), opaque: 77 };
    channel.receive(encodeFrame(stray));
    expect(requests).toEqual([]);
    expect(channel.isOpen()).toBe(true);
  });
});

describe("remoting: dispatch", () => {
  const table = new ProcessorTable()
    .register(100, (req) => createResponse(req, 0, { remark: "ok" }))
    .register(101, () => {
      throw new Error("boom");
    })
    .register(102, async (req) => createResponse(req, 0, { remark: "later" }))
    .register(103, async () => {
      throw new Error("late boom");
    });

  test("remoting: dispatch: unknown codes get REQUEST_CODE_NOT_SUPPORTED", async () => {
    const { channel, socket } = fakeChannel();
    dispatchRequest(table, { ...createRequest(9999), opaque: 5 }, channel, memoryLogger());
    const [answer] = socket.commands();
    expect(answer!.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    expect(answer!.remark).toBe(" request type 9999 not supported");
    expect(answer!.opaque).toBe(5);
  });

  test("remoting: dispatch: a throw answers SYSTEM_ERROR; oneway gets nothing", async () => {
    const { channel, socket } = fakeChannel();
    const log = memoryLogger();
    dispatchRequest(table, { ...createRequest(101), opaque: 6 }, channel, log);
    dispatchRequest(table, { ...createRequest(100, { oneway: true }), opaque: 7 }, channel, log);
    const answers = socket.commands();
    expect(answers).toHaveLength(1);
    expect(answers[0]!.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(answers[0]!.remark).toBe("Error: boom");
    expect(log.lines.join("\n")).toMatch(/request code 101 .* failed: Error: boom/);
  });

  test("remoting: dispatch: a sync answer goes at once, an async one when it settles", async () => {
    const { channel, socket } = fakeChannel();
    const log = memoryLogger();
    dispatchRequest(table, { ...createRequest(100), opaque: 8 }, channel, log);
    dispatchRequest(table, { ...createRequest(102), opaque: 9 }, channel, log);
    dispatchRequest(table, { ...createRequest(103), opaque: 10 }, channel, log);
    // Written through before dispatchRequest returned (this channel does not coalesce).
    expect(socket.commands().map((c) => c.opaque)).toEqual([8]);
    await Bun.sleep(0);
    const answers = socket.commands();
    expect(answers.map((c) => [c.opaque, c.code, c.remark])).toEqual([
      [8, 0, "ok"],
      [9, 0, "later"],
      [10, ResponseCode.SYSTEM_ERROR, "Error: late boom"],
    ]);
    expect(log.lines.join("\n")).toMatch(/request code 103 .* failed: Error: late boom/);
  });
});
