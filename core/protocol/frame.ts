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
// It rejects a bad length as soon as the 8 prefix bytes arrive, before buffering the frame, so a
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

/** Decodes one whole frame body (everything after the 4-byte length). */
export function decodeFrameContent(content: Uint8Array): RemotingCommand {
  if (content.length < 4) throw new ProtocolError("frame shorter than its header meta");
  const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
  const meta = view.getUint32(0);
  const type = meta >>> 24;
  const headerLength = meta & 0xffffff;
  if (headerLength > content.length - 4) {
    throw new ProtocolError(`header length ${headerLength} exceeds frame length ${content.length}`);
  }
  const headerBytes = content.subarray(4, 4 + headerLength);
  let header;
  if (type === SerializeType.JSON) header = decodeJsonHeader(headerBytes);
  else if (type === SerializeType.ROCKETMQ) header = decodeBinaryHeader(headerBytes);
  else throw new ProtocolError(`unknown serialize type ${type}`);
  const bodyLength = content.length - 4 - headerLength;
  // Copy the body so it does not pin the decoder's buffer, which is reused.
  const body = bodyLength > 0 ? content.slice(4 + headerLength) : null;
  return { ...header, body, serializeType: type };
}

export class FrameDecoder {
  private buffer: Uint8Array;
  private start = 0; // first unread byte
  private end = 0; // one past the last buffered byte

  constructor(private readonly frameBytesMax = frameSizeBytesMax) {
    this.buffer = new Uint8Array(4096);
  }

  /** Bytes received but not yet part of a decoded frame. */
  bufferedBytes(): number {
    return this.end - this.start;
  }

  /** Appends `chunk` and returns every frame it completes, in order. */
  push(chunk: Uint8Array): RemotingCommand[] {
    this.append(chunk);
    const out: RemotingCommand[] = [];
    for (;;) {
      const available = this.end - this.start;
      if (available < 4) break;
      const frameLength = this.peekFrameLength();
      if (available < 4 + frameLength) break;
      const content = this.buffer.subarray(this.start + 4, this.start + 4 + frameLength);
      out.push(decodeFrameContent(content));
      this.start += 4 + frameLength;
    }
    if (this.start === this.end) this.start = this.end = 0;
    return out;
  }

  private peekFrameLength(): number {
    const view = new DataView(this.buffer.buffer, this.buffer.byteOffset + this.start, 4);
    const frameLength = view.getInt32(0);
    if (frameLength < 4) throw new ProtocolError(`bad frame length ${frameLength}`);
    if (frameLength > this.frameBytesMax) {
      throw new ProtocolError(
        `frame length ${frameLength} exceeds the ${this.frameBytesMax} limit`,
      );
    }
    return frameLength;
  }

  private append(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buffer.length) {
      const live = this.end - this.start;
      const needed = live + chunk.length;
      if (needed <= this.buffer.length && this.start > 0) {
        this.buffer.copyWithin(0, this.start, this.end);
      } else {
        let size = this.buffer.length;
        while (size < needed) size *= 2;
        const grown = new Uint8Array(size);
        grown.set(this.buffer.subarray(this.start, this.end));
        this.buffer = grown;
      }
      this.start = 0;
      this.end = live;
    }
    this.buffer.set(chunk, this.end);
    this.end += chunk.length;
  }
}
