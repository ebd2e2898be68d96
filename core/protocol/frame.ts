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
import { SerializeType, type RemotingCommand } from "./command.ts";
import { decodeBinaryHeader, encodeBinaryHeader, fitsBinaryHeader } from "./header_binary.ts";
import { decodeJsonHeader, encodeJsonHeader } from "./header_json.ts";

export const framePrefixBytes = 8;

export function encodeHeader(cmd: RemotingCommand): Uint8Array {
  // A command that cannot be expressed in binary (code > 32767) falls back to JSON, as
  // RocketMQ requires for its POP codes.
  if (cmd.serializeType === SerializeType.ROCKETMQ && fitsBinaryHeader(cmd)) {
    return encodeBinaryHeader(cmd);
  }
  return encodeJsonHeader(cmd);
}

/** The whole frame, length prefix included. Throws ProtocolError if it exceeds the limit. */
export function encodeFrame(cmd: RemotingCommand, frameBytesMax = frameSizeBytesMax): Uint8Array {
  const header = encodeHeader(cmd);
  const usesBinary = cmd.serializeType === SerializeType.ROCKETMQ && fitsBinaryHeader(cmd);
  const type = usesBinary ? SerializeType.ROCKETMQ : SerializeType.JSON;
  const bodyLength = cmd.body?.length ?? 0;
  const frameLength = 4 + header.length + bodyLength;
  if (frameLength > frameBytesMax) {
    throw new ProtocolError(`frame of ${frameLength} bytes exceeds the ${frameBytesMax} limit`);
  }
  assert(header.length < 1 << 24, "header length fits 24 bits");
  const out = new Uint8Array(4 + frameLength);
  const view = new DataView(out.buffer);
  view.setInt32(0, frameLength);
  view.setInt32(4, (type << 24) | header.length);
  out.set(header, framePrefixBytes);
  if (cmd.body) out.set(cmd.body, framePrefixBytes + header.length);
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
