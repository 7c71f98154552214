// What a path becomes on its way out to one peer, the way BIRD's
// `bgp_update_attrs` / `bgp_preexport` decide it. Two stages, with the
// export policy in between (as BIRD runs the export filter before the BGP
// transformation):
//
// 1. `exportAllowed` — may this peer get the path at all?
//    - never back to the peer it came from;
//    - NO_ADVERTISE: to nobody; NO_EXPORT and NO_EXPORT_SUBCONFED: not to eBGP
//      (RFC 1997; no confederations here, so both mean "stay in the AS");
//    - iBGP split horizon (RFC 4271 §9.2): an iBGP-learned path is not sent
//      to iBGP peers — unless we reflect (RFC 4456 §6): from a client to all
//      clients and non-clients; from a non-client to clients only; never to
//      the path's ORIGINATOR_ID.
// 2. `exportAttributes` — the attributes as sent:
//    - unknown optional transitive attributes forwarded with Partial set,
//      unknown non-transitive ones dropped (RFC 4271 §5, §9.1.4) — for learned
//      paths; our own originations go out as given;
//    - AS_PATH: our AS prepended towards eBGP (RFC 4271 §5.1.2);
//    - LOCAL_PREF: only to iBGP, 100 when absent (RFC 4271 §5.1.5; BIRD's
//      default_local_pref); MED: not to eBGP unless we originated the path
//      (RFC 4271 §5.1.4: a MED learned from a neighbouring AS is not passed to
//      other ASes; BIRD keeps only a MED its export filter set);
//    - ORIGINATOR_ID / CLUSTER_LIST: set when reflecting (RFC 4456 §8),
//      removed towards eBGP;
//    - NEXT_HOP (RFC 4271 §5.1.3; Calico `nextHopMode`): `self` — our session
//      address; `keep` — unchanged; `auto` — to eBGP ours unless the next hop
//      is on the subnet shared with that peer (third-party next hop,
//      §5.1.3 (2)), to iBGP unchanged except for our own originations;
//    - AS4 (RFC 6793 §4.2.2): to a 2-octet peer AS4_PATH/AS4_AGGREGATOR are
//      rebuilt from the 4-octet values; to a 4-octet peer never sent.

import { splitAs4 } from "../wire/as4.js";
import { forwardAttributes, type PathAttribute } from "../wire/attributes/table.js";
import { Afi, Origin, WellKnownCommunity } from "../wire/constants.js";
import { inSubnet, type Subnet, tryParseAddress } from "./addr.js";
import type { AttrSet, AttrSetInit } from "./attrs.js";
import { prependAsPath } from "./modify.js";
import type { PathSource } from "./path.js";

/** How the next hop is set towards a peer (Calico BGPPeer `nextHopMode`; `keepOriginalNextHop` = `keep`). */
export type NextHopMode = "auto" | "self" | "keep";

/** The peer a path is exported to. */
export interface ExportTarget {
  /** The target's source record (same object the RIB uses for its paths). */
  readonly source: PathSource;
  /** Both sides negotiated 4-octet AS numbers (RFC 6793). */
  readonly fourOctetAs: boolean;
  /** Our AS on this session when not the speaker's (BIRD `local as`). */
  readonly localAs?: number;
  /** Next-hop mode. */
  readonly nextHopMode: NextHopMode;
  /** Our address on the session (next hop self). */
  readonly localAddress: string | undefined;
  /** Our IPv6 address for IPv6 routes when the session runs over IPv4 (next hop self). */
  readonly localAddress6: string | undefined;
  /** Our IPv6 link-local address on a directly connected session (RFC 2545 §3). */
  readonly localLinkLocal: string | undefined;
  /** Subnets shared with the peer (third-party next hop check). */
  readonly sharedSubnets: readonly Subnet[];
}

/** Speaker-wide values the transformation needs. */
export interface ExportContext {
  /** Our AS. */
  readonly localAs: number;
  /** Our BGP Identifier. */
  readonly routerId: string;
  /** Our cluster id; undefined unless we reflect routes (RFC 4456 §7). */
  readonly clusterId: string | undefined;
}

/** Why a path is not sent to a peer. */
export type ExportSkip =
  | "source-peer"
  | "no-advertise"
  | "no-export"
  | "ibgp-split-horizon"
  | "reflect-non-client-to-non-client"
  | "reflect-to-originator"
  | "policy"
  | "no-next-hop";

