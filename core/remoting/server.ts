// A RocketMQ remoting server on Bun.listen. Each accepted socket becomes a Channel; requests go
// through the processor table; a misbehaving peer loses its own connection only. stop() closes
// the listener and every connection.

import type { Socket, TCPSocketListener } from "bun";
import type { Clock, TimerHandle } from "../common/clock.ts";
import type { Logger } from "../common/log.ts";
import { serverConnectionCountMax } from "../config/limits.ts";
import { Channel } from "./channel.ts";
import { dispatchRequest } from "./dispatch.ts";
import type { ProcessorTable } from "./processor_table.ts";

export interface ServerOptions {
  host: string;
  port: number;
  processors: ProcessorTable;
  clock: Clock;
  log: Logger;
  /** Close a connection silent in both directions this long (serverChannelMaxIdleTimeSeconds). */
  idleTimeoutSeconds: number;
  /** Called after a channel closes, for bookkeeping such as dropping a broker's routes. */
  onChannelClose?: (channel: Channel, reason: string) => void;
}

type SocketData = { channel: Channel | null };

export class RemotingServer {
  private listener: TCPSocketListener<SocketData> | null = null;
  private readonly channels = new Set<Channel>();
  private idleTimer: TimerHandle | null = null;

  constructor(private readonly options: ServerOptions) {}

  /** Binds and returns the address actually bound (port 0 becomes a real port). */
  start(): { host: string; port: number } {
    const { options } = this;
    let listener: TCPSocketListener<SocketData>;
    try {
      listener = this.listen();
    } catch (error) {
      // Bun's message names the host only: say which port was refused.
      throw new Error(`${options.host}:${options.port}: ${(error as Error).message}`);
    }
    this.listener = listener;
    // Our own idle check: Bun's socket timeout fires after the set time even on a busy
    // connection (it is not reset by reads or writes), which dropped brokers every 2 minutes.
    const idleMs = options.idleTimeoutSeconds * 1_000;
    this.idleTimer = options.clock.every(Math.max(1_000, Math.min(idleMs / 4, 10_000)), () => {
      const nowMs = options.clock.nowMs();
      for (const channel of [...this.channels]) {
        if (nowMs - channel.lastActivityMs > idleMs) channel.close("idle timeout");
      }
    });
    return { host: listener.hostname, port: listener.port };
  }

  private listen(): TCPSocketListener<SocketData> {
    return Bun.listen<SocketData>({
      hostname: this.options.host,
      port: this.options.port,
      socket: {
        open: (socket) => this.accept(socket),
        data: (socket, chunk) => socket.data.channel?.receive(chunk, true),
        drain: (socket) => socket.data.channel?.drain(),
        close: (socket) => socket.data.channel?.close("peer closed the connection"),
        error: (socket, error) => socket.data.channel?.close(`socket error: ${error.message}`),
      },
      data: { channel: null },
    });
  }

  connectionCount(): number {
    return this.channels.size;
  }

  stop(): void {
    this.idleTimer?.cancel();
    this.idleTimer = null;
    for (const channel of [...this.channels]) channel.close("server stopping");
    this.listener?.stop(true);
    this.listener = null;
  }

  private accept(socket: Socket<SocketData>): void {
    const { options } = this;
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.data = { channel: null };
    if (this.channels.size >= serverConnectionCountMax) {
      options.log.warn(`refusing ${remote}: ${serverConnectionCountMax} connections already`);
      socket.end();
      return;
    }
    const channel = new Channel(
      socket,
      remote,
      {
        onRequest: (ch, request) =>
          void dispatchRequest(options.processors, request, ch, options.log),
        onClose: (ch, reason) => {
          this.channels.delete(ch);
          options.log.debug(`connection ${ch.remoteAddress} closed: ${reason}`);
          options.onChannelClose?.(ch, reason);
        },
      },
      options.clock,
      options.log,
      { coalesceWrites: true },
    );
    socket.data.channel = channel;
    this.channels.add(channel);
  }
}
