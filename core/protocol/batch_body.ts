// The body of a batch send (spec §3.2.3): per message
//
// | size | field                                 |
// |------|---------------------------------------|
// | 4    | totalSize of this entry               |
// | 4    | magic (0, unused)                     |
// | 4    | bodyCRC (0, the broker recomputes)    |
// | 4    | flag                                  |
// | 4    | bodyLength                            |
// | n    | body                                  |
// | 2    | propertiesLength                      |
// | p    | properties (UTF-8)                    |

import { assert } from "../common/assert.ts";
import { ProtocolError } from "../common/errors.ts";

export interface BatchEntry {
  flag: number;
  body: Uint8Array;
  properties: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();
const entryOverheadBytes = 4 + 4 + 4 + 4 + 4 + 2;

export function decodeBatchBody(body: Uint8Array, entryCountMax: number): BatchEntry[] {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const out: BatchEntry[] = [];
  let pos = 0;
  while (pos < body.length) {
    if (out.length >= entryCountMax)
      throw new ProtocolError(`batch has more than ${entryCountMax} messages`);
    if (pos + entryOverheadBytes > body.length) throw new ProtocolError("batch entry truncated");
    const totalSize = view.getInt32(pos);
    const bodyLength = view.getInt32(pos + 16);
    if (bodyLength < 0 || pos + 20 + bodyLength + 2 > body.length)
      throw new ProtocolError("batch body length out of range");
    const messageBody = body.slice(pos + 20, pos + 20 + bodyLength);
    const propertiesLength = view.getInt16(pos + 20 + bodyLength);
    const propsAt = pos + 22 + bodyLength;
    if (propertiesLength < 0 || propsAt + propertiesLength > body.length) {
      throw new ProtocolError("batch properties length out of range");
    }
    if (totalSize !== entryOverheadBytes + bodyLength + propertiesLength) {
      throw new ProtocolError(`batch entry size ${totalSize} does not match its fields`);
    }
    let properties: string;
    try {
      properties = utf8.decode(body.subarray(propsAt, propsAt + propertiesLength));
    } catch {
      throw new ProtocolError("batch properties are not UTF-8");
    }
    out.push({ flag: view.getInt32(pos + 12), body: messageBody, properties });
    pos += totalSize;
  }
  if (out.length === 0) throw new ProtocolError("empty batch");
  return out;
}

export function encodeBatchBody(entries: BatchEntry[]): Uint8Array {
  const encoded = entries.map((e) => ({ ...e, props: encoder.encode(e.properties) }));
  const total = encoded.reduce(
    (n, e) => n + entryOverheadBytes + e.body.length + e.props.length,
    0,
  );
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const e of encoded) {
    assert(e.props.length <= 32767, "properties fit a short");
    const size = entryOverheadBytes + e.body.length + e.props.length;
    view.setInt32(pos, size);
    view.setInt32(pos + 4, 0);
    view.setInt32(pos + 8, 0);
    view.setInt32(pos + 12, e.flag);
    view.setInt32(pos + 16, e.body.length);
    out.set(e.body, pos + 20);
    view.setInt16(pos + 20 + e.body.length, e.props.length);
    out.set(e.props, pos + 22 + e.body.length);
    pos += size;
  }
  return out;
}
