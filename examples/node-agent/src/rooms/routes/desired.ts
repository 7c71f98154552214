// Felix's route classes as a pure function: the snapshot (+ the bgp-config
// room's desired state, + the best learned routes) → the kernel routes the
// node wants, by source. The reconciler resolves overlaps by priority
// (lower wins): a local workload's /32 over its block's blackhole, both over
// anything learned.
//
//   workloads  /32 (/128) per local workload, dev <host veth>     priority 10
//   peers      host route to a BGPPeer's reachableBy gateway      priority 20
//   blocks     blackhole per block affine to this node            priority 50
//   bgp        best learned routes via their next hops (ECMP)     priority 100
import type { DesiredRoute } from "@tortie/netlink";
import type { Snapshot } from "../../snapshot/snapshot.js";
import type { DesiredBgp } from "../bgp-config/desired.js";

export const PRIORITY = { workloads: 10, peers: 20, blocks: 50, bgp: 100 } as const;

/** The static (non-learned) route sources. */
export interface StaticRoutes {
  readonly workloads: readonly DesiredRoute[];
  readonly peers: readonly DesiredRoute[];
  readonly blocks: readonly DesiredRoute[];
}

/** Block blackholes, workload routes and reachableBy routes for `nodeName`. */
export function staticRoutes(s: Snapshot, bgp: DesiredBgp, nodeName: string): StaticRoutes {
  const workloads: DesiredRoute[] = [];
  const seen = new Set<string>();
  for (const w of [...s.workloadEndpoints.values()].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    if (w.node !== nodeName) continue;
    for (const dst of w.ipNetworks) {
      if (seen.has(dst)) continue;
      seen.add(dst);
      workloads.push({ dst, dev: w.interfaceName, priority: PRIORITY.workloads });
    }
  }
  const blocks: DesiredRoute[] = bgp.blocks.map((dst) => ({
    dst,
    type: "blackhole",
    priority: PRIORITY.blocks,
  }));
  const peers: DesiredRoute[] = [];
  for (const p of bgp.peers.values()) {
    if (!p.reachableBy) continue;
    const v6 = p.config.address.includes(":");
    if (v6 !== p.reachableBy.includes(":")) continue;
    peers.push({
      dst: `${p.config.address}/${v6 ? 128 : 32}`,
      gateway: p.reachableBy,
      priority: PRIORITY.peers,
    });
  }
  return { workloads, peers, blocks };
}

/** A best path and its next hops (every equal-cost one), as the speaker chose them. */
export interface BestRoute {
  readonly prefix: string;
  readonly nextHops: readonly string[];
}

/** A best learned route as a kernel route (ECMP when it has several next hops). */
export function learnedRoute(b: BestRoute): DesiredRoute {
  if (b.nextHops.length === 1)
    return { dst: b.prefix, gateway: b.nextHops[0]!, priority: PRIORITY.bgp };
  return {
    dst: b.prefix,
    nexthops: b.nextHops.map((gateway) => ({ gateway })),
    priority: PRIORITY.bgp,
  };
}
