// Checksums and hashes that must be bit-exact with Java, because they are stored on disk or sent
// on the wire: CRC32 (IEEE, as java.util.zip.CRC32) and String.hashCode over UTF-16 code units.

/** CRC32 (IEEE polynomial, as zlib and java.util.zip.CRC32), unsigned 32-bit. */
export function crc32(data: Uint8Array): number {
  return Bun.hash.crc32(data) >>> 0;
}

/** RocketMQ masks CRCs to 31 bits so they stay positive as Java ints (bodyCRC, bodyCrc32). */
export function crc32Masked(data: Uint8Array): number {
  return crc32(data) & 0x7fffffff;
}

/** Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1], int32 wrap-around. */
export function javaStringHashCode(text: string): number {
  return javaStringHashCodeFrom(0, text);
}

/** Java's hashCode of text.slice(from, to), without making the slice. */
export function javaStringHashCodeOfRange(text: string, from: number, to: number): number {
  return hashOnward(0, text, from, to);
}

/** Java's hashCode of (a string whose hashCode is `hash`) + text: hashes a concatenation. */
export function javaStringHashCodeFrom(hash: number, text: string): number {
  return hashOnward(hash, text, 0, text.length);
}

/** String.hashCode's loop, carried on from `hash` over text[from, to). */
function hashOnward(hash: number, text: string, from: number, to: number): number {
  for (let i = from; i < to; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}
