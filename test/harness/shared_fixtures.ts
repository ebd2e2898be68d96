// Locates ../shared/fixtures (bytes written by Apache RocketMQ itself). Tests that use them skip
// with a one-line reason when the folder is absent; nothing from it is ever copied into the repo.

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const repoRoot = resolve(import.meta.dir, "..", "..");

export const sharedFixturesDir: string | null = (() => {
  const candidates = [
    process.env.RMQ_SHARED_DIR ? join(process.env.RMQ_SHARED_DIR, "fixtures") : "",
    resolve(repoRoot, "..", "shared", "fixtures"),
  ].filter(Boolean);
  return candidates.find((dir) => existsSync(dir)) ?? null;
})();

export const skipReason = "../shared/fixtures is absent: RocketMQ-written golden bytes unavailable";

export interface WireRecord {
  seq: number;
  conn: number;
  link: string;
  dir: "c2s" | "s2c";
  hex: string;
  frameLength: number;
  inReplyTo?: { code: number; name: string };
  decoded: {
    serializeType: number;
    code: number;
    flag: number;
    opaque: number;
    language: string;
    version: number;
    remark: string | null;
    extFields: Record<string, string> | null;
    bodyLength: number;
    bodyText: string | null;
    headerJson?: string;
    isResponse: boolean;
  };
}

/** Frame records of one capture file in shared/fixtures/rocketmq-wire. */
export function wireRecords(file: string): WireRecord[] {
  if (!sharedFixturesDir) return [];
  const text = readFileSync(join(sharedFixturesDir, "rocketmq-wire", file), "utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line))
    .filter((r) => typeof r.hex === "string" && r.decoded);
}

export const wireCaptureFiles = [
  "01-broker-master-start.jsonl",
  "02-admin-setup-create-topics.jsonl",
  "03-producer.jsonl",
  "04-push-consumer-clustering.jsonl",
  "05-orderly-consumer.jsonl",
  "06-transactions.jsonl",
  "07-admin-query-and-unknown-code.jsonl",
  "08-producer-rocketmq-serialize.jsonl",
  "09-broker-slave-register-and-ha.jsonl",
  "10-broker-clean-stop.jsonl",
  "11-route-json-by-client-version.jsonl",
];

export function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, "hex"));
}
