// Topologies from a description: hosts (network namespaces), bridge segments
// and point-to-point veth links, addresses (IPv6 with DAD off), routes and
// sysctls. Every name is per-run (see names.ts) and `destroy()` removes all of
// it; a process exit handler removes what a crashed test left.
import { type ExecOptions, type ExecResult, exec } from "./exec.js";
import { destroyNamespace, newRunPrefix } from "./names.js";
import { inNetns } from "./netns.js";
import { waitFor } from "./wait.js";

/** One interface's addresses: CIDR strings such as "192.0.2.1/24" or "2001:db8::1/64". */
export type AddressList = readonly string[];

/** A bridge segment: an L2 switch (a bridge in its own namespace) with members. */
export interface SegmentSpec {
  /** Member host → its addresses on the segment. */
  readonly members: Readonly<Record<string, AddressList>>;
  /** Interface name inside each member (default: eth0, eth1, … in order of attachment). */
  readonly ifname?: Readonly<Record<string, string>>;
  readonly mtu?: number;
}

/** A point-to-point veth pair between two hosts. */
export interface LinkSpec {
  readonly a: { readonly host: string; readonly ifname?: string; readonly addrs?: AddressList };
  readonly b: { readonly host: string; readonly ifname?: string; readonly addrs?: AddressList };
  readonly mtu?: number;
}

export interface RouteSpec {
  readonly host: string;
  /** Destination prefix, or "default". IPv6 is recognised by a colon. */
  readonly to: string;
  readonly via?: string;
  readonly dev?: string;
  /** Route type: blackhole, unreachable… (default unicast). */
  readonly type?: "unicast" | "blackhole" | "unreachable" | "prohibit";
}

export interface TopologySpec {
  /** Host names: short ([a-z0-9]{1,8}) as they appear in interface names. */
  readonly hosts: readonly string[];
  readonly segments?: Readonly<Record<string, SegmentSpec>>;
  readonly links?: readonly LinkSpec[];
  readonly routes?: readonly RouteSpec[];
  /** Extra sysctls per host (every host already has forwarding on and DAD off). */
  readonly sysctls?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** One host: a network namespace. */
export class Host {
  /** The namespace's name under /var/run/netns. */
  readonly netns: string;
  /** Path of the namespace handle, for setns(2) or `nsenter --net=`. */
  readonly nsPath: string;
  private nextIf = 0;

  constructor(
    /** The name the topology gave it. */
    readonly name: string,
    prefix: string,
  ) {
    this.netns = prefix + name;
    this.nsPath = `/var/run/netns/${this.netns}`;
  }

  /** Runs a command inside the host. */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
    return exec(["ip", "netns", "exec", this.netns, ...argv], opts);
  }

  /** `ip -n <host> …` */
  ip(args: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
    return exec(["ip", "-n", this.netns, ...args], opts);
  }

  /** `ip -json -n <host> …` parsed. */
  async ipJson<T = unknown>(args: readonly string[]): Promise<T> {
    const { stdout } = await exec(["ip", "-json", "-n", this.netns, ...args]);
    return JSON.parse(stdout || "[]") as T;
  }

  /** Runs a synchronous function with this thread inside the host (to open sockets there). */
  run<T>(fn: () => T): T {
    return inNetns(this.nsPath, fn);
  }

  /** Next free default interface name (eth0, eth1, …). */
  allocIfname(): string {
    return `eth${this.nextIf++}`;
  }
}

const HOST_RE = /^[a-z][a-z0-9]{0,7}$/;
const live = new Set<Topology>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const cleanup = () => {
    for (const t of live) t.destroySync();
  };
  process.on("exit", cleanup);
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      cleanup();
      process.kill(process.pid, sig);
    });
  }
}

/** A built topology. Create with {@link createTopology}; always `destroy()` it. */
export class Topology {
  readonly hosts: ReadonlyMap<string, Host>;
  /** Namespaces of bridge segments, by segment name. */
  readonly switches: ReadonlyMap<string, string>;
  private destroyed = false;

  constructor(
    readonly prefix: string,
    hosts: Map<string, Host>,
    switches: Map<string, string>,
  ) {
    this.hosts = hosts;
    this.switches = switches;
  }

  /** The host named `name`; throws when the topology has none. */
  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`topology has no host "${name}"`);
    return h;
  }

  /** Every namespace this topology owns. */
  namespaces(): string[] {
    return [...[...this.hosts.values()].map((h) => h.netns), ...this.switches.values()];
  }

  /** Kills processes inside the topology's namespaces and deletes them. Idempotent. */
  async destroy(): Promise<void> {
    this.destroySync();
  }

  /** Synchronous destroy, for exit handlers. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const ns of this.namespaces()) destroyNamespace(ns);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }
}

/** Builds a topology; on any failure removes whatever it had made and rethrows. */
export async function createTopology(spec: TopologySpec): Promise<Topology> {
  installExitHook();
  const prefix = newRunPrefix();
  const hosts = new Map<string, Host>();
  for (const name of spec.hosts) {
    if (!HOST_RE.test(name)) throw new Error(`bad host name "${name}": want [a-z][a-z0-9]{0,7}`);
    if (hosts.has(name)) throw new Error(`duplicate host "${name}"`);
    hosts.set(name, new Host(name, prefix));
  }
  const switches = new Map<string, string>();
  for (const seg of Object.keys(spec.segments ?? {})) switches.set(seg, `${prefix}sw-${seg}`);
  const topo = new Topology(prefix, hosts, switches);
  live.add(topo);
  try {
    await build(topo, spec);
  } catch (e) {
    topo.destroySync();
    throw e;
  }
  return topo;
}

function hostOf(topo: Topology, name: string): Host {
  return topo.host(name);
}

