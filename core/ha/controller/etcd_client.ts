// The few etcd v3 calls a replicated controller needs, over etcd's JSON gateway (POST
// /v3/kv/range, /v3/kv/txn, /v3/lease/grant, /v3/lease/keepalive, /v3/lease/revoke; keys and
// values base64, 64-bit numbers as strings). Chosen over the npm package etcd3 because these
// five calls are all we use, fetch is built into Bun, and etcd3 would bring gRPC and protobuf
// code into the one binary for them. Endpoints are tried in turn, starting with the one that
// answered last, so losing one etcd member costs one failed request.

import type { Clock } from "../../common/clock.ts";
import { ConnectionError } from "../../common/errors.ts";

export interface EtcdValue {
  value: string;
  modRevision: number;
  lease: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function b64(text: string): string {
  return Buffer.from(encoder.encode(text)).toString("base64");
}

function unb64(text: string): string {
  return decoder.decode(Buffer.from(text, "base64"));
}

export class EtcdClient {
  private current = 0;

  constructor(
    private readonly endpoints: string[],
    private readonly clock: Clock,
    private readonly timeoutMs = 2_000,
  ) {
    if (endpoints.length === 0) throw new Error("no etcd endpoints given");
  }

  /** The value at `key` and its revision, or null. */
  async get(key: string): Promise<EtcdValue | null> {
    const answer = await this.call("/v3/kv/range", { key: b64(key) });
    const kv = (answer.kvs as { value?: string; mod_revision?: string; lease?: string }[])?.[0];
    if (!kv) return null;
    return {
      value: unb64(kv.value ?? ""),
      modRevision: Number(kv.mod_revision),
      lease: kv.lease ?? "0",
    };
  }

  /**
   * Puts `value` at `key` only if the key's mod revision is still `modRevision` (0: the key
   * must not exist). True when it was written; false when someone else wrote first.
   */
  async putIfRevision(key: string, value: string, modRevision: number, lease = "0") {
    const compare =
      modRevision === 0
        ? { key: b64(key), target: "CREATE", result: "EQUAL", create_revision: "0" }
        : { key: b64(key), target: "MOD", result: "EQUAL", mod_revision: String(modRevision) };
    const answer = await this.call("/v3/kv/txn", {
      compare: [compare],
      success: [{ request_put: { key: b64(key), value: b64(value), lease } }],
    });
    const revision = Number((answer.header as { revision?: string })?.revision);
    return { written: answer.succeeded === true, revision };
  }

  /** A lease of `ttlMs` (rounded up to whole seconds, etcd's unit); its id. */
  async grantLease(ttlMs: number): Promise<string> {
    const answer = await this.call("/v3/lease/grant", { TTL: Math.ceil(ttlMs / 1000) });
    if (typeof answer.ID !== "string") throw new ConnectionError("etcd granted no lease id");
    return answer.ID;
  }

  /** Renews a lease; false when it has expired (its keys are gone). */
  async keepAlive(id: string): Promise<boolean> {
    const answer = await this.call("/v3/lease/keepalive", { ID: id });
    const result = answer.result as { TTL?: string } | undefined;
    return Number(result?.TTL ?? 0) > 0;
  }

  async revoke(id: string): Promise<void> {
    await this.call("/v3/lease/revoke", { ID: id }).catch(() => undefined);
  }

  private async call(path: string, body: unknown): Promise<Record<string, unknown>> {
    let lastError: unknown;
    for (let i = 0; i < this.endpoints.length; i++) {
      const index = (this.current + i) % this.endpoints.length;
      const endpoint = this.endpoints[index]!;
      const abort = new AbortController();
      const timer = this.clock.after(this.timeoutMs, () => abort.abort());
      try {
        const response = await fetch(`${endpoint}${path}`, {
          method: "POST",
          body: JSON.stringify(body),
          signal: abort.signal,
        });
        const text = await response.text();
        if (!response.ok)
          throw new ConnectionError(`etcd ${endpoint}${path}: ${response.status} ${text}`);
        this.current = index;
        // The keepalive gateway streams: its first line is the answer.
        const parsed = JSON.parse(text.split("\n")[0] ?? "{}") as Record<string, unknown>;
        if (parsed.error)
          throw new ConnectionError(`etcd ${path}: ${JSON.stringify(parsed.error)}`);
        return parsed;
      } catch (error) {
        lastError = error;
      } finally {
        timer.cancel();
      }
    }
    throw lastError instanceof Error ? lastError : new ConnectionError(String(lastError));
  }
}
