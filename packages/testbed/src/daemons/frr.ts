// FRR (zebra + bgpd, no watchfrr) in a host, each daemon in the foreground
// with a private socket folder; state read as JSON through vtysh.
// FRR is also the closest stand-in for BIG-IP's ZebOS `imish`.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { exec, execSync } from "../exec.js";
import type { Host } from "../topology.js";
import type { WaitOptions } from "../wait.js";
import { Daemon, type HasLogs, makeWorkDir } from "./daemon.js";

/** One neighbor (or peer-group member) of FRR's bgpd. */
export interface FrrNeighbor {
  readonly address: string;
  readonly remoteAs: number | "internal" | "external";
  readonly password?: string;
  /** Put the neighbor in this peer-group (created with remoteAs, F5-lab style). */
  readonly peerGroup?: string;
  readonly passive?: boolean;
  readonly port?: number;
  readonly localAs?: number;
  readonly timers?: { keepalive: number; hold: number };
  readonly ebgpMultihop?: number;
  /** Families to activate (default: the neighbor address's own family). */
  readonly families?: readonly ("ipv4" | "ipv6")[];
  readonly extendedNexthop?: boolean;
  readonly nextHopSelf?: boolean;
  /** Raw lines inside `router bgp`. */
  readonly extra?: string;
}

/** A bgpd configuration in the terms tests need. */
export interface FrrSpec {
  readonly as: number;
  readonly routerId: string;
  readonly neighbors: readonly FrrNeighbor[];
  /** Dynamic neighbors: accept sessions from a prefix into a peer-group. */
  readonly listenRanges?: readonly { prefix: string; peerGroup: string; remoteAs: number }[];
  /** Prefixes originated with `network` (no import check). */
  readonly networks4?: readonly string[];
  readonly networks6?: readonly string[];
  /** Raw configuration appended (after `router bgp`). */
  readonly extra?: string;
}

/** Renders an {@link FrrSpec} as bgpd.conf text. */
export function frrBgpdConfig(spec: FrrSpec): string {
  const l: string[] = [
    "frr defaults traditional",
    "log stdout debugging",
    `router bgp ${spec.as}`,
    ` bgp router-id ${spec.routerId}`,
    " no bgp ebgp-requires-policy",
    " no bgp network import-check",
    " no bgp default ipv4-unicast",
  ];
  const groups = new Map<string, number | string>();
  for (const n of spec.neighbors) if (n.peerGroup) groups.set(n.peerGroup, n.remoteAs);
  for (const r of spec.listenRanges ?? []) groups.set(r.peerGroup, r.remoteAs);
  for (const [g, as] of groups)
    l.push(` neighbor ${g} peer-group`, ` neighbor ${g} remote-as ${as}`);
  for (const r of spec.listenRanges ?? [])
    l.push(` bgp listen range ${r.prefix} peer-group ${r.peerGroup}`);
  for (const n of spec.neighbors) {
    const a = n.address;
    if (n.peerGroup) l.push(` neighbor ${a} peer-group ${n.peerGroup}`);
    else l.push(` neighbor ${a} remote-as ${n.remoteAs}`);
    if (n.password) l.push(` neighbor ${a} password ${n.password}`);
    if (n.passive) l.push(` neighbor ${a} passive`);
    if (n.port) l.push(` neighbor ${a} port ${n.port}`);
    if (n.localAs) l.push(` neighbor ${a} local-as ${n.localAs} no-prepend replace-as`);
    if (n.timers) l.push(` neighbor ${a} timers ${n.timers.keepalive} ${n.timers.hold}`);
    if (n.ebgpMultihop) l.push(` neighbor ${a} ebgp-multihop ${n.ebgpMultihop}`);
    if (n.extendedNexthop) l.push(` neighbor ${a} capability extended-nexthop`);
    l.push(` neighbor ${a} timers connect 2`);
    if (n.extra) l.push(n.extra);
  }
  for (const fam of ["ipv4", "ipv6"] as const) {
    l.push(` address-family ${fam} unicast`);
    for (const p of (fam === "ipv4" ? spec.networks4 : spec.networks6) ?? [])
      l.push(`  network ${p}`);
    for (const g of groups.keys()) {
      const members = spec.neighbors.filter((n) => n.peerGroup === g);
      const fams = members[0]?.families ?? [fam];
      if (fams.includes(fam) || (!members.length && fam === "ipv4"))
        l.push(`  neighbor ${g} activate`);
    }
    for (const n of spec.neighbors) {
      if (n.peerGroup) continue;
      const fams = n.families ?? [n.address.includes(":") ? "ipv6" : "ipv4"];
      if (!fams.includes(fam)) continue;
      l.push(`  neighbor ${n.address} activate`);
      if (n.nextHopSelf) l.push(`  neighbor ${n.address} next-hop-self`);
    }
    l.push(" exit-address-family");
  }
  if (spec.extra) l.push(spec.extra);
  return `${l.join("\n")}\n`;
}