async function build(topo: Topology, spec: TopologySpec): Promise<void> {
  // `ip -batch` takes no per-line `-n`, so commands are grouped: the root
  // batch creates veth pairs straight into their namespaces, then one batch
  // per namespace configures what is inside it.
  const root: string[] = [];
  const inside = new Map<string, string[]>();
  const nsBatch = (ns: string) => {
    const b = inside.get(ns) ?? [];
    inside.set(ns, b);
    return b;
  };
  for (const ns of topo.namespaces()) await exec(["ip", "netns", "add", ns]);

  // Host basics: loopback up, forwarding on, DAD off (DAD costs ~1.7 s per address).
  await Promise.all(
    [...topo.hosts.values()].map((h) =>
      h.exec([
        "sysctl",
        "-qw",
        "net.ipv4.ip_forward=1",
        "net.ipv6.conf.all.forwarding=1",
        "net.ipv6.conf.all.accept_dad=0",
        "net.ipv6.conf.default.accept_dad=0",
        "net.ipv4.ping_group_range=0 2147483647",
        ...Object.entries(spec.sysctls?.[h.name] ?? {}).map(([k, v]) => `${k}=${v}`),
      ]),
    ),
  );
  for (const h of topo.hosts.values()) nsBatch(h.netns).push("link set lo up");

  const addAddrs = (h: Host, ifname: string, addrs: AddressList | undefined) => {
    for (const a of addrs ?? []) {
      nsBatch(h.netns).push(`addr add ${a} dev ${ifname}${a.includes(":") ? " nodad" : ""}`);
    }
  };

  for (const [seg, s] of Object.entries(spec.segments ?? {})) {
    const sw = topo.switches.get(seg)!;
    nsBatch(sw).push("link add br0 type bridge", "link set br0 up");
    for (const [member, addrs] of Object.entries(s.members)) {
      const h = hostOf(topo, member);
      const ifname = s.ifname?.[member] ?? h.allocIfname();
      const port = `p-${member}`;
      const mtu = s.mtu ? ` mtu ${s.mtu}` : "";
      root.push(
        `link add ${ifname} netns ${h.netns}${mtu} type veth peer name ${port} netns ${sw}${mtu}`,
      );
      nsBatch(sw).push(`link set ${port} master br0 up`);
      addAddrs(h, ifname, addrs);
      nsBatch(h.netns).push(`link set ${ifname} up`);
    }
  }
  for (const l of spec.links ?? []) {
    const ha = hostOf(topo, l.a.host);
    const hb = hostOf(topo, l.b.host);
    const ia = l.a.ifname ?? ha.allocIfname();
    const ib = l.b.ifname ?? hb.allocIfname();
    const mtu = l.mtu ? ` mtu ${l.mtu}` : "";
    root.push(
      `link add ${ia} netns ${ha.netns}${mtu} type veth peer name ${ib} netns ${hb.netns}${mtu}`,
    );
    addAddrs(ha, ia, l.a.addrs);
    addAddrs(hb, ib, l.b.addrs);
    nsBatch(ha.netns).push(`link set ${ia} up`);
    nsBatch(hb.netns).push(`link set ${ib} up`);
  }
  for (const r of spec.routes ?? []) {
    const h = hostOf(topo, r.host);
    const v6 = r.to.includes(":") || (r.via?.includes(":") ?? false);
    const to = r.to === "default" ? (v6 ? "::/0" : "0.0.0.0/0") : r.to;
    const type = r.type && r.type !== "unicast" ? `${r.type} ` : "";
    const via = r.via ? ` via ${r.via}` : "";
    const dev = r.dev ? ` dev ${r.dev}` : "";
    nsBatch(h.netns).push(`route add ${type}${to}${via}${dev}`);
  }
  const run = (args: string[], lines: string[]) =>
    lines.length
      ? exec(["ip", ...args, "-batch", "-"], { input: `${lines.join("\n")}\n` })
      : undefined;
  await run([], root);
  // Links and addresses first everywhere, then routes (a route's gateway must be reachable).
  for (const [ns, lines] of inside)
    await run(
      ["-n", ns],
      lines.filter((l) => !l.startsWith("route ")),
    );
  for (const [ns, lines] of inside)
    await run(
      ["-n", ns],
      lines.filter((l) => l.startsWith("route ")),
    );
  await linksUp([...inside.keys()]);
}

/** How long {@link linksUp} waits for a link set up to carry packets. */
const LINK_UP_TIMEOUT_MS = 5_000;

/**
 * Waits until every interface set up in `namespaces` is operationally up.
 * A veth or bridge port set up is not yet ready: the kernel turns its carrier
 * on and gives it a queue a moment later, in its link-watch work (up to a
 * second on a busy machine), and a packet sent before that is dropped — a
 * ping right after `createTopology` then fails at once. Reading the links
 * takes the same lock as that work, so "UP" here means the queue is in place.
 */
async function linksUp(namespaces: readonly string[]): Promise<void> {
  for (const ns of namespaces)
    await waitFor(
      async () => {
        const links = JSON.parse(
          (await exec(["ip", "-n", ns, "-j", "link", "show"])).stdout || "[]",
        ) as { ifname: string; flags: string[]; operstate: string }[];
        // (admin-up links only; loopback reports UNKNOWN)
        const down = links.filter(
          (l) => l.flags.includes("UP") && l.operstate !== "UP" && l.operstate !== "UNKNOWN",
        );
        if (down.length)
          throw new Error(down.map((l) => `${l.ifname} (${l.operstate})`).join(", "));
        return true;
      },
      { timeoutMs: LINK_UP_TIMEOUT_MS, intervalMs: 20, what: `the links of ${ns} to come up` },
    );
}
