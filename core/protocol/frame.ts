// Frame codec (spec §1.1). One TCP stream carries self-delimiting frames:
//
// | offset | size | field                                                              |
// |--------|------|--------------------------------------------------------------------|
// | 0      | 4    | frameLength: bytes after this field = 4 + headerLength + bodyLength |
// | 4      | 4    | headerMeta: high byte serialize type, low 24 bits headerLength     |
// | 8      | h    | header (JSON text or ROCKETMQ binary)                               |
// | 8+h    | rest | body                                                               |
//
// FrameDecoder is incremental: feed it chunks split anywhere and it yields the same commands.
// It rejects a bad length as soon as its 4 bytes arrive, before buffering the frame, so a
// hostile length never makes it allocate. Any error is a ProtocolError; the connection that
// produced it must be closed (the stream can no longer be trusted to be in sync).

import { assert } from "../common/assert.ts";
import { ProtocolError } from "../common/errors.ts";
import { frameSizeBytesMax } from "../config/limits.ts";
import { SerializeType, type RemotingCommand, type SerializeTypeValue } from "./command.ts";
import {
  binaryHeaderLength,
  decodeBinaryHeader,
  encodeBinaryHeader,
  fitsBinaryHeader,
  writeBinaryHeader,
} from "./header_binary.ts";
import { decodeJsonHeader, encodeJsonHeader } from "./header_json.ts";
import { readInt32 } from "../common/int32.ts";

export const framePrefixBytes = 8;

export function encodeHeader(cmd: RemotingCommand): Uint8Array {
  return usesBinaryHeader(cmd) ? encodeBinaryHeader(cmd) : encodeJsonHeader(cmd);
}

// A command that cannot be expressed in binary (code > 32767) falls back to JSON, as RocketMQ
// requires for its POP codes.
function usesBinaryHeader(cmd: RemotingCommand): boolean {
  return cmd.serializeType === SerializeType.ROCKETMQ && fitsBinaryHeader(cmd);
}

/** How one command encodes: planFrame works it out, writeFrame writes it where told. */
export interface FramePlan {
  /** The whole frame, length prefix included. */
  frameBytes: number;
  headerBytes: number;
  type: SerializeTypeValue;
  /** A JSON header is encoded while planning; a binary one is written in place (null here). */
  jsonHeader: Uint8Array | null;
}

export function newFramePlan(): FramePlan {
  return {
    frameBytes: 0,
    headerBytes: 0,
    type: SerializeType.ROCKETMQ as SerializeTypeValue,
    jsonHeader: null,
  };
}

/** Fills `plan` for `cmd`. Throws ProtocolError if the frame would exceed the limit. */
export function planFrame(
  cmd: RemotingCommand,
  plan: FramePlan,
  frameBytesMax = frameSizeBytesMax,
): FramePlan {
  const binary = usesBinaryHeader(cmd);
  plan.type = binary ? SerializeType.ROCKETMQ : SerializeType.JSON;
  plan.jsonHeader = binary ? null : encodeJsonHeader(cmd);
  plan.headerBytes = binary ? binaryHeaderLength(cmd) : plan.jsonHeader!.length;
  const frameLength = 4 + plan.headerBytes + (cmd.body?.length ?? 0);
  if (frameLength > frameBytesMax) {
    throw new ProtocolError(`frame of ${frameLength} bytes exceeds the ${frameBytesMax} limit`);
  }
  assert(plan.headerBytes < 1 << 24, "header length fits 24 bits");
  plan.frameBytes = 4 + frameLength;
  return plan;
}

/**
 * Writes the planned frame of `cmd` at `at` (`view` spans `out` exactly); with `withBody`
 * false, everything but the body (the caller sends the body bytes next). Returns the end.
 */
export function writeFrame(
  cmd: RemotingCommand,
  plan: FramePlan,
  out: Uint8Array,
  view: DataView,
  at: number,
  withBody = true,
): number {
  view.setInt32(at, plan.frameBytes - 4);
  view.setInt32(at + 4, (plan.type << 24) | plan.headerBytes);
  const headerAt = at + framePrefixBytes;
  let end: number;
  if (plan.jsonHeader) {
    out.set(plan.jsonHeader, headerAt);
    end = headerAt + plan.jsonHeader.length;
  } else {
    end = writeBinaryHeader(cmd, out, view, headerAt);
  }
  assert(end === headerAt + plan.headerBytes, "header length matches its plan");
  if (withBody && cmd.body) {
    out.set(cmd.body, end);
    end += cmd.body.length;
  }
  return end;
}

const scratchPlan = newFramePlan();

