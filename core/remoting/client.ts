// A RocketMQ remoting client on Bun.connect: one connection per address, reused by every
// request to that address; sync (awaited), async (callback-free promise) and oneway sends; a
// timeout per request; pending requests fail at once when their connection drops, and the next
// request reconnects. Requests the server sends to us (NOTIFY_CONSUMER_IDS_CHANGED,
// CHECK_TRANSACTION_STATE, ...) go through `processors`, answered on the same connection.

import type { Socket } from "bun";
import type { Clock } from "../common/clock.ts";
import { ConnectionError, TimeoutError } from "../common/errors.ts";
import type { Logger } from "../common/log.ts";
import { requestTimeoutMsDefault } from "../config/limits.ts";
import type { RemotingCommand } from "../protocol/command.ts";
import { Channel } from "./channel.ts";
import { dispatchRequest } from "./dispatch.ts";
import { ProcessorTable } from "./processor_table.ts";

export interface ClientOptions {
  clock: Clock;
  log: Logger;
  processors?: ProcessorTable;
  connectTimeoutMs?: number;
  /** A new connection to `address` is up (the first one, or one after a drop). */
  onConnected?: (address: string) => void;
  /** The connection to `address` closed (the next request reconnects). */
  onDisconnected?: (address: string) => void;
}

type SocketData = { channel: Channel | null };

export function parseAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new ConnectionError(`bad address "${address}": expected host:port`);
  }
  return { host, port };
}

export class RemotingClient {
  private readonly channels = new Map<string, Promise<Channel>>();
  /** The connected channels of `channels`: a request to one goes out with no await. */
  private readonly connected = new Map<string, Channel>();
  private readonly processors: ProcessorTable;
  private closed = false;

  constructor(private readonly options: ClientOptions) {
    this.processors = options.processors ?? new ProcessorTable();
  }

  /**
   * Sends `request` to `address` and resolves with the response, whatever its code. On a
   * connection that is up, the request is written before this returns (a producer's sends and a
   * consumer's pulls take this path: one async frame less each).
   */
  invoke(
    address: string,
    request: RemotingCommand,
    timeoutMs = requestTimeoutMsDefault,
  ): Promise<RemotingCommand> {
    const channel = this.closed ? undefined : this.connected.get(address);
    if (channel?.isOpen()) {
      try {
        return channel.invoke(request, timeoutMs);
      } catch (error) {
        return Promise.reject(error); // a failed assertion: a rejection, as on the slow path
      }
    }
    return this.channelTo(address, timeoutMs).then((ch) => ch.invoke(request, timeoutMs));
  }

  /** Sends `request` without waiting for (or getting) an answer. */
  async invokeOneway(
    address: string,
    request: RemotingCommand,
    timeoutMs = requestTimeoutMsDefault,
  ) {
    const channel = await this.channelTo(address, timeoutMs);
    if (!channel.invokeOneway(request)) {
      throw new ConnectionError(`could not send oneway code ${request.code} to ${address}`);
    }
  }

  /** Closes every connection; pending requests fail. */
  close(): void {
    this.closed = true;
    this.connected.clear();
    for (const pending of this.channels.values()) {
      pending.then(
        (ch) => ch.close("client closed"),
        () => {},
      );
    }
    this.channels.clear();
  }

  /** Drops the connection to one address (the next request reconnects). */
  disconnect(address: string, reason = "disconnected by caller"): void {
    const pending = this.channels.get(address);
    this.channels.delete(address);
    this.connected.delete(address);
    pending?.then(
      (ch) => ch.close(reason),
      () => {},
    );
  }

  private channelTo(address: string, timeoutMs: number): Promise<Channel> {
    if (this.closed) return Promise.reject(new ConnectionError("client is closed"));
    const existing = this.channels.get(address);
    if (existing) return existing;
    const connecting = this.connect(address, this.options.connectTimeoutMs ?? timeoutMs);
    this.channels.set(address, connecting);
    connecting.then(
      (channel) => {
        // Unless the client was closed or the address dropped while it connected.
        if (this.channels.get(address) === connecting && channel.isOpen()) {
          this.connected.set(address, channel);
        }
      },
      () => {
        if (this.channels.get(address) === connecting) this.channels.delete(address);
      },
    );
    return connecting;
  }

  private async connect(address: string, timeoutMs: number): Promise<Channel> {
    const { host, port } = parseAddress(address);
    const { clock, log } = this.options;
    let timer: { cancel(): void } | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = clock.after(timeoutMs, () =>
        reject(new TimeoutError(`connect to ${address} timed out after ${timeoutMs} ms`)),
      );
    });
    const connecting = Bun.connect<SocketData>({
      hostname: host,
      port,
      data: { channel: null },
      socket: {
        open: (socket) => this.attach(socket, address),
        data: (socket, chunk) => socket.data.channel?.receive(chunk, true),
        drain: (socket) => socket.data.channel?.drain(),
        close: (socket) => socket.data.channel?.close("server closed the connection"),
        error: (socket, error) => socket.data.channel?.close(`socket error: ${error.message}`),
        connectError: (_socket, error) =>
          log.debug(`connect to ${address} failed: ${error.message}`),
      },
    });
    try {
      const socket = await Promise.race([connecting, timeout]);
      const channel = socket.data.channel;
      if (!channel || !channel.isOpen())
        throw new ConnectionError(`connection to ${address} closed`);
      this.options.onConnected?.(address);
      return channel;
    } catch (error) {
      connecting.then(
        (s) => s.end(),
        () => {},
      );
      if (error instanceof TimeoutError || error instanceof ConnectionError) throw error;
      throw new ConnectionError(`cannot connect to ${address}: ${(error as Error).message}`, {
        cause: error,
      });
    } finally {
      (timer as { cancel(): void } | null)?.cancel();
    }
  }

  private attach(socket: Socket<SocketData>, address: string): void {
    const { clock, log } = this.options;
    const channel = new Channel(
      socket,
      address,
      {
        onRequest: (ch, request) => void dispatchRequest(this.processors, request, ch, log),
        onClose: (ch, reason) => {
          log.debug(`connection to ${address} closed: ${reason}`);
          if (this.connected.get(address) === ch) this.connected.delete(address);
          this.options.onDisconnected?.(address);
          const current = this.channels.get(address);
          current?.then(
            (c) => {
              if (c === ch && this.channels.get(address) === current) this.channels.delete(address);
            },
            () => {},
          );
        },
      },
      clock,
      log,
      { coalesceWrites: true },
    );
    socket.data = { channel };
  }
}
