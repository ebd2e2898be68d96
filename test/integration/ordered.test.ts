// Ordered messages through real processes: `rmq produce --order-key-from-field` sends every
// message of a key to one queue; `rmq consume --orderly` members lock their queues. Per key, each
// member sees the messages in send order; when a member joins, and when one is killed with -9
// mid-stream, the queues move without a gap and without reordering (a new owner starts at the
// committed offset, so it may repeat the last few of the old owner, in order).

import { describe, expect, test } from "bun:test";
import { jsonLines, RmqProcess, runRmq } from "../harness/rmq_process.ts";
import { startSingleNode } from "../harness/single_node.ts";
import { waitFor } from "../harness/wait_for.ts";

const keys = Array.from({ length: 10 }, (_, i) => `user-${i}`);

function lines(fromSeq: number, count: number): string {
  let out = "";
  for (let seq = fromSeq; seq < fromSeq + count; seq++) {
    out += JSON.stringify({ key: keys[seq % keys.length], seq }) + "\n";
  }
  return out;
}

/** Per key, the seq values a member consumed, in the order it consumed them. */
function perKey(stdout: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const m of jsonLines(stdout)) {
    const { key, seq } = JSON.parse(m.body);
    if (!out.has(key)) out.set(key, []);
    out.get(key)!.push(seq);
  }
  return out;
}

const increasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]!);

describe("ordered: keys keep their order", () => {
  test("ordered: per key order holds while members join and one is killed", async () => {
    // Short locks so a killed member's queues move on within seconds, not a minute.
    const { node, namesrv } = await startSingleNode(undefined, "rebalanceLockMaxLiveTime=3000");
    await using _node = node;
    const member = () =>
      new RmqProcess(
        [
          "consume",
          "-n",
          namesrv,
          "-t",
          "Ord",
          "-g",
          "og",
          "--orderly",
          "--from",
          "first",
          "--json",
        ],
        { RMQ_LOCK_INTERVAL_MS: "1000", RMQ_LOCK_FRESH_MS: "2000" },
      );
    const produce = async (text: string) => {
      const sent = await runRmq(
        ["produce", "-n", namesrv, "-t", "Ord", "--order-key-from-field", "key", "--json"],
        {},
        text,
      );
      expect(sent.exitCode).toBe(0);
      return jsonLines(sent.stdout);
    };
    const first = await produce(lines(0, 100));
    // One key, one queue.
    const queueOf = new Map<string, number>();
    first.forEach((r, seq) => {
      const key = keys[seq % keys.length]!;
      expect(queueOf.get(key) ?? r.queueId).toBe(r.queueId);
      queueOf.set(key, r.queueId);
    });
    const a = member();
    let b: RmqProcess | null = null;
    const outputs = () => a.stdout + (b?.stdout ?? "");
    const seen = () => new Set(jsonLines(outputs()).map((m) => JSON.parse(m.body).seq));
    try {
      await waitFor(() => seen().size >= 100, { timeoutMs: 15_000, what: "the first 100" });
      b = member(); // joins: the group rebalances, queues move from a to b
      await produce(lines(100, 100));
      await waitFor(() => seen().size >= 200, { timeoutMs: 15_000, what: "the next 100" });
      await a[Symbol.asyncDispose](); // kill -9 mid-stream
      const before = a.stdout;
      await produce(lines(200, 100));
      await waitFor(() => seen().size >= 300, { timeoutMs: 20_000, what: "all 300" });
      for (const stdout of [before, b.stdout]) {
        for (const [key, seqs] of perKey(stdout))
          expect([key, increasing(seqs)]).toEqual([key, true]);
      }
      // The moves really happened: b took over keys that a had consumed.
      const fromA = perKey(before);
      const fromB = perKey(b.stdout);
      expect(keys.filter((k) => fromA.has(k) && fromB.has(k)).length).toBeGreaterThan(0);
      // Per key, the union is every message of that key: nothing lost across the moves.
      const all = perKey(before + b.stdout);
      for (const key of keys) {
        const expected = Array.from({ length: 30 }, (_, i) => keys.indexOf(key) + i * 10);
        expect([...new Set(all.get(key))].sort((x, y) => x - y)).toEqual(expected);
      }
    } finally {
      await a[Symbol.asyncDispose]();
      await b?.[Symbol.asyncDispose]();
    }
  }, 60_000);
});

describe("ordered: across a broker restart", () => {
  test("ordered: per key order holds when the broker is killed and restarted", async () => {
    const conf = "rebalanceLockMaxLiveTime=3000";
    const first = await startSingleNode(undefined, conf);
    const listen = { broker: first.address, namesrv: first.namesrv };
    let node = first.node;
    const { namesrv, store } = first;
    const member = () =>
      new RmqProcess(
        [
          "consume",
          "-n",
          namesrv,
          "-t",
          "OrdR",
          "-g",
          "ogr",
          "--orderly",
          "--from",
          "first",
          "--json",
        ],
        { RMQ_LOCK_INTERVAL_MS: "1000", RMQ_LOCK_FRESH_MS: "2000" },
      );
    const produce = async (text: string) => {
      const sent = await runRmq(
        ["produce", "-n", namesrv, "-t", "OrdR", "--order-key-from-field", "key"],
        {},
        text,
      );
      expect(sent.exitCode).toBe(0);
    };
    await produce(lines(0, 100));
    const a = member();
    const b = member();
    const seen = () =>
      new Set(jsonLines(a.stdout + b.stdout).map((m) => JSON.parse(m.body).seq)).size;
    try {
      await waitFor(() => seen() >= 100, { timeoutMs: 15_000, what: "the first 100" });
      await node[Symbol.asyncDispose](); // kill -9 the broker (and its name server)
      node = (await startSingleNode(store, conf, listen)).node;
      await produce(lines(100, 100));
      await waitFor(() => seen() >= 200, { timeoutMs: 30_000, what: "all 200 after the restart" });
      for (const stdout of [a.stdout, b.stdout]) {
        for (const [key, seqs] of perKey(stdout)) {
          expect([key, increasing(seqs)]).toEqual([key, true]);
        }
      }
    } finally {
      await a[Symbol.asyncDispose]();
      await b[Symbol.asyncDispose]();
      await node[Symbol.asyncDispose]();
    }
  }, 60_000);
});