/** The whole frame, length prefix included. Throws ProtocolError if it exceeds the limit. */
export function encodeFrame(cmd: RemotingCommand, frameBytesMax = frameSizeBytesMax): Uint8Array {
  const plan = planFrame(cmd, scratchPlan, frameBytesMax);
  const out = new Uint8Array(plan.frameBytes);
  const end = writeFrame(cmd, plan, out, new DataView(out.buffer), 0);
  assert(end === out.length, "frame length matches what was written");
  return out;
}

/**
 * Decodes one whole frame body (everything after the 4-byte length). The body is a copy unless
 * `bodyMayAlias`: then it may be a view of `content` (the caller knows nobody reuses it).
 */
export function decodeFrameContent(content: Uint8Array, bodyMayAlias = false): RemotingCommand {
  if (content.length < 4) throw new ProtocolError("frame shorter than its header meta");
  const type = content[0]!;
  const headerLength = (content[1]! << 16) | (content[2]! << 8) | content[3]!;
  if (headerLength > content.length - 4) {
    throw new ProtocolError(`header length ${headerLength} exceeds frame length ${content.length}`);
  }
  const bodyAt = 4 + headerLength;
  let cmd: RemotingCommand;
  if (type === SerializeType.JSON) cmd = decodeJsonHeader(content.subarray(4, bodyAt));
  else if (type === SerializeType.ROCKETMQ) cmd = decodeBinaryHeader(content, 4, bodyAt);
  else throw new ProtocolError(`unknown serialize type ${type}`);
  if (bodyAt < content.length) {
    cmd.body = bodyMayAlias ? content.subarray(bodyAt) : content.slice(bodyAt);
  }
  return cmd;
}

/**
 * Splits a byte stream into commands. A frame that arrives whole inside one chunk is decoded in
 * place (with `chunkOwned`, its body is a view of the chunk: no copy); only a frame split across
 * chunks is assembled in the decoder's own buffer, which is reused, so its body is copied.
 */
export class FrameDecoder {
  private buffer: Uint8Array;
  private buffered = 0; // bytes of a split frame held in `buffer`, from its start

  constructor(private readonly frameBytesMax = frameSizeBytesMax) {
    this.buffer = new Uint8Array(4096);
  }

  /** Bytes received but not yet part of a decoded frame. */
  bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Returns every frame `chunk` completes, in order, appended to `out` (a new list by
   * default; a channel passes one it reuses). `chunkOwned`: nobody writes to `chunk` after
   * this call (a socket's fresh buffer), so bodies may be views of it.
   */
  push(chunk: Uint8Array, chunkOwned = false, out: RemotingCommand[] = []): RemotingCommand[] {
    let at = 0;
    if (this.buffered > 0) {
      at = this.completeBuffered(chunk, out);
      if (this.buffered > 0) return out; // the chunk ended inside the split frame
    }
    while (chunk.length - at >= 4) {
      const frameLength = this.checkedLength(readInt32(chunk, at));
      if (chunk.length - at < 4 + frameLength) break;
      const content = chunk.subarray(at + 4, at + 4 + frameLength);
      out.push(decodeFrameContent(content, chunkOwned));
      at += 4 + frameLength;
    }
    if (at < chunk.length) this.hold(chunk, at, chunk.length);
    return out;
  }

  /** Feeds the split frame from `chunk`; decodes it once whole. Returns the bytes it used. */
  private completeBuffered(chunk: Uint8Array, out: RemotingCommand[]): number {
    let at = 0;
    if (this.buffered < 4) {
      at = Math.min(4 - this.buffered, chunk.length);
      this.hold(chunk, 0, at);
      if (this.buffered < 4) return at;
    }
    const frameBytes = 4 + this.checkedLength(readInt32(this.buffer, 0));
    const take = Math.min(frameBytes - this.buffered, chunk.length - at);
    this.hold(chunk, at, at + take);
    at += take;
    if (this.buffered === frameBytes) {
      this.buffered = 0; // before decoding: a malformed frame must not stay buffered
      out.push(decodeFrameContent(this.buffer.subarray(4, frameBytes), false));
    }
    return at;
  }

  private checkedLength(frameLength: number): number {
    if (frameLength < 4) throw new ProtocolError(`bad frame length ${frameLength}`);
    if (frameLength > this.frameBytesMax) {
      throw new ProtocolError(
        `frame length ${frameLength} exceeds the ${this.frameBytesMax} limit`,
      );
    }
    return frameLength;
  }

  /** Appends chunk[from, to) to the split frame, growing the buffer (up to one frame). */
  private hold(chunk: Uint8Array, from: number, to: number): void {
    const needed = this.buffered + (to - from);
    if (needed > this.buffer.length) {
      let size = this.buffer.length;
      while (size < needed) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.buffer.subarray(0, this.buffered));
      this.buffer = grown;
    }
    this.buffer.set(chunk.subarray(from, to), this.buffered);
    this.buffered = needed;
  }
}
