// The request-code -> processor table of a server (STYLE rule 5). A processor decodes its
// header, calls the domain module, and returns the response (or null for oneway requests and
// requests RocketMQ leaves unanswered).

import type { RemotingCommand } from "../protocol/command.ts";
import type { Channel } from "./channel.ts";

export type Processor = (
  request: RemotingCommand,
  channel: Channel,
) => RemotingCommand | null | Promise<RemotingCommand | null>;

export class ProcessorTable {
  private readonly table = new Map<number, Processor>();

  register(code: number, processor: Processor): this {
    if (this.table.has(code)) throw new Error(`request code ${code} registered twice`);
    this.table.set(code, processor);
    return this;
  }

  lookup(code: number): Processor | undefined {
    return this.table.get(code);
  }

  codes(): number[] {
    return [...this.table.keys()].sort((a, b) => a - b);
  }
}
