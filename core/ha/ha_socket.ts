// The TCP plumbing both HA protocols share (classic and controller mode): a listener whose
// sockets each carry one peer object, a client connection, and a socket writer that keeps what
// the kernel did not take and sends it first on the next write or drain, so frames go out
// whole and in order.

import type { Socket, TCPSocketListener } from "bun";

export interface PeerEvents<P> {
  /** A new connection: its peer object, or null to refuse it (the socket is closed). */
  accept(socket: Socket<{ peer: P | null }>): P | null;
  data(peer: P, chunk: Uint8Array): void;
  drain(peer: P): void;
  closed(peer: P, why: string): void;
}

export function listenHa<P>(
  host: string,
  port: number,
  events: PeerEvents<P>,
): TCPSocketListener<{ peer: P | null }> {
  try {
    return listenPeers(host, port, events);
  } catch (error) {
    // Bun's message names the host only; the HA port is often derived (listen port + 1).
    throw new Error(`HA port ${host}:${port}: ${(error as Error).message}`);
  }
}

function listenPeers<P>(
  host: string,
  port: number,
  events: PeerEvents<P>,
): TCPSocketListener<{ peer: P | null }> {
  return Bun.listen<{ peer: P | null }>({
    hostname: host,
    port,
    socket: {
      open: (socket) => {
        const peer = events.accept(socket);
        if (peer === null) socket.end();
        socket.data = { peer };
      },
      data: (socket, chunk) => {
        if (socket.data.peer) events.data(socket.data.peer, chunk);
      },
      drain: (socket) => {
        if (socket.data.peer) events.drain(socket.data.peer);
      },
      close: (socket) => {
        if (socket.data.peer) events.closed(socket.data.peer, "closed");
      },
      error: (socket, error) => {
        if (socket.data.peer) events.closed(socket.data.peer, `error: ${error.message}`);
      },
    },
    data: { peer: null },
  });
}

/** Connects to "host:port"; `data` and `lost` get this socket, so a stale one can be told. */
export function connectHa(
  address: string,
  events: {
    data(socket: Socket<undefined>, chunk: Uint8Array): void;
    lost(socket: Socket<undefined>, why: string): void;
  },
): Promise<Socket<undefined>> {
  const colon = address.lastIndexOf(":");
  return Bun.connect<undefined>({
    hostname: address.slice(0, colon),
    port: Number(address.slice(colon + 1)),
    socket: {
      data: (socket, chunk) => events.data(socket, chunk),
      close: (socket) => events.lost(socket, "closed"),
      error: (socket, error) => events.lost(socket, `error: ${error.message}`),
    },
    data: undefined,
  });
}

/** Writes whole frames to a socket, keeping the part the socket did not take yet. */
export class FrameWriter {
  private unsent: Uint8Array | null = null;

  constructor(private readonly socket: { write(bytes: Uint8Array): number }) {}

  /** Whether bytes wait for the socket to drain. */
  busy(): boolean {
    return this.unsent !== null;
  }

  /** Queues `header` + `data` behind anything unsent; false when the socket is full. */
  write(header: Uint8Array, data?: Uint8Array): boolean {
    let frame = header;
    if (data && data.length > 0) {
      frame = new Uint8Array(header.length + data.length);
      frame.set(header);
      frame.set(data, header.length);
    }
    if (this.unsent) {
      const joined = new Uint8Array(this.unsent.length + frame.length);
      joined.set(this.unsent);
      joined.set(frame, this.unsent.length);
      this.unsent = joined;
      return this.flush();
    }
    const written = this.socket.write(frame);
    if (written === frame.length) return true;
    this.unsent = frame.subarray(Math.max(0, written));
    return false;
  }

  /** Sends what waits; true once nothing does. */
  flush(): boolean {
    if (!this.unsent) return true;
    const written = this.socket.write(this.unsent);
    if (written === this.unsent.length) {
      this.unsent = null;
      return true;
    }
    this.unsent = this.unsent.subarray(Math.max(0, written));
    return false;
  }
}
