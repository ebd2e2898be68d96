// JSON header codec (serialize type 0, spec §1.3).
//
// Writing follows fastjson exactly as captured from RocketMQ 4.9.7: keys in alphabetical order
// code, extFields, flag, language, opaque, remark, serializeTypeCurrentRPC, version; `remark`
// and `extFields` omitted when null; `serializeTypeCurrentRPC` always "JSON"; extFields keys in
// the map's own order.
//
// Reading is lenient as RocketMQ servers are: missing code/flag/opaque/version read as 0, missing
// language as JAVA, any key order, non-string extFields values stringified.

import { ProtocolError } from "../common/errors.ts";
import { extFieldCountMax } from "../config/limits.ts";
import { SerializeType, type RemotingCommand } from "./command.ts";
import { SmallMap } from "../common/small_map.ts";
import { parseLenientJson, type JsonValue } from "./fastjson.ts";
import { isLanguageName } from "./language_code.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encodeJsonHeader(cmd: RemotingCommand): Uint8Array {
  let text = `{"code":${cmd.code}`;
  if (cmd.extFields !== null) {
    text += `,"extFields":{`;
    let first = true;
    cmd.extFields.forEach((value, key) => {
      text += `${first ? "" : ","}${JSON.stringify(key)}:${JSON.stringify(value)}`;
      first = false;
    });
    text += "}";
  }
  text += `,"flag":${cmd.flag},"language":${JSON.stringify(cmd.language)}`;
  text += `,"opaque":${cmd.opaque}`;
  if (cmd.remark !== null) text += `,"remark":${JSON.stringify(cmd.remark)}`;
  text += `,"serializeTypeCurrentRPC":"JSON","version":${cmd.version}}`;
  return encoder.encode(text);
}

/** The command a JSON header describes, with no body yet (the frame decoder adds it). */
export function decodeJsonHeader(bytes: Uint8Array): RemotingCommand {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new ProtocolError("JSON header is not valid UTF-8");
  }
  const parsed = parseLenientJson(text);
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ProtocolError("JSON header is not an object");
  }
  const language = parsed.language ?? "JAVA";
  if (typeof language !== "string" || !isLanguageName(language)) {
    throw new ProtocolError(`unknown language ${JSON.stringify(language)}`);
  }
  const remark = parsed.remark;
  if (remark !== undefined && remark !== null && typeof remark !== "string") {
    throw new ProtocolError("remark is not a string");
  }
  return {
    code: int32Field(parsed, "code"),
    language,
    version: int32Field(parsed, "version"),
    opaque: int32Field(parsed, "opaque"),
    flag: int32Field(parsed, "flag"),
    remark: remark ?? null,
    extFields: extFieldsOf(parsed.extFields),
    body: null,
    serializeType: SerializeType.JSON,
  };
}

function int32Field(obj: Record<string, JsonValue>, key: string): number {
  const value = obj[key];
  if (value === undefined || value === null) return 0;
  const num = typeof value === "string" ? Number(value) : value;
  if (typeof num !== "number" || !Number.isInteger(num) || num < -(2 ** 31) || num >= 2 ** 31) {
    throw new ProtocolError(`${key} is not a 32-bit integer`);
  }
  return num;
}

function extFieldsOf(value: JsonValue | undefined): SmallMap | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new ProtocolError("extFields is not an object");
  }
  const entries = Object.entries(value);
  if (entries.length > extFieldCountMax) throw new ProtocolError("too many extFields");
  const fields = new SmallMap();
  for (const [key, item] of entries) {
    if (item === null) continue;
    if (typeof item === "object") throw new ProtocolError(`extFields.${key} is not a scalar`);
    fields.append(key, String(item)); // an object's keys are distinct
  }
  return fields;
}

export const jsonSerializeType = SerializeType.JSON;
