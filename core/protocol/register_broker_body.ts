// RegisterBrokerBody (spec §2.2): the topic table a broker sends with REGISTER_BROKER, as JSON
// or in RocketMQ's compressed layout:
//
// zlib stream of, all ints big-endian:
// | int len | DataVersion JSON                                                              |
// | int n   | n x (int len | "topicName readQueueNums writeQueueNums perm filterType attrs") |
// | int len | filterServerList JSON array                                                   |
// | int m   | m x (int len | TopicQueueMappingInfo JSON)   -- only from brokers >= V5_0_0   |
//
// The compressed line drops topicSysFlag and order, as RocketMQ's does.

import { inflateSync, deflateSync, constants as zlibConstants } from "node:zlib";
import { ProtocolError } from "../common/errors.ts";
import { registerBodyInflatedBytesMax } from "../config/limits.ts";
import { parseLenientJson, writeJson, type JsonValue } from "./fastjson.ts";
import {
  asObject,
  dataVersionFromJson,
  topicConfigFromJson,
  topicConfigToWritable,
  type DataVersion,
  type TopicConfig,
} from "./topic_config.ts";
import { MQVersion } from "./version.ts";

export interface RegisterBrokerBody {
  dataVersion: DataVersion;
  topicConfigTable: Map<string, TopicConfig>;
  filterServerList: string[];
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

export function decodeRegisterBrokerBody(
  body: Uint8Array | null,
  compressed: boolean,
  brokerVersion: number,
): RegisterBrokerBody {
  if (body === null || body.length === 0) {
    return {
      dataVersion: dataVersionFromJson(undefined),
      topicConfigTable: new Map(),
      filterServerList: [],
    };
  }
  return compressed ? decodeCompressed(body, brokerVersion) : decodeJson(body);
}

function textOf(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ProtocolError(`${what} is not valid UTF-8`);
  }
}

function decodeJson(body: Uint8Array): RegisterBrokerBody {
  const root = asObject(parseLenientJson(textOf(body, "register body")), "register body");
  const wrapper = root.topicConfigSerializeWrapper;
  const wrapperObj = wrapper === undefined || wrapper === null ? {} : asObject(wrapper, "wrapper");
  const table = new Map<string, TopicConfig>();
  const rawTable = wrapperObj.topicConfigTable;
  if (rawTable !== undefined && rawTable !== null) {
    for (const [name, value] of Object.entries(asObject(rawTable, "topicConfigTable"))) {
      table.set(name, topicConfigFromJson(name, value));
    }
  }
  return {
    dataVersion: dataVersionFromJson(wrapperObj.dataVersion),
    topicConfigTable: table,
    filterServerList: stringList(root.filterServerList),
  };
}

function stringList(value: JsonValue | undefined): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ProtocolError("filterServerList is not an array");
  return value.map((v) => String(v));
}

function decodeCompressed(body: Uint8Array, brokerVersion: number): RegisterBrokerBody {
  let raw: Uint8Array;
  try {
    raw = inflateSync(body, { maxOutputLength: registerBodyInflatedBytesMax });
  } catch (cause) {
    throw new ProtocolError(`compressed register body does not inflate: ${String(cause)}`);
  }
  const reader = new BlockReader(raw);
  const dataVersion = dataVersionFromJson(parseLenientJson(textOf(reader.block(), "dataVersion")));
  const table = new Map<string, TopicConfig>();
  const topicCount = reader.count();
  for (let i = 0; i < topicCount; i++) {
    const config = topicConfigFromLine(textOf(reader.block(), "topic config"));
    table.set(config.topicName, config);
  }
  const filterServerList = stringList(parseLenientJson(textOf(reader.block(), "filter list")));
  if (brokerVersion >= MQVersion.V5_0_0) {
    // Static-topic mappings: rmq does not serve static topics, but the section must be
    // consumed and well formed.
    const mappingCount = reader.count();
    for (let i = 0; i < mappingCount; i++) parseLenientJson(textOf(reader.block(), "mapping"));
  }
  return { dataVersion, topicConfigTable: table, filterServerList };
}

/** TopicConfig.encode()'s space-separated line. */
export function topicConfigFromLine(line: string): TopicConfig {
  const parts = line.split(" ");
  if (parts.length < 5) throw new ProtocolError(`bad topic config line "${line.slice(0, 80)}"`);
  const num = (s: string | undefined, what: string) => {
    const n = Number(s);
    if (!Number.isInteger(n)) throw new ProtocolError(`topic config ${what} is not an integer`);
    return n;
  };
  let attributes: Record<string, string> = {};
  if (parts.length >= 6) {
    try {
      const parsed = parseLenientJson(parts.slice(5).join(" "));
      attributes = Object.fromEntries(
        Object.entries(asObject(parsed, "attributes")).map(([k, v]) => [k, String(v)]),
      );
    } catch {
      // RocketMQ ignores attributes it cannot parse (they may contain spaces); so do we.
    }
  }
  return {
    topicName: parts[0]!,
    readQueueNums: num(parts[1], "readQueueNums"),
    writeQueueNums: num(parts[2], "writeQueueNums"),
    perm: num(parts[3], "perm"),
    topicFilterType: parts[4]!,
    topicSysFlag: 0,
    order: false,
    attributes,
  };
}

class BlockReader {
  private pos = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  count(): number {
    if (this.pos + 4 > this.bytes.length) throw new ProtocolError("compressed body truncated");
    const value = this.view.getInt32(this.pos);
    this.pos += 4;
    if (value < 0) throw new ProtocolError(`negative count ${value} in compressed body`);
    return value;
  }

  block(): Uint8Array {
    const length = this.count();
    if (this.pos + length > this.bytes.length) throw new ProtocolError("compressed body truncated");
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
}

/** The JSON body a broker sends (fastjson field order). */
export function encodeRegisterBrokerBodyJson(body: RegisterBrokerBody): Uint8Array {
  const table = new Map<string, JsonValue>();
  for (const [name, config] of body.topicConfigTable)
    table.set(name, topicConfigToWritable(config));
  const text = writeJson(
    {
      filterServerList: body.filterServerList,
      topicConfigSerializeWrapper: {
        dataVersion: {
          counter: body.dataVersion.counter,
          stateVersion: body.dataVersion.stateVersion,
          timestamp: body.dataVersion.timestamp,
        },
        topicConfigTable: table,
      },
    },
    { quoteNumericKeys: true },
  );
  return encoder.encode(text);
}

/** The compressed body (brokers >= V5_0_0 layout: with an empty mapping section). */
export function encodeRegisterBrokerBodyCompressed(body: RegisterBrokerBody): Uint8Array {
  const chunks: Uint8Array[] = [];
  const int = (n: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, n);
    chunks.push(b);
  };
  const block = (text: string) => {
    const bytes = encoder.encode(text);
    int(bytes.length);
    chunks.push(bytes);
  };
  block(JSON.stringify(body.dataVersion));
  int(body.topicConfigTable.size);
  for (const c of body.topicConfigTable.values()) {
    const attrs = JSON.stringify(c.attributes);
    block(
      [c.topicName, c.readQueueNums, c.writeQueueNums, c.perm, c.topicFilterType, attrs].join(" "),
    );
  }
  block(JSON.stringify(body.filterServerList));
  int(0);
  return deflateSync(Buffer.concat(chunks), { level: zlibConstants.Z_BEST_COMPRESSION });
}
