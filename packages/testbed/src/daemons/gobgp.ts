// GoBGP in a host: TOML configuration from a typed description, state through
// `gobgp -j` over its gRPC API (TCP inside the host's namespace).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Host } from "../topology.js";
import type { WaitOptions } from "../wait.js";
import { Daemon, makeWorkDir } from "./daemon.js";

export type GobgpFamily = "ipv4-unicast" | "ipv6-unicast";

export interface GobgpNeighbor {
  readonly address: string;
  readonly peerAs: number;
  readonly localAs?: number;
  readonly passive?: boolean;
  readonly password?: string;
  readonly families?: readonly GobgpFamily[];
  readonly holdTime?: number;
  readonly keepaliveInterval?: number;
  readonly port?: number;
  readonly localAddress?: string;
  readonly ebgpMultihopTtl?: number;
  /** ADD-PATH receive (and send-max) for every family. */
  readonly addPaths?: { receive?: boolean; sendMax?: number };
}

export interface GobgpSpec {
  readonly as: number;
  readonly routerId: string;
  readonly listenAddresses?: readonly string[];
  readonly listenPort?: number;
  readonly neighbors: readonly GobgpNeighbor[];
  /** Raw TOML appended. */
  readonly extra?: string;
}

/** Renders a {@link GobgpSpec} as gobgpd TOML. */
export function gobgpConfig(spec: GobgpSpec): string {
  const q = (s: string) => JSON.stringify(s);
  const l: string[] = ["[global.config]", `  as = ${spec.as}`, `  router-id = ${q(spec.routerId)}`];
  if (spec.listenAddresses)
    l.push(`  local-address-list = [${spec.listenAddresses.map(q).join(", ")}]`);
  if (spec.listenPort) l.push(`  port = ${spec.listenPort}`);
  l.push(
    "[global.apply-policy.config]",
    '  default-import-policy = "accept-route"',
    '  default-export-policy = "accept-route"',
  );
  for (const n of spec.neighbors) {
    l.push(
      "[[neighbors]]",
      "  [neighbors.config]",
      `    neighbor-address = ${q(n.address)}`,
      `    peer-as = ${n.peerAs}`,
    );
    if (n.localAs) l.push(`    local-as = ${n.localAs}`);
    if (n.password) l.push(`    auth-password = ${q(n.password)}`);
    l.push("  [neighbors.timers.config]", "    connect-retry = 2");
    if (n.holdTime) l.push(`    hold-time = ${n.holdTime}`);
    if (n.keepaliveInterval) l.push(`    keepalive-interval = ${n.keepaliveInterval}`);
    l.push("  [neighbors.transport.config]", `    passive-mode = ${n.passive ? "true" : "false"}`);
    if (n.port) l.push(`    remote-port = ${n.port}`);
    if (n.localAddress) l.push(`    local-address = ${q(n.localAddress)}`);
    if (n.ebgpMultihopTtl) {
      l.push(
        "  [neighbors.ebgp-multihop.config]",
        "    enabled = true",
        `    multihop-ttl = ${n.ebgpMultihopTtl}`,
      );
    }
    const fams = n.families ?? [n.address.includes(":") ? "ipv6-unicast" : "ipv4-unicast"];
    for (const f of fams) {
      l.push(
        "  [[neighbors.afi-safis]]",
        "    [neighbors.afi-safis.config]",
        `      afi-safi-name = ${q(f)}`,
      );
      if (n.addPaths) {
        l.push("    [neighbors.afi-safis.add-paths.config]");
        if (n.addPaths.receive) l.push("      receive = true");
        if (n.addPaths.sendMax) l.push(`      send-max = ${n.addPaths.sendMax}`);
      }
    }
  }
  if (spec.extra) l.push(spec.extra);
  return `${l.join("\n")}\n`;
}

