// Typed reads of extFields values, as RocketMQ's custom-header decoding does (spec §1.5):
// required fields missing or malformed are a ProtocolError, which a server answers with
// SYSTEM_ERROR instead of crashing.

import { ProtocolError } from "../common/errors.ts";
import { field, type RemotingCommand } from "./command.ts";

export function requiredString(cmd: RemotingCommand, key: string): string {
  const value = field(cmd, key);
  if (value === undefined) throw new ProtocolError(`header field ${key} is required`);
  return value;
}

export function optionalString(cmd: RemotingCommand, key: string): string | undefined {
  return field(cmd, key);
}

function parseInteger(key: string, value: string): number {
  const num = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(num)) {
    throw new ProtocolError(`header field ${key} is not an integer: "${value.slice(0, 40)}"`);
  }
  return num;
}

export function requiredInt(cmd: RemotingCommand, key: string): number {
  return parseInteger(key, requiredString(cmd, key));
}

export function optionalInt(cmd: RemotingCommand, key: string): number | undefined {
  const value = field(cmd, key);
  return value === undefined ? undefined : parseInteger(key, value);
}

/** Java's Boolean.parseBoolean: "true" in any case is true, anything else false. */
export function optionalBool(cmd: RemotingCommand, key: string): boolean | undefined {
  const value = field(cmd, key);
  return value === undefined ? undefined : value.toLowerCase() === "true";
}
