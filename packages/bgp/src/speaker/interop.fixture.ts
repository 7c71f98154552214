// Shared set-up of the interop suites: a peer host and Tortie's host on one
// segment (IPv4 and IPv6), and a Speaker running in Tortie's namespace.
import { type Host, type SuiteTestbed, type Topology, waitFor } from "@tortie/testbed";
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
