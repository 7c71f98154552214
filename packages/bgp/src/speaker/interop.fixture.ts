// Shared set-up of the interop suites: hosts on one segment, a Speaker
// running in Tortie's namespace, and BIRD or FRR with one session towards it,
// each stopped after the test.
import {
  type Bird,
  type BirdPeer,
  type BirdSpec,
  type Frr,
  type FrrNeighbor,
  type Host,
  type SuiteTestbed,
  startBird,
  startFrr,
  type Topology,
  waitFor,
} from "@tortie/testbed";
import type { SpeakerConfigInput } from "./config.js";
import { Speaker } from "./speaker.js";
import { formatStatus } from "./status.js";

/** Peer at .1 / ::1, Tortie at .2 / ::2, on 192.0.2.0/24 and 2001:db8::/64. */
export const PEER4 = "192.0.2.1";
export const PEER6 = "2001:db8::1";
export const TORTIE4 = "192.0.2.2";
export const TORTIE6 = "2001:db8::2";

/** Two hosts, "peer" and "tortie", on one segment. */
export function pairTopology(tb: SuiteTestbed): Promise<Topology> {
  return tb.topology({
    hosts: ["peer", "tortie"],
    segments: {
      lan: {
        members: {
          peer: [`${PEER4}/24`, `${PEER6}/64`],
          tortie: [`${TORTIE4}/24`, `${TORTIE6}/64`],
        },
      },
    },
  });
}

/**
 * One segment, "lan", joining the hosts named by `members`, each with its
 * addresses (a bare address gets /24).
 */
export function lanTopology(
  tb: SuiteTestbed,
  members: Readonly<Record<string, string | readonly string[]>>,
): Promise<Topology> {
  const cidr = (a: string) => (a.includes("/") ? a : `${a}/24`);
  return tb.topology({
    hosts: Object.keys(members),
    segments: {
      lan: {
        members: Object.fromEntries(
          Object.entries(members).map(([h, a]) => [h, (typeof a === "string" ? [a] : a).map(cidr)]),
        ),
      },
    },
  });
}

/** A daemon with one BGP session: its router id (also its address there), AS, and the neighbour's. */
export interface OneSession {
  readonly routerId: string;
  readonly asn: number;
  /** The neighbour's address (usually Tortie's). */
  readonly neighbor: string;
  readonly neighborAs: number;
  /** Prefixes it originates (BIRD: static blackhole routes; FRR: `network`). */
  readonly originate?: readonly string[];
}

/**
 * BIRD in `host` with one IPv4 session (protocol `name`, default "tortie"),
 * stopped after the test. `session` adds to or overrides the protocol's settings;
 * `direct: false` leaves out BIRD's direct protocol.
 */
export async function birdSession(
  tb: SuiteTestbed,
  host: Host,
  o: OneSession & {
    readonly name?: string;
    readonly direct?: boolean;
    readonly session?: Omit<Partial<BirdPeer>, "name" | "neighbor" | "neighborAs">;
  },
): Promise<Bird> {
  const spec: BirdSpec = {
    routerId: o.routerId,
    localAs: o.asn,
    ...(o.direct === false ? { direct: false } : {}),
    ...(o.originate ? { static4: o.originate } : {}),
    peers: [
      {
        name: o.name ?? "tortie",
        neighbor: o.neighbor,
        neighborAs: o.neighborAs,
        ipv4: true,
        ...o.session,
      },
    ],
  };
  return tb.track(await startBird(host, spec));
}

/** FRR in `host` with one neighbor, stopped after the test; `settings` adds to the neighbor's. */
export async function frrSession(
  tb: SuiteTestbed,
  host: Host,
  o: OneSession & {
    readonly settings?: Omit<Partial<FrrNeighbor>, "address" | "remoteAs">;
  },
): Promise<Frr> {
  return tb.track(
    await startFrr(host, {
      as: o.asn,
      routerId: o.routerId,
      neighbors: [{ address: o.neighbor, remoteAs: o.neighborAs, ...o.settings }],
      ...(o.originate ? { networks4: o.originate } : {}),
    }),
  );
}

/** Starts a Speaker inside a host (default: the topology's "tortie"), closed after the suite. */
export async function startTortie(
  tb: SuiteTestbed,
  where: Topology | Host,
  config: Omit<SpeakerConfigInput, "netns" | "routerId"> & { routerId?: string },
): Promise<Speaker> {
  const s = await Speaker.start({
    routerId: TORTIE4,
    ...config,
    netns: ("nsPath" in where ? where : where.host("tortie")).nsPath,
  });
  // Tortie's own log for a failing test: its events and its status table.
  const log: string[] = [];
  const t0 = Date.now();
  const note = (name: string) => (e: unknown) =>
    log.push(`+${Date.now() - t0}ms ${name} ${JSON.stringify(e)}`);
  for (const ev of [
    "peer-state",
    "peer-up",
    "peer-down",
    "end-of-rib",
    "route-refresh",
    "warning",
    "session-error",
  ] as const) {
    s.on(ev, note(ev));
  }
  s.on("routes", (e) =>
    log.push(
      `+${Date.now() - t0}ms routes ${e.peer} +${e.announced.length} -${e.withdrawn.length}`,
    ),
  );
  tb.track({
    label: "tortie",
    logs: () =>
      `--- tortie ---\n${log.join("\n")}\n${formatStatus(s.status())}\n${JSON.stringify(s.status().peers, null, 1)}`,
    stop: () => s.close(),
  });
  return s;
}

/** Waits until Tortie's session with `peer` is Established. */
export function established(s: Speaker, peer: string, timeoutMs = 20_000) {
  return waitFor(() => (s.peer(peer)?.state === "Established" ? s.peer(peer) : undefined), {
    timeoutMs,
    what: `Tortie's session with ${peer} Established`,
  });
}

/** Waits until Tortie has learned `prefix` from `peer`; returns the route. */
export function learned(s: Speaker, peer: string, prefix: string) {
  return waitFor(() => s.routes(peer).find((r) => r.prefix === prefix), {
    what: `Tortie learned ${prefix} from ${peer}`,
  });
}
