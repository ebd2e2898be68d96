// Channels over an in-memory socket, for processor and channel tests without TCP.

import { ManualClock, type Clock } from "../../core/common/clock.ts";
import { memoryLogger } from "../../core/common/log.ts";
import { FrameDecoder } from "../../core/protocol/frame.ts";
import type { RemotingCommand } from "../../core/protocol/command.ts";
import { Channel, type ChannelEvents, type SocketLike } from "../../core/remoting/channel.ts";

/** A socket that accepts up to `capacityBytes` per write call (Infinity: everything). */
export class FakeSocket implements SocketLike {
  readonly written: Uint8Array[] = [];
  ended = false;
  capacityBytes = Infinity;

  write(bytes: Uint8Array, byteOffset = 0, byteLength = bytes.length - byteOffset): number {
    if (this.ended) return -1;
    const taken = Math.min(byteLength, this.capacityBytes);
    this.written.push(bytes.slice(byteOffset, byteOffset + taken));
    return taken;
  }

  end(): void {
    this.ended = true;
  }

  /** Everything written so far, decoded into commands. */
  commands(): RemotingCommand[] {
    return new FrameDecoder().push(Buffer.concat(this.written));
  }
}

export function fakeChannel(
  options: {
    clock?: Clock;
    events?: Partial<ChannelEvents>;
    remote?: string;
    coalesceWrites?: boolean;
  } = {},
) {
  const socket = new FakeSocket();
  const requests: RemotingCommand[] = [];
  const closes: string[] = [];
  const channel = new Channel(
    socket,
    options.remote ?? "127.0.0.1:40000",
    {
      onRequest: options.events?.onRequest ?? ((_, r) => requests.push(r)),
      onClose: options.events?.onClose ?? ((_, reason) => closes.push(reason)),
    },
    options.clock ?? new ManualClock(),
    memoryLogger(),
    { coalesceWrites: options.coalesceWrites ?? false },
  );
  return { channel, socket, requests, closes };
}
