// The RemotingCommand model (spec §1.2): one request or response on a RocketMQ connection.
// extFields is a Map (a SmallMap where rmq builds or decodes it) so that key order
// survives a decode/encode round trip (Java writes HashMap order and golden-byte tests compare
// whole frames).

import { SmallMap } from "../common/small_map.ts";
import type { LanguageName } from "./language_code.ts";
import { rmqWireVersion } from "./version.ts";
import { ResponseCode } from "./response_code.ts";

export const SerializeType = { JSON: 0, ROCKETMQ: 1 } as const;
export type SerializeTypeValue = (typeof SerializeType)[keyof typeof SerializeType];

/** Flag bits: bit 0 marks a response, bit 1 a oneway request. */
export const FlagBit = { RESPONSE: 1, ONEWAY: 2 } as const;

export interface RemotingCommand {
  code: number;
  language: LanguageName;
  version: number;
  opaque: number;
  flag: number;
  remark: string | null;
  /** null when the header had no extFields key; an empty map when it had `{}`. */
  extFields: Map<string, string> | null;
  body: Uint8Array | null;
  /** How this command arrived, or how it will be encoded. */
  serializeType: SerializeTypeValue;
}

/**
 * The language rmq announces. We speak the Java stack's dialect of the protocol (JSON shapes,
 * header fields, codes), so we say JAVA as the captures of real RocketMQ servers do; peers only
 * use it for logging and a few compatibility branches written for the Java client.
 */
export const rmqLanguage: LanguageName = "JAVA";

export function isResponse(cmd: RemotingCommand): boolean {
  return (cmd.flag & FlagBit.RESPONSE) !== 0;
}

export function isOneway(cmd: RemotingCommand): boolean {
  return (cmd.flag & FlagBit.ONEWAY) !== 0;
}

export interface RequestInit {
  extFields?: Map<string, string> | Record<string, string | number | boolean | undefined> | null;
  body?: Uint8Array | null;
  oneway?: boolean;
  serializeType?: SerializeTypeValue;
  remark?: string | null;
  version?: number;
}

export function toSmallMap(fields: RequestInit["extFields"]): Map<string, string> | null {
  if (fields === undefined || fields === null) return null;
  if (fields instanceof Map || fields instanceof SmallMap) return fields;
  return SmallMap.of(fields);
}

/** A new request; the transport assigns the opaque when it sends it. */
export function createRequest(code: number, init: RequestInit = {}): RemotingCommand {
  return {
    code,
    language: rmqLanguage,
    version: init.version ?? rmqWireVersion,
    opaque: 0,
    flag: init.oneway ? FlagBit.ONEWAY : 0,
    remark: init.remark ?? null,
    extFields: toSmallMap(init.extFields),
    body: init.body ?? null,
    serializeType: init.serializeType ?? SerializeType.JSON,
  };
}

export interface ResponseInit {
  remark?: string | null;
  extFields?: RequestInit["extFields"];
  body?: Uint8Array | null;
}

/** A response to `request`: same opaque, same serialize type (as RocketMQ servers answer). */
export function createResponse(
  request: RemotingCommand,
  code: number = ResponseCode.SUCCESS,
  init: ResponseInit = {},
): RemotingCommand {
  return {
    code,
    language: rmqLanguage,
    version: rmqWireVersion,
    opaque: request.opaque,
    flag: FlagBit.RESPONSE,
    remark: init.remark ?? null,
    extFields: toSmallMap(init.extFields),
    body: init.body ?? null,
    serializeType: request.serializeType,
  };
}

/**
 * A refusal: `request`'s answer with `code` and why. A plain function for processors to call
 * rather than a closure each makes per request (a send and a pull check a dozen things).
 */
export function createRefusal(
  request: RemotingCommand,
  code: number,
  remark: string,
): RemotingCommand {
  return createResponse(request, code, { remark });
}

/** Reads an extFields value; absent and empty both come back undefined. */
export function field(cmd: RemotingCommand, key: string): string | undefined {
  const value = cmd.extFields?.get(key);
  return value === undefined || value === "" ? undefined : value;
}
