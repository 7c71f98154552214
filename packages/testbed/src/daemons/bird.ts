// BIRD 2 in a host: configuration from a typed description, `birdc` queries
// parsed into protocols and routes.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { exec } from "../exec.js";
import type { Host } from "../topology.js";
import type { WaitOptions } from "../wait.js";
import { Daemon, makeWorkDir } from "./daemon.js";

/** One BGP channel (address family) of a BIRD peer. */
export interface BirdChannel {
  /** BIRD filter expression or keyword (default "all"). */
  readonly import?: string;
  readonly export?: string;
  readonly nextHopSelf?: boolean;
  /** RFC 8950: IPv4 NLRI with an IPv6 next hop. */
  readonly extendedNextHop?: boolean;
  /** ADD-PATH: "rx", "tx" or "on". */
  readonly addPaths?: "rx" | "tx" | "on";
  /** Next hop to announce (e.g. an IPv6 address for IPv6 routes over an IPv4 session). */
  readonly nextHopAddress?: string;
}

/** One BGP session of BIRD. */
export interface BirdPeer {
  /** BIRD protocol name, e.g. "tortie". */
  readonly name: string;
  readonly neighbor: string;
  readonly neighborPort?: number;
  readonly neighborAs: number;
  readonly localAddress?: string;
  readonly localAs?: number;
  /** Directly connected neighbour (BIRD's `direct`; default true). */
  readonly direct?: boolean;
  readonly multihop?: number;
  readonly passive?: boolean;
  readonly password?: string;
  readonly holdTime?: number;
  readonly keepaliveTime?: number;
  /** Do not announce the 4-octet AS capability (act as a 2-octet-only speaker). */
  readonly disable4Octet?: boolean;
  readonly ipv4?: BirdChannel | boolean;
  readonly ipv6?: BirdChannel | boolean;
  /** Raw lines added inside the protocol block. */
  readonly extra?: string;
}

/** A BIRD configuration in the terms the tests need. */
export interface BirdSpec {
  readonly routerId: string;
  readonly localAs: number;
  readonly peers: readonly BirdPeer[];
  /** Prefixes originated as blackhole static routes. */
  readonly static4?: readonly string[];
  readonly static6?: readonly string[];
  /** Export BGP routes into the host's kernel table (default false). */
  readonly kernel?: boolean;
  /** Import the host's connected networks (`protocol direct`; default true). */
  readonly direct?: boolean;
  /** Raw configuration appended at the end. */
  readonly extra?: string;
}

/** Renders a {@link BirdSpec} as bird.conf text. */
export function birdConfig(spec: BirdSpec): string {
  const lines: string[] = [
    `router id ${spec.routerId};`,
    "log stderr all;",
    "protocol device { scan time 10; }",
  ];
  if (spec.direct !== false) lines.push("protocol direct { ipv4; ipv6; }");
  if (spec.kernel) {
    lines.push(
      "protocol kernel k4 { ipv4 { import none; export where source = RTS_BGP; }; merge paths on; }",
      "protocol kernel k6 { ipv6 { import none; export where source = RTS_BGP; }; merge paths on; }",
    );
  }
  if (spec.static4?.length) {
    lines.push(
      `protocol static s4 { ipv4; ${spec.static4.map((p) => `route ${p} blackhole;`).join(" ")} }`,
    );
  }
  if (spec.static6?.length) {
    lines.push(
      `protocol static s6 { ipv6; ${spec.static6.map((p) => `route ${p} blackhole;`).join(" ")} }`,
    );
  }
  for (const p of spec.peers) {
    const b: string[] = [`protocol bgp ${p.name} {`];
    b.push(`  local ${p.localAddress ?? ""} as ${p.localAs ?? spec.localAs};`);
    b.push(
      `  neighbor ${p.neighbor}${p.neighborPort ? ` port ${p.neighborPort}` : ""} as ${p.neighborAs};`,
    );
    if (p.multihop) b.push(`  multihop ${p.multihop};`);
    else if (p.direct !== false) b.push("  direct;");
    if (p.passive) b.push("  passive on;");
    if (p.password) b.push(`  password "${p.password}";`);
    if (p.holdTime !== undefined) b.push(`  hold time ${p.holdTime};`);
    if (p.keepaliveTime !== undefined) b.push(`  keepalive time ${p.keepaliveTime};`);
    if (p.disable4Octet) b.push("  enable as4 off;");
    b.push("  connect delay time 1; connect retry time 2; error wait time 1, 5;");
    for (const fam of ["ipv4", "ipv6"] as const) {
      const ch = p[fam];
      if (!ch) continue;
      const c: BirdChannel = ch === true ? {} : ch;
      const opts = [`import ${c.import ?? "all"};`, `export ${c.export ?? "all"};`];
      if (c.nextHopSelf) opts.push("next hop self;");
      if (c.extendedNextHop) opts.push("extended next hop on;");
      if (c.addPaths) opts.push(`add paths ${c.addPaths};`);
      if (c.nextHopAddress) opts.push(`next hop address ${c.nextHopAddress};`);
      b.push(`  ${fam} { ${opts.join(" ")} };`);
    }
    if (p.extra) b.push(p.extra);
    b.push("}");
    lines.push(b.join("\n"));
  }
  if (spec.extra) lines.push(spec.extra);
  return `${lines.join("\n")}\n`;
}