/** A GoBGP neighbor as `gobgp -j neighbor` reports it (the parts tests read). */
export interface GobgpNeighborState {
  readonly conf: { neighbor_address: string; peer_asn?: number };
  readonly state: { session_state?: number | string; peer_asn?: number; messages?: unknown };
}

/** A running gobgpd. */
export class Gobgp extends Daemon {
  readonly apiPort: number;
  constructor(
    readonly where: Host,
    dir: string,
    toml: string,
    apiPort: number,
  ) {
    const host = where;
    const conf = join(dir, "gobgpd.toml");
    writeFileSync(conf, toml);
    super({
      label: `gobgpd@${host.name}`,
      host,
      dir,
      argv: [
        "gobgpd",
        "-f",
        conf,
        "--api-hosts",
        `127.0.0.1:${apiPort}`,
        "--pprof-disable",
        "-p",
        "-l",
        "info",
      ],
    });
    this.apiPort = apiPort;
  }

  /** Runs the gobgp CLI with `args`; returns stdout. */
  async cli(args: readonly string[]): Promise<string> {
    const { stdout } = await this.where.exec([
      "gobgp",
      "-u",
      "127.0.0.1",
      "-p",
      String(this.apiPort),
      ...args,
    ]);
    return stdout;
  }

  /** Runs the gobgp CLI with `-j` and parses its JSON. */
  async json<T = unknown>(args: readonly string[]): Promise<T> {
    const out = await this.cli(["-j", ...args]);
    return JSON.parse(out || "null") as T;
  }

  async neighbors(): Promise<GobgpNeighborState[]> {
    return (await this.json<GobgpNeighborState[] | null>(["neighbor"])) ?? [];
  }

  /** The global RIB of one family: prefix → paths. */
  async rib(family: "ipv4" | "ipv6" = "ipv4"): Promise<Record<string, GobgpPath[]>> {
    return (
      (await this.json<Record<string, GobgpPath[]> | null>(["global", "rib", "-a", family])) ?? {}
    );
  }

  /** Originates a prefix: `gobgp global rib add PREFIX [attrs…] -a FAMILY`. */
  async announce(prefix: string, attrs: readonly string[] = []): Promise<void> {
    await this.cli([
      "global",
      "rib",
      "add",
      prefix,
      ...attrs,
      "-a",
      prefix.includes(":") ? "ipv6" : "ipv4",
    ]);
  }

  async withdraw(prefix: string): Promise<void> {
    await this.cli(["global", "rib", "del", prefix, "-a", prefix.includes(":") ? "ipv6" : "ipv4"]);
  }

  /** Waits until the neighbor at `address` is established. */
  waitEstablished(address: string, opts: WaitOptions = {}): Promise<GobgpNeighborState> {
    return this.waitFor(
      async () => {
        const n = (await this.neighbors()).find((x) => x.conf.neighbor_address === address);
        const s = n?.state.session_state;
        return s === 6 || s === "established" || s === "ESTABLISHED" ? n : undefined;
      },
      { what: `neighbor ${address} established`, ...opts },
    );
  }
}

/** One path of `gobgp -j global rib`. */
export interface GobgpPath {
  readonly nlri: { prefix: string };
  readonly attrs: readonly { type: number; [k: string]: unknown }[];
  readonly best?: boolean;
  readonly "source-id"?: string;
  readonly "neighbor-ip"?: string;
}

let nextApiPort = 50_100 + (process.pid % 400) * 10;

/** Starts gobgpd in `host` and waits until its API answers. */
export async function startGobgp(host: Host, spec: GobgpSpec | string): Promise<Gobgp> {
  const dir = makeWorkDir(`gobgp-${host.name}`);
  const g = new Gobgp(
    host,
    dir,
    typeof spec === "string" ? spec : gobgpConfig(spec),
    nextApiPort++,
  );
  try {
    await g.waitFor(() => g.cli(["global"]).then(() => true), {
      what: "gRPC API",
      timeoutMs: 15_000,
    });
  } catch (e) {
    await g.stop();
    throw e;
  }
  return g;
}
