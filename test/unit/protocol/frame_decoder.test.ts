// The incremental decoder: any split of a byte stream decodes the same; bad lengths, bad
// headers and bad JSON end in ProtocolError and nothing else; random input never throws any
// other error and never makes the decoder buffer past its limit.

import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../core/common/errors.ts";
import { Prng, seedFromEnv } from "../../../core/common/prng.ts";
import {
  createRequest,
  encodeFrame,
  FrameDecoder,
  RequestCode,
  SerializeType,
  type RemotingCommand,
} from "../../../core/protocol/index.ts";

function sampleCommands(): RemotingCommand[] {
  const a = createRequest(RequestCode.SEND_MESSAGE_V2, {
    extFields: { a: "pg", b: "TopicTest", i: "TAGS\u0001TagA\u0002" },
    body: new TextEncoder().encode("hello"),
  });
  a.opaque = 1;
  const b = {
    ...createRequest(RequestCode.HEART_BEAT),
    opaque: 2,
    serializeType: SerializeType.ROCKETMQ,
  };
  const c = {
    ...createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { extFields: { topic: "T" } }),
    opaque: 3,
  };
  return [a, b, c];
}

function frameBytes(content: number[]): Uint8Array {
  const out = new Uint8Array(4 + content.length);
  new DataView(out.buffer).setInt32(0, content.length);
  out.set(content, 4);
  return out;
}

function expectProtocolError(bytes: Uint8Array, message: RegExp) {
  const decoder = new FrameDecoder();
  let thrown: unknown;
  try {
    decoder.push(bytes);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ProtocolError);
  expect((thrown as Error).message).toMatch(message);
}