/** A row of `birdc show protocols`. */
export interface BirdProtocol {
  readonly name: string;
  readonly proto: string;
  readonly table: string;
  readonly state: string;
  readonly since: string;
  /** For BGP: "Established", "Active", "Connect"…, plus any error text. */
  readonly info: string;
}

/** One route from `birdc show route all`. */
export interface BirdRoute {
  readonly table: string;
  readonly prefix: string;
  readonly type: string;
  /** The protocol the route came from. */
  readonly protocol: string;
  readonly best: boolean;
  readonly gateway?: string;
  /** Attributes such as `BGP.as_path`, `BGP.next_hop`, `BGP.community`. */
  readonly attrs: Readonly<Record<string, string>>;
}

/** Parses `birdc show protocols` output. */
export function parseBirdProtocols(text: string): BirdProtocol[] {
  const out: BirdProtocol[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(up|down|start|stop|flush)\s+(\S+(?: \S+)?)\s*(.*)$/.exec(
      line,
    );
    if (!m || m[1] === "Name") continue;
    out.push({
      name: m[1]!,
      proto: m[2]!,
      table: m[3]!,
      state: m[4]!,
      since: m[5]!,
      info: m[6]!.trim(),
    });
  }
  return out;
}

/**
 * Whether two readings of a protocol's `since` are the same instant. BIRD
 * converts the instant from its monotonic clock to wall time each time it
 * is shown, so one instant can read a millisecond apart (seen: 00:35:33.769
 * then .770 for a session that never moved); a session that went down and
 * came back reads seconds later. Readings: `[YYYY-MM-DD ]HH:MM:SS[.fff]`.
 */
export function sameBirdInstant(a: string, b: string, toleranceMs = 5): boolean {
  const parse = (s: string) => {
    const m = /^(?:(\S+) )?(\d\d):(\d\d):(\d\d)(?:\.(\d{1,3}))?$/.exec(s.trim());
    if (!m) throw new Error(`not a BIRD time: ${JSON.stringify(s)}`);
    const ms = Number((m[5] ?? "0").padEnd(3, "0"));
    return {
      date: m[1] ?? "",
      ms: ((Number(m[2]) * 60 + Number(m[3])) * 60 + Number(m[4])) * 1000 + ms,
    };
  };
  const x = parse(a);
  const y = parse(b);
  const d = Math.abs(x.ms - y.ms);
  // (across midnight the readings differ in date, or in a 24 h time-of-day)
  if (x.date === y.date) return d <= toleranceMs;
  return 86_400_000 - d <= toleranceMs;
}

