// A private network of hosts on one machine for partition tests: a hub namespace with a
// bridge, and one namespace per host joined to it by a veth pair, each host with an address in
// 10.77.0.0/24. `cut(host)` takes the host's bridge port down (its own interface stays up, so
// processes on it still reach each other), `heal(host)` brings it back. Everything is made by
// the test and removed on dispose, even after a failure; nothing touches the real network.
// Needs root and iproute2 (`ip netns`); `netnsUnavailable()` says why not, for a skip.

import { spawnSync } from "node:child_process";

const tag = `${process.pid % 100_000}`;

function ip(args: string[]): void {
  const run = spawnSync("ip", args, { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`ip ${args.join(" ")}: ${run.stderr.trim()}`);
}

/** Why network namespaces cannot be used here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "needs root to make network namespaces";
  const probe = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) return "needs iproute2's ip netns";
  return null;
}

export class NetLab implements Disposable {
  private readonly hub = `rmq${tag}-hub`;
  private readonly hosts = new Map<string, { ns: string; address: string; port: string }>();
  private made: string[] = [];

  constructor(names: string[]) {
    try {
      ip(["netns", "add", this.hub]);
      this.made.push(this.hub);
      ip(["-n", this.hub, "link", "add", "br0", "type", "bridge"]);
      ip(["-n", this.hub, "link", "set", "br0", "up"]);
      names.forEach((name, i) => this.addHost(name, i + 1));
    } catch (error) {
      this[Symbol.dispose]();
      throw error;
    }
  }

  private addHost(name: string, index: number): void {
    const ns = `rmq${tag}-${name}`;
    const port = `rp${tag}${index}`; // interface names: at most 15 characters
    const inside = `ri${tag}${index}`;
    const address = `10.77.0.${10 + index}`;
    ip(["netns", "add", ns]);
    this.made.push(ns);
    ip(["-n", ns, "link", "set", "lo", "up"]);
    ip([
      "link",
      "add",
      port,
      "netns",
      this.hub,
      "type",
      "veth",
      "peer",
      "name",
      inside,
      "netns",
      ns,
    ]);
    ip(["-n", this.hub, "link", "set", port, "master", "br0", "up"]);
    ip(["-n", ns, "addr", "add", `${address}/24`, "dev", inside]);
    ip(["-n", ns, "link", "set", inside, "up"]);
    this.hosts.set(name, { ns, address, port });
  }

  address(name: string): string {
    return this.host(name).address;
  }

  /** The command prefix that runs a program on host `name`. */
  on(name: string): string[] {
    return ["ip", "netns", "exec", this.host(name).ns];
  }

  cut(name: string): void {
    ip(["-n", this.hub, "link", "set", this.host(name).port, "down"]);
  }

  heal(name: string): void {
    ip(["-n", this.hub, "link", "set", this.host(name).port, "up"]);
  }

  private host(name: string) {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no host ${name} in this lab`);
    return host;
  }

  [Symbol.dispose](): void {
    // Deleting a namespace removes its veth ends and the bridge with it.
    for (const ns of this.made.reverse()) spawnSync("ip", ["netns", "del", ns]);
    this.made = [];
  }
}
