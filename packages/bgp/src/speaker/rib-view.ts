// The speaker's view of the RIB (../rib/): routes as its users see them.
// Pure conversions both ways — an originated route (configuration shape) to
// the attribute set the Loc-RIB holds, and a RIB path back to a `Route` —
// and the best-path change a node agent installs in the kernel.
import type { AttrSetInit } from "../rib/attrs.js";
import type { PathSnapshot, RibDelta } from "../rib/rib.js";
import type { PathAttribute } from "../wire/attributes/table.js";
import { Afi, AsPathSegmentType, Origin } from "../wire/constants.js";
import { formatPrefix, type Prefix, parsePrefix } from "../wire/prefix.js";
import type { OriginateConfig } from "./config.js";
import { formatCommunity, parseCommunity, type Route } from "./routes.js";

/** A route in the speaker's RIB: who it came from, and whether it is the best. */
export interface RibRoute extends Route {
  /** The peer's address, or `"local"` for a route this speaker originates. */
  readonly peer: string;
  /** The Loc-RIB best path for its prefix (RFC 4271 §9.1.2). */
  readonly best: boolean;
  /** Kept from a restarting peer, not refreshed yet (RFC 4724 §4.2). */
  readonly stale: boolean;
}

/** What {@link Speaker.routes} selects; every field narrows. */
export interface RouteQuery {
  /** Only paths from this peer (its Adj-RIB-In after import filters), or `"local"`. */
  readonly peer?: string;
  /** Only paths to this prefix ("198.51.100.0/26"). */
  readonly prefix?: string;
  /**
   * Only Loc-RIB best paths (default: false — every path; a peer's paths
   * when `peer` is given, every learned path otherwise).
   */
  readonly bestOnly?: boolean;
}

/**
 * A change of the best path to one prefix: what a node agent installs into
 * (or removes from) the kernel.
 */
export interface BestPathChange {
  /** "198.51.100.0/26" or "2001:db8::/48". */
  readonly prefix: string;
  /** The new best route; undefined when the prefix has no path left (remove it). */
  readonly best: RibRoute | undefined;
  /**
   * Next hops to install: every ECMP path's next hop with `multipath`, else
   * the best's; empty when withdrawn.
   */
  readonly nextHops: readonly string[];
}

/** ORIGIN as text. */
const ORIGIN_NAMES = ["igp", "egp", "incomplete"] as const;

/** The Route users see for one RIB path. */
export function routeOf(prefix: Prefix, path: PathSnapshot, best: boolean): RibRoute {
  const a = path.attrs;
  const asPath: (number | readonly number[])[] = [];
  for (const s of a.asPath) {
    if (s.type === AsPathSegmentType.AsSequence) asPath.push(...s.asns);
    else if (s.type === AsPathSegmentType.AsSet) asPath.push([...s.asns]);
  }
  const attributes: PathAttribute[] =
    a.nextHop !== undefined && prefix.afi === Afi.Ipv4
      ? [...a.attributes, { type: "next-hop", nextHop: a.nextHop }]
      : [...a.attributes];
  return {
    prefix: formatPrefix(prefix),
    ...(path.pathId !== 0 ? { pathId: path.pathId } : {}),
    nextHop: a.nextHop ?? "",
    ...(a.linkLocalNextHop !== undefined ? { linkLocalNextHop: a.linkLocalNextHop } : {}),
    origin: ORIGIN_NAMES[a.origin] ?? "incomplete",
    asPath,
    ...(a.med !== undefined ? { med: a.med } : {}),
    ...(a.localPref !== undefined ? { localPref: a.localPref } : {}),
    communities: a.communities.map(formatCommunity),
    largeCommunities: a.largeCommunities.map((c) => `${c.global}:${c.local1}:${c.local2}`),
    attributes,
    peer: path.source.kind === "local" ? "local" : path.source.id,
    best,
    stale: path.stale,
  };
}

/** The best-path change of a Loc-RIB delta. */
export function bestPathChange(d: RibDelta): BestPathChange {
  const best = d.kind === "best" && d.best ? routeOf(d.prefix, d.best, true) : undefined;
  const hops = new Set<string>();
  if (best) {
    for (const p of d.multipath ?? [d.best!]) if (p.attrs.nextHop) hops.add(p.attrs.nextHop);
  }
  return { prefix: formatPrefix(d.prefix), best, nextHops: [...hops] };
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * The Loc-RIB attributes of an originated route (RFC 4271 §5.1: ORIGIN and
 * AS_PATH always; our AS is prepended on the way out to eBGP peers, LOCAL_PREF
 * sent to iBGP only, by the RIB's export rules).
 */
export function originatedInit(r: OriginateConfig): AttrSetInit {
  const attributes: PathAttribute[] = [
    {
      type: "origin",
      origin: r.origin === "egp" ? Origin.Egp : r.origin === "incomplete" ? Origin.Incomplete : 0,
    },
    {
      type: "as-path",
      segments: r.asPath?.length ? [{ type: AsPathSegmentType.AsSequence, asns: r.asPath }] : [],
    },
  ];
  if (r.med !== undefined) attributes.push({ type: "med", med: r.med });
  if (r.localPref !== undefined) attributes.push({ type: "local-pref", localPref: r.localPref });
  if (r.communities?.length)
    attributes.push({ type: "communities", communities: r.communities.map(parseCommunity) });
  if (r.largeCommunities?.length) {
    attributes.push({
      type: "large-communities",
      communities: r.largeCommunities.map((s) => {
        const [g, a, b] = s.split(":").map(Number) as [number, number, number];
        return { global: g, local1: a, local2: b };
      }),
    });
  }
  for (const x of r.rawAttributes ?? [])
    attributes.push({ type: "unknown", code: x.code, flags: x.flags, value: hexBytes(x.value) });
  return { attributes, ...(r.nextHop !== undefined ? { nextHop: r.nextHop } : {}) };
}

/** The prefix of an originated route. */
export function originatedPrefix(r: OriginateConfig): Prefix {
  return parsePrefix(r.prefix);
}