/** Parses `birdc show route all` output. */
export function parseBirdRoutes(text: string): BirdRoute[] {
  const out: { -readonly [K in keyof BirdRoute]: BirdRoute[K] }[] = [];
  let table = "";
  let prefix = "";
  for (const raw of text.split("\n")) {
    const t = /^Table (\S+):/.exec(raw);
    if (t) {
      table = t[1]!;
      continue;
    }
    const r = /^(\S+)?\s+(unicast|blackhole|unreachable|prohibit)\s+\[(\S+)[^\]]*\]\s*(\*?)/.exec(
      raw,
    );
    if (r) {
      if (r[1]) prefix = r[1];
      out.push({ table, prefix, type: r[2]!, protocol: r[3]!, best: r[4] === "*", attrs: {} });
      continue;
    }
    const cur = out[out.length - 1];
    if (!cur) continue;
    const via = /^\s+via (\S+)/.exec(raw);
    if (via) {
      cur.gateway ??= via[1]!;
      continue;
    }
    const a = /^\s+([A-Za-z0-9_.]+): (.*)$/.exec(raw);
    if (a) cur.attrs = { ...cur.attrs, [a[1]!]: a[2]!.trim() };
  }
  return out;
}

/** A running BIRD. */
export class Bird extends Daemon {
  readonly ctl: string;
  constructor(host: Host, dir: string, conf: string) {
    const confPath = join(dir, "bird.conf");
    writeFileSync(confPath, conf);
    const ctl = join(dir, "bird.ctl");
    super({
      label: `bird@${host.name}`,
      host,
      dir,
      argv: ["bird", "-f", "-c", confPath, "-s", ctl, "-P", join(dir, "bird.pid")],
    });
    this.ctl = ctl;
  }

  /** Runs a birdc command; returns its output. */
  async birdc(command: string): Promise<string> {
    const { stdout } = await exec(["birdc", "-s", this.ctl, ...command.split(" ")]);
    return stdout;
  }

  async protocols(): Promise<BirdProtocol[]> {
    return parseBirdProtocols(await this.birdc("show protocols"));
  }

  async protocol(name: string): Promise<BirdProtocol | undefined> {
    return (await this.protocols()).find((p) => p.name === name);
  }

  /** Full `show protocols all NAME` text (negotiated capabilities, last error…). */
  async protocolDetails(name: string): Promise<string> {
    return this.birdc(`show protocols all ${name}`);
  }

  /** Routes, optionally of one table (`master4`, `master6`) or one protocol. */
  async routes(opts: { table?: string; protocol?: string } = {}): Promise<BirdRoute[]> {
    let cmd = "show route all";
    if (opts.table) cmd += ` table ${opts.table}`;
    if (opts.protocol) cmd += ` protocol ${opts.protocol}`;
    return parseBirdRoutes(await this.birdc(cmd));
  }

  /** Waits until the BGP protocol `name` is Established. */
  waitEstablished(name: string, opts: WaitOptions = {}): Promise<BirdProtocol> {
    return this.waitFor(
      async () => {
        const p = await this.protocol(name);
        if (p?.info.startsWith("Established")) return p;
        // Not yet: the state and BIRD's last error go into a timeout's message.
        throw new Error(p ? `${p.state} since ${p.since}: ${p.info}` : `no protocol ${name}`);
      },
      { what: `protocol ${name} Established`, ...opts },
    );
  }
}

/** Starts BIRD in `host` with a typed spec (or raw config text) and waits until its control socket answers. */
export async function startBird(host: Host, spec: BirdSpec | string): Promise<Bird> {
  const dir = makeWorkDir(`bird-${host.name}`);
  const bird = new Bird(host, dir, typeof spec === "string" ? spec : birdConfig(spec));
  try {
    await bird.waitFor(() => bird.birdc("show status").then((s) => s.includes("Daemon is up")), {
      what: "control socket",
      timeoutMs: 10_000,
    });
  } catch (e) {
    await bird.stop();
    throw e;
  }
  return bird;
}