/** Whether `target` may receive a path from `source` with attributes `attrs`; undefined = yes. */
export function exportAllowed(
  source: PathSource,
  attrs: AttrSet,
  target: ExportTarget,
  ctx: ExportContext,
): ExportSkip | undefined {
  const to = target.source;
  if (source === to) return "source-peer";
  for (const c of attrs.communities) {
    if (c === WellKnownCommunity.NoAdvertise) return "no-advertise";
    if (
      (c === WellKnownCommunity.NoExport || c === WellKnownCommunity.NoExportSubconfed) &&
      to.kind === "ebgp"
    )
      return "no-export";
  }
  if (source.kind === "ibgp" && to.kind === "ibgp") {
    if (ctx.clusterId === undefined) return "ibgp-split-horizon";
    if (!source.rrClient && !to.rrClient) return "reflect-non-client-to-non-client";
    const originator = attrs.originatorId ?? ipv4Text(source.routerId);
    if (originator === ipv4Text(to.routerId)) return "reflect-to-originator";
  }
  return undefined;
}

function ipv4Text(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function onSharedSubnet(nextHop: string | undefined, subnets: readonly Subnet[]): boolean {
  if (nextHop === undefined) return false;
  const b = tryParseAddress(nextHop);
  return b !== undefined && subnets.some((s) => inSubnet(b, s));
}

/** Our next hop towards `target` for routes of `afi` (IPv6 routes need an IPv6 address). */
export function selfNextHop(target: ExportTarget, afi: number): string | undefined {
  const local = target.localAddress;
  if (afi === Afi.Ipv6) return target.localAddress6 ?? (local?.includes(":") ? local : undefined);
  return local;
}

/**
 * The attributes sent to `target` for a path from `source` (after export
 * policy), for a prefix of `afi`. The result has no next hop when "self" is
 * needed and we have no address of the family (the path is then not sent).
 */
export function exportAttributes(
  source: PathSource,
  attrs: AttrSet,
  target: ExportTarget,
  ctx: ExportContext,
  afi: number = Afi.Ipv4,
): AttrSetInit {
  const to = target.source;
  const ebgp = to.kind === "ebgp";
  const localAs = target.localAs ?? ctx.localAs;
  const learned = source.kind !== "local";
  const reflecting = learned && source.kind === "ibgp" && to.kind === "ibgp";
  let list: PathAttribute[] = learned ? forwardAttributes(attrs.attributes) : [...attrs.attributes];
  const out: PathAttribute[] = [];
  let hasOrigin = false;
  let hasPath = false;
  let hasLocalPref = false;
  for (const a of list) {
    switch (a.type) {
      case "origin":
        hasOrigin = true;
        out.push(a);
        break;
      case "as-path":
        hasPath = true;
        out.push(ebgp ? { type: "as-path", segments: prependAsPath(a.segments, [localAs]) } : a);
        break;
      case "local-pref":
        if (!ebgp) {
          hasLocalPref = true;
          out.push(a);
        }
        break;
      case "med":
        if (!ebgp || !learned) out.push(a);
        break;
      case "originator-id":
      case "cluster-list":
        if (!ebgp && !reflecting) out.push(a);
        break;
      case "as4-path":
      case "as4-aggregator":
        // Rebuilt below for 2-octet peers; never sent to 4-octet peers (RFC 6793 §4.2.2).
        break;
      default:
        out.push(a);
    }
  }
  if (!hasOrigin) out.push({ type: "origin", origin: Origin.Igp });
  if (!hasPath) {
    out.push({ type: "as-path", segments: ebgp ? [{ type: 2, asns: [localAs] }] : [] });
  }
  if (!ebgp && !hasLocalPref) out.push({ type: "local-pref", localPref: 100 });
  if (reflecting) {
    // RFC 4456 §8: ORIGINATOR_ID set once (by the first reflector), our cluster id prepended.
    out.push({
      type: "originator-id",
      originatorId: attrs.originatorId ?? ipv4Text(source.routerId),
    });
    out.push({
      type: "cluster-list",
      clusterIds: [ctx.clusterId ?? ctx.routerId, ...attrs.clusterList],
    });
  }
  list = target.fourOctetAs ? out : splitAs4(out);

  let nextHop = attrs.nextHop;
  let linkLocal = attrs.linkLocalNextHop;
  const self = () => {
    nextHop = selfNextHop(target, afi);
    linkLocal = afi === Afi.Ipv6 ? target.localLinkLocal : undefined;
  };
  switch (target.nextHopMode) {
    case "self":
      self();
      break;
    case "keep":
      if (!learned && nextHop === undefined) self();
      break;
    case "auto":
      if (!learned) {
        if (!(nextHop !== undefined && ebgp && onSharedSubnet(nextHop, target.sharedSubnets))) {
          if (nextHop === undefined || ebgp) self();
        }
      } else if (ebgp && !onSharedSubnet(nextHop, target.sharedSubnets)) self();
      else if (ebgp) linkLocal = undefined;
      break;
  }
  // A link-local next hop means something only on the link of that session (RFC 2545 §3).
  if (linkLocal !== undefined && linkLocal !== target.localLinkLocal) linkLocal = undefined;
  return {
    attributes: list,
    ...(nextHop !== undefined ? { nextHop } : {}),
    ...(linkLocal !== undefined ? { linkLocalNextHop: linkLocal } : {}),
  };
}