describe("protocol: frame decoder", () => {
  test("protocol: frame decoder: every split point of a stream yields the same commands", () => {
    const commands = sampleCommands();
    const stream = Buffer.concat(commands.map((c) => encodeFrame(c)));
    for (let split = 0; split <= stream.length; split++) {
      const decoder = new FrameDecoder();
      const out = [
        ...decoder.push(stream.subarray(0, split)),
        ...decoder.push(stream.subarray(split)),
      ];
      expect(out).toEqual(commands);
    }
  });

  test("protocol: frame decoder: any three chunks, owned or not, yield the same commands", () => {
    const commands = sampleCommands();
    const stream = Buffer.concat(commands.map((c) => encodeFrame(c)));
    for (const owned of [false, true]) {
      for (let first = 0; first <= stream.length; first += 3) {
        for (let second = first; second <= stream.length; second += 5) {
          const decoder = new FrameDecoder();
          const out = [
            ...decoder.push(stream.slice(0, first), owned),
            ...decoder.push(stream.slice(first, second), owned),
            ...decoder.push(stream.slice(second), owned),
          ];
          expect(out).toEqual(commands);
          expect(decoder.bufferedBytes()).toBe(0);
        }
      }
    }
  });

  test("protocol: frame decoder: bodies are views of owned chunks, never of its buffer", () => {
    const commands = sampleCommands();
    const stream = Buffer.concat(commands.map((c) => encodeFrame(c)));
    const whole = encodeFrame(commands[0]!);
    // Not owned: the caller reuses its chunk; bodies already returned must not change.
    const reused = new Uint8Array(whole.length);
    reused.set(whole);
    const notOwned = new FrameDecoder().push(reused);
    reused.fill(0);
    expect(notOwned[0]).toEqual(commands[0]!);
    // Owned and whole in the chunk: a view, no copy.
    const fresh = whole.slice();
    const [viewed] = new FrameDecoder().push(fresh, true);
    expect(viewed!.body!.buffer).toBe(fresh.buffer);
    // Split across chunks: assembled in the decoder's buffer, so copied out of it; the next
    // split frame reuses that buffer and must not disturb the first body.
    const decoder = new FrameDecoder();
    const cut = whole.length - 2;
    const out = [
      ...decoder.push(stream.slice(0, cut), true),
      ...decoder.push(stream.slice(cut, cut + 3), true),
      ...decoder.push(stream.slice(cut + 3), true),
    ];
    expect(out).toEqual(commands);
    expect(out[0]!.body!.buffer).not.toBe(fresh.buffer);
  });

  test("protocol: frame decoder: one byte at a time yields the same commands", () => {
    const commands = sampleCommands();
    const stream = Buffer.concat(commands.map((c) => encodeFrame(c)));
    const decoder = new FrameDecoder();
    const out: RemotingCommand[] = [];
    for (const byte of stream) out.push(...decoder.push(Uint8Array.of(byte)));
    expect(out).toEqual(commands);
  });

  test("protocol: frame decoder: a negative frame length is rejected", () => {
    expectProtocolError(Uint8Array.of(0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0), /bad frame length/);
  });

  test("protocol: frame decoder: a frame length below the header meta is rejected", () => {
    expectProtocolError(Uint8Array.of(0, 0, 0, 2, 0, 0), /bad frame length 2/);
  });

  test("protocol: frame decoder: an oversized length is rejected before its bytes arrive", () => {
    const decoder = new FrameDecoder(1024);
    expect(() => decoder.push(Uint8Array.of(0, 0, 4, 1))).toThrow(ProtocolError);
  });

  test("protocol: frame decoder: a header longer than its frame is rejected", () => {
    expectProtocolError(frameBytes([0, 0, 0, 50, 0x7b, 0x7d]), /header length 50 exceeds/);
  });

  test("protocol: frame decoder: an unknown serialize type is rejected", () => {
    expectProtocolError(frameBytes([7, 0, 0, 2, 0x7b, 0x7d]), /unknown serialize type 7/);
  });

  test("protocol: frame decoder: bad JSON headers are rejected", () => {
    for (const text of ["{", "[1]", '{"code":"x"}', '{"code":1,"language":"KLINGON"}', "\u00ff"]) {
      const header = [...new TextEncoder().encode(text)];
      if (text === "\u00ff") header.splice(0, header.length, 0xff);
      expectProtocolError(frameBytes([0, 0, 0, header.length, ...header]), /./);
    }
  });

  test("protocol: frame decoder: truncated binary headers are rejected", () => {
    const good = encodeFrame({ ...sampleCommands()[2]!, serializeType: SerializeType.ROCKETMQ });
    const headerLength = new DataView(good.buffer).getInt32(4) & 0xffffff;
    for (let cut = 0; cut < headerLength; cut++) {
      const content = [...good.subarray(4, 8 + cut)];
      content[3] = cut; // shrink the header length to the cut
      content[1] = 0;
      content[2] = 0;
      expectProtocolError(frameBytes(content), /truncated|negative|trailing/);
    }
  });

  test("protocol: frame decoder: a binary header with a negative remark length is rejected", () => {
    const header = [0, 105, 0, 1, 223, 0, 0, 0, 7, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];
    expectProtocolError(frameBytes([1, 0, 0, header.length, ...header]), /negative remark length/);
  });

  test("protocol: frame decoder: random mutations end in commands or ProtocolError only", () => {
    const seed = seedFromEnv();
    const prng = new Prng(seed);
    const base = Buffer.concat(sampleCommands().map((c) => encodeFrame(c)));
    try {
      for (let round = 0; round < 2000; round++) {
        const bytes = Uint8Array.from(base);
        const flips = prng.between(1, 8);
        for (let i = 0; i < flips; i++) bytes[prng.below(bytes.length)] = prng.below(256);
        const decoder = new FrameDecoder(64 * 1024);
        try {
          let pos = 0;
          while (pos < bytes.length) {
            const step = prng.between(1, 64);
            decoder.push(bytes.subarray(pos, pos + step));
            pos += step;
          }
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
        }
        expect(decoder.bufferedBytes()).toBeLessThanOrEqual(64 * 1024 + 4 + 64);
      }
    } catch (error) {
      console.error(`fuzz failed with RMQ_SEED=${seed}`);
      throw error;
    }
  });

  test("protocol: frame decoder: random bytes end in commands or ProtocolError only", () => {
    const seed = seedFromEnv();
    const prng = new Prng(seed);
    try {
      for (let round = 0; round < 2000; round++) {
        const decoder = new FrameDecoder(64 * 1024);
        const length = prng.between(1, 200);
        const bytes = prng.bytes(length);
        if (length >= 4 && prng.chance(0.5))
          new DataView(bytes.buffer).setInt32(0, Math.max(4, length - 4));
        try {
          decoder.push(bytes);
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
        }
      }
    } catch (error) {
      console.error(`fuzz failed with RMQ_SEED=${seed}`);
      throw error;
    }
  });
});
