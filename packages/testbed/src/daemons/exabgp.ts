// ExaBGP 4.2 in a host: a scriptable peer. Static routes come from the typed
// description; at run time `command()` writes API commands (announce,
// withdraw, …) that ExaBGP reads from its helper process, and everything
// ExaBGP reports (neighbor changes, received UPDATEs, parsed as JSON) is
// collected from that process into `events()`.
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Host } from "../topology.js";
import type { WaitOptions } from "../wait.js";
import { Daemon, makeWorkDir } from "./daemon.js";

export interface ExabgpSpec {
  readonly routerId: string;
  readonly localAddress: string;
  readonly localAs: number;
  readonly neighbor: string;
  readonly peerAs: number;
  readonly families?: readonly ("ipv4 unicast" | "ipv6 unicast")[];
  readonly holdTime?: number;
  readonly passive?: boolean;
  readonly md5?: string;
  /** Static routes, ExaBGP syntax after `route`, e.g. "203.0.113.128/26 next-hop 192.0.2.4". */
  readonly routes?: readonly string[];
  /** Capability block lines, e.g. ["asn4 disable;", "add-path send/receive;"]. */
  readonly capability?: readonly string[];
  /** Raw lines inside the neighbor block. */
  readonly extra?: string;
}

/** Renders an {@link ExabgpSpec} plus the API process as exabgp.conf text. */
export function exabgpConfig(spec: ExabgpSpec, dir: string): string {
  const fams = spec.families ?? [spec.neighbor.includes(":") ? "ipv6 unicast" : "ipv4 unicast"];
  const apiIn = join(dir, "api.in");
  const apiOut = join(dir, "api.out");
  return [
    "process api {",
    `  run /bin/sh -c 'tail -n +1 -F ${apiIn} 2>/dev/null & exec cat >> ${apiOut}';`,
    "  encoder json;",
    "}",
    `neighbor ${spec.neighbor} {`,
    `  router-id ${spec.routerId};`,
    `  local-address ${spec.localAddress};`,
    `  local-as ${spec.localAs};`,
    `  peer-as ${spec.peerAs};`,
    `  hold-time ${spec.holdTime ?? 90};`,
    spec.passive ? "  passive true;" : "",
    spec.md5 ? `  md5-password "${spec.md5}";` : "",
    `  family { ${fams.map((f) => `${f};`).join(" ")} }`,
    spec.capability?.length ? `  capability { ${spec.capability.join(" ")} }` : "",
    "  api { processes [ api ]; neighbor-changes; receive { parsed; update; notification; open; refresh; } }",
    spec.routes?.length ? `  static { ${spec.routes.map((r) => `route ${r};`).join(" ")} }` : "",
    spec.extra ?? "",
    "}",
    "",
  ]
    .filter((l) => l !== "")
    .join("\n");
}

/** A running ExaBGP. */
export class Exabgp extends Daemon {
  private readonly apiIn: string;
  private readonly apiOut: string;
  constructor(host: Host, dir: string, spec: ExabgpSpec) {
    const conf = join(dir, "exabgp.conf");
    const apiIn = join(dir, "api.in");
    const apiOut = join(dir, "api.out");
    writeFileSync(apiIn, "");
    writeFileSync(apiOut, "");
    writeFileSync(conf, exabgpConfig(spec, dir));
    super({
      label: `exabgp@${host.name}`,
      host,
      dir,
      argv: ["exabgp", conf],
      env: {
        "exabgp.daemon.user": "root",
        "exabgp.daemon.drop": "false",
        "exabgp.api.pipename": `tortie-${host.netns}`,
        "exabgp.log.destination": "stdout",
        "exabgp.api.ack": "false",
        "exabgp.log.level": process.env.EXABGP_DEBUG ? "DEBUG" : "INFO",
        ...(spec.passive ? { "exabgp.tcp.bind": spec.localAddress, "exabgp.tcp.port": "179" } : {}),
      },
    });
    this.apiIn = apiIn;
    this.apiOut = apiOut;
  }

  /** Sends one API command, e.g. `announce route 203.0.113.0/26 next-hop self`. */
  command(line: string): void {
    appendFileSync(this.apiIn, `${line}\n`);
  }

  /** Every JSON message ExaBGP sent to its API process so far. */
  events(): ExabgpEvent[] {
    const out: ExabgpEvent[] = [];
    for (const line of readFileSync(this.apiOut, "utf8").split("\n")) {
      if (!line.startsWith("{")) continue;
      try {
        out.push(JSON.parse(line) as ExabgpEvent);
      } catch {
        // a line still being written
      }
    }
    return out;
  }

  /** The current neighbor state ("up", "down", "connected"…) from the last state event. */
  state(): string | undefined {
    const states = this.events().filter((e) => e.type === "state");
    return states[states.length - 1]?.neighbor?.state;
  }

  /** Prefixes currently announced to ExaBGP (replaying announce/withdraw events), by family. */
  received(): Map<string, Record<string, unknown>> {
    const rib = new Map<string, Record<string, unknown>>();
    for (const e of this.events()) {
      const upd = e.neighbor?.message?.update;
      if (e.type !== "update" || !upd) continue;
      for (const fam of Object.values(upd.withdraw ?? {})) {
        for (const n of fam as { nlri: string }[]) rib.delete(n.nlri);
      }
      for (const byNh of Object.values(upd.announce ?? {})) {
        for (const [nh, nlris] of Object.entries(byNh as Record<string, { nlri: string }[]>)) {
          for (const n of nlris) rib.set(n.nlri, { "next-hop": nh, ...upd.attribute });
        }
      }
    }
    return rib;
  }

  waitUp(opts: WaitOptions = {}): Promise<true> {
    return this.waitFor(() => this.state() === "up" || undefined, { what: "neighbor up", ...opts });
  }
}

/** One JSON message from ExaBGP's API (the parts tests read). */
export interface ExabgpEvent {
  readonly type: string;
  readonly neighbor?: {
    readonly state?: string;
    readonly address?: { local: string; peer: string };
    readonly message?: {
      readonly update?: {
        readonly attribute?: Record<string, unknown>;
        readonly announce?: Record<string, unknown>;
        readonly withdraw?: Record<string, unknown>;
      };
      readonly notification?: Record<string, unknown>;
    };
    readonly notification?: Record<string, unknown>;
  };
}

/** Starts ExaBGP in `host`. */
export async function startExabgp(host: Host, spec: ExabgpSpec): Promise<Exabgp> {
  const dir = makeWorkDir(`exabgp-${host.name}`);
  return new Exabgp(host, dir, spec);
}
