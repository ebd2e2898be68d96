// Reusable buffers that channels encode outgoing frames into. A channel holds one only between
// its first frame of an event-loop turn and the socket write at the end of that turn, then gives
// it back: the socket takes the bytes before write() returns (what it cannot take now is copied
// into the channel's queue), so the buffer is free again at once. Encoding into a fresh buffer
// per frame, and again into a joined one per write, was a large share of what a client
// allocated per message (and so of its garbage-collection pauses).

/** Bytes of one chunk; a frame longer than this is written from its own buffer. */
export const outputChunkBytes = 256 * 1024;
/** Chunks kept for reuse; more channels writing in one turn allocate (and drop) their own. */
const pooledChunkCountMax = 8;

export interface OutputChunk {
  readonly bytes: Uint8Array;
  /** Spans `bytes` exactly. */
  readonly view: DataView;
}

const pool: OutputChunk[] = [];

export function takeOutputChunk(): OutputChunk {
  const pooled = pool.pop();
  if (pooled) return pooled;
  const bytes = new Uint8Array(outputChunkBytes);
  return { bytes, view: new DataView(bytes.buffer) };
}

/** The caller must hold no reference to the chunk's bytes after this. */
export function returnOutputChunk(chunk: OutputChunk): void {
  if (pool.length < pooledChunkCountMax) pool.push(chunk);
}