/** zebra and bgpd running in a host. */
export class Frr implements HasLogs {
  readonly label: string;
  constructor(
    readonly host: Host,
    readonly dir: string,
    readonly zebra: Daemon,
    readonly bgpd: Daemon,
  ) {
    this.label = `frr@${host.name}`;
  }

  logs(): string {
    return `${this.zebra.logs()}\n${this.bgpd.logs()}`;
  }

  /** Runs vtysh commands (joined as several -c). */
  async vtysh(...commands: string[]): Promise<string> {
    const { stdout } = await exec([
      "vtysh",
      "--vty_socket",
      this.dir,
      ...commands.flatMap((c) => ["-c", c]),
    ]);
    return stdout;
  }

  /** Runs one `show … json` command and parses it. */
  async json<T = unknown>(command: string): Promise<T> {
    return JSON.parse(await this.vtysh(command)) as T;
  }

  /** `show bgp neighbors ADDR json`, the neighbor's entry. */
  async neighbor(address: string): Promise<Record<string, unknown> | undefined> {
    const j = await this.json<Record<string, Record<string, unknown>>>(
      `show bgp neighbors ${address} json`,
    );
    return j[address];
  }

  /** `show bgp ipv4|ipv6 unicast json` → prefix → paths. */
  async routes(afi: "ipv4" | "ipv6" = "ipv4"): Promise<Record<string, FrrPath[]>> {
    const j = await this.json<{ routes?: Record<string, FrrPath[]> }>(
      `show bgp ${afi} unicast json`,
    );
    return j.routes ?? {};
  }

  /** Waits until the neighbor's bgpState is Established. */
  waitEstablished(address: string, opts: WaitOptions = {}): Promise<Record<string, unknown>> {
    return this.bgpd.waitFor(
      async () => {
        const n = await this.neighbor(address);
        return n?.bgpState === "Established" ? n : undefined;
      },
      { what: `neighbor ${address} Established`, ...opts },
    );
  }

  /** Stops bgpd, then zebra (zebra would otherwise leave nexthop groups behind). */
  async stop(): Promise<void> {
    await this.bgpd.stop();
    await this.zebra.stop();
  }

  /** Freeze/thaw bgpd (hold-timer tests). */
  signal(sig: NodeJS.Signals): void {
    this.bgpd.signal(sig);
  }
}

/** One path of `show bgp … json`. */
export interface FrrPath {
  readonly valid?: boolean;
  readonly bestpath?: boolean;
  readonly pathFrom?: string;
  readonly prefix?: string;
  readonly prefixLen?: number;
  readonly network?: string;
  readonly origin?: string;
  readonly path?: string;
  readonly metric?: number;
  readonly locPrf?: number;
  readonly nexthops?: readonly { ip: string; afi: string; used?: boolean }[];
  readonly peerId?: string;
}

/** Starts zebra and bgpd in `host` with a typed spec or raw bgpd.conf text. */
export async function startFrr(
  host: Host,
  spec: FrrSpec | string,
  zebraConf = "log stdout\n",
): Promise<Frr> {
  const dir = makeWorkDir(`frr-${host.name}`);
  const bgpdConf = typeof spec === "string" ? spec : frrBgpdConfig(spec);
  writeFileSync(join(dir, "zebra.conf"), zebraConf);
  writeFileSync(join(dir, "bgpd.conf"), bgpdConf);
  writeFileSync(join(dir, "vtysh.conf"), "");
  execSync(["chown", "-R", "frr:frr", dir]);
  const common = ["--vty_socket", dir, "-z", join(dir, "zserv.api"), "-P", "0", "--log", "stdout"];
  const zebra = new Daemon({
    label: `zebra@${host.name}`,
    host,
    dir,
    argv: [
      "/usr/lib/frr/zebra",
      "-f",
      join(dir, "zebra.conf"),
      "-i",
      join(dir, "zebra.pid"),
      ...common,
    ],
  });
  let bgpd: Daemon | undefined;
  try {
    await zebra.waitFor(() => exec(["test", "-S", join(dir, "zserv.api")]).then(() => true), {
      what: "zserv socket",
      timeoutMs: 10_000,
    });
    bgpd = new Daemon({
      label: `bgpd@${host.name}`,
      host,
      dir,
      argv: [
        "/usr/lib/frr/bgpd",
        "-f",
        join(dir, "bgpd.conf"),
        "-i",
        join(dir, "bgpd.pid"),
        ...common,
      ],
    });
    const frr = new Frr(host, dir, zebra, bgpd);
    await bgpd.waitFor(() => frr.vtysh("show bgp summary json").then((s) => s.includes("{")), {
      what: "bgpd answers vtysh",
      timeoutMs: 15_000,
    });
    return frr;
  } catch (e) {
    await bgpd?.stop();
    await zebra.stop();
    throw e;
  }
}
