// A big-endian signed 32-bit value read straight from bytes: for the places that look at one
// field (a frame's length, a record's TOTALSIZE) and would otherwise make a DataView to do it.

export function readInt32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
}
