// The controller-mode HA frames against bytes written out by hand from RocketMQ 5's layouts
// (AutoSwitchHAClient / AutoSwitchHAConnection, spec §9.3): every frame of both directions,
// decoded whatever the chunking, and malformed input refused with ProtocolError.

import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../core/common/errors.ts";
import {
  encodeMasterHandshake,
  encodeMasterTransferHeader,
  encodeSlaveAck,
  encodeSlaveHandshake,
  MasterFrameDecoder,
  SlaveFrameDecoder,
} from "../../../core/ha/autoswitch_codec.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const bytes = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ""), "hex"));

// Slave handshake: state HANDSHAKE (1), isSyncFromLastFile 0, isAsyncLearner 0, brokerId 2.
const slaveHandshake = "00000001 0000 0000 0000000000000002";
// Slave ack: state TRANSFER (2), max offset 0x1234.
const slaveAck = "00000002 0000000000001234";
// Master handshake: state 1, body 24 bytes, max offset 0x1000, last epoch 3, entries (1, 0) and
// (3, 0x800).
const masterHandshake =
  "00000001 00000018 0000000000001000 00000003" +
  "00000001 0000000000000000" +
  "00000003 0000000000000800";
// Master transfer: state 2, body 3 bytes, offset 0x800, epoch 3, epoch start 0x800, confirm
// offset 0x803, then the bytes "abc".
const masterTransfer =
  "00000002 00000003 0000000000000800 00000003 0000000000000800 0000000000000803 616263";

describe("ha: autoswitch codec", () => {
  test("ha: autoswitch codec: every frame encodes to the hand-written bytes", () => {
    expect(hex(encodeSlaveHandshake(2, false))).toBe(hex(bytes(slaveHandshake)));
    expect(hex(encodeSlaveAck(0x1234))).toBe(hex(bytes(slaveAck)));
    const entries = [
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 0x800 },
    ];
    expect(hex(encodeMasterHandshake(0x1000, entries))).toBe(hex(bytes(masterHandshake)));
    const header = encodeMasterTransferHeader({
      offset: 0x800,
      dataBytes: 3,
      epoch: 3,
      epochStartOffset: 0x800,
      confirmOffset: 0x803,
    });
    expect(hex(header) + "616263").toBe(hex(bytes(masterTransfer)));
    // A master with no epochs yet says -1.
    expect(hex(encodeMasterHandshake(0, []))).toBe(
      "0000000100000000" + "0".repeat(16) + "ffffffff",
    );
  });

  test("ha: autoswitch codec: frames decode at every split point", () => {
    const slaveStream = bytes(slaveHandshake + slaveAck);
    const masterStream = bytes(masterHandshake + masterTransfer);
    for (let cut = 0; cut <= slaveStream.length; cut++) {
      const decoder = new SlaveFrameDecoder();
      const frames = [
        ...decoder.push(slaveStream.subarray(0, cut)),
        ...decoder.push(slaveStream.subarray(cut)),
      ];
      expect(frames).toEqual([
        { kind: "handshake", syncFromLastFile: false, asyncLearner: false, brokerId: 2 },
        { kind: "ack", maxOffset: 0x1234 },
      ]);
    }
    for (let cut = 0; cut <= masterStream.length; cut++) {
      const decoder = new MasterFrameDecoder();
      const frames = [
        ...decoder.push(masterStream.subarray(0, cut)),
        ...decoder.push(masterStream.subarray(cut)),
      ];
      expect(frames.map((f) => f.kind)).toEqual(["handshake", "transfer"]);
      expect(frames[0]).toEqual({
        kind: "handshake",
        maxOffset: 0x1000,
        lastEpoch: 3,
        entries: [
          { epoch: 1, startOffset: 0 },
          { epoch: 3, startOffset: 0x800 },
        ],
      });
      const transfer = frames[1] as Extract<(typeof frames)[number], { kind: "transfer" }>;
      expect([
        transfer.offset,
        transfer.epoch,
        transfer.epochStartOffset,
        transfer.confirmOffset,
      ]).toEqual([0x800, 3, 0x800, 0x803]);
      expect(new TextDecoder().decode(transfer.data)).toBe("abc");
    }
  });

  test("ha: autoswitch codec: unknown states, bad sizes and offsets are ProtocolErrors", () => {
    expect(() => new SlaveFrameDecoder().push(bytes("00000004 0000000000000000"))).toThrow(
      ProtocolError,
    );
    expect(() => new MasterFrameDecoder().push(bytes("00000003 00000000"))).toThrow(ProtocolError);
    // A body size that is negative, too large, or not whole epoch entries.
    expect(() => new MasterFrameDecoder().push(bytes("00000002 ffffffff"))).toThrow(ProtocolError);
    expect(() => new MasterFrameDecoder().push(bytes("00000002 7fffffff"))).toThrow(ProtocolError);
    expect(() => new MasterFrameDecoder().push(bytes("00000001 0000000d"))).toThrow(ProtocolError);
    // An offset past 2^53.
    expect(() => new SlaveFrameDecoder().push(bytes("00000002 7fffffffffffffff"))).toThrow(
      ProtocolError,
    );
  });
});
