// Whether a received path may enter the decision process (RFC 4271 §9.1.2:
// "routes … with an unresolvable NEXT_HOP or … AS_PATH loops are excluded").
// An infeasible path is treated as a withdrawal of that prefix from that peer
// (RFC 7606 §2 "treat-as-withdraw") and the reason is reported for the log.
//
// Checks, in order:
//   - AS_PATH loop: our AS appears more than `allowAsIn` times (RFC 4271
//     §9.1.2; Calico's `numAllowedLocalASNumbers`, BIRD's `allow local as`).
//   - ORIGINATOR_ID equal to our BGP Identifier (RFC 4456 §8).
//   - CLUSTER_LIST containing our cluster id (RFC 4456 §8).
//   - NEXT_HOP missing, 0.0.0.0/8, loopback, multicast or class E, or one of
//     our own addresses (RFC 4271 §6.3, §5.1.3); for a single-hop eBGP peer,
//     not on a subnet shared with it (RFC 4271 §5.1.3 (1)).
//   - IPv6 (RFC 2545 §3): a link-local next hop is usable only from a
//     directly connected peer; a 32-octet next hop's link-local part makes a
//     global address off the shared subnet usable on that link.
import {
  inSubnet,
  isLinkLocal6,
  type Subnet,
  sameAddress,
  tryParseAddress,
  unusableNextHop,
} from "./addr.js";
import type { AttrSet } from "./attrs.js";
import type { SourceKind } from "./path.js";

/** Why a path is not feasible. */
export type InfeasibleReason =
  | "as-path-loop"
  | "originator-id-loop"
  | "cluster-list-loop"
  | "next-hop-missing"
  | "next-hop-unusable"
  | "next-hop-own-address"
  | "next-hop-off-subnet"
  | "next-hop-link-local-multihop";

/** An infeasible path's reason and a sentence for the log. */
export interface Infeasible {
  readonly reason: InfeasibleReason;
  readonly message: string;
}

/** What feasibility depends on. */
export interface FeasibilityContext {
  /** Our AS. */
  readonly localAs: number;
  /** Our BGP Identifier (dotted quad). */
  readonly routerId: string;
  /** Our cluster id when reflecting (RFC 4456 §7; defaults to the router id). */
  readonly clusterId: string;
  /** Our own addresses as bytes (the session's local address at least). */
  readonly ownAddresses: readonly Uint8Array[];
  /** Kind of the peer the path came from. */
  readonly kind: SourceKind;
  /** How many times our AS may appear in a received AS_PATH (allowas-in; 0 = none). */
  readonly allowAsIn: number;
  /** The peer is more than one hop away (eBGP multihop, or iBGP). */
  readonly multihop: boolean;
  /** Subnets shared with the peer (the session interface's); empty skips the check. */
  readonly sharedSubnets: readonly Subnet[];
}

function countAs(attrs: AttrSet, asn: number): number {
  let n = 0;
  for (const s of attrs.asPath) for (const a of s.asns) if (a === asn) n++;
  return n;
}

/** Checks a path; undefined when feasible. Local origination is always feasible. */
export function checkFeasible(attrs: AttrSet, ctx: FeasibilityContext): Infeasible | undefined {
  if (ctx.kind === "local") return undefined;
  const seen = countAs(attrs, ctx.localAs);
  if (seen > ctx.allowAsIn) {
    return {
      reason: "as-path-loop",
      message: `AS_PATH contains our AS ${ctx.localAs} ${seen} time(s), allowed ${ctx.allowAsIn}`,
    };
  }
  if (attrs.originatorId !== undefined && attrs.originatorId === ctx.routerId) {
    return { reason: "originator-id-loop", message: `ORIGINATOR_ID is our own ${ctx.routerId}` };
  }
  if (attrs.clusterList.includes(ctx.clusterId)) {
    return {
      reason: "cluster-list-loop",
      message: `CLUSTER_LIST contains our cluster id ${ctx.clusterId}`,
    };
  }
  if (attrs.nextHop === undefined) return { reason: "next-hop-missing", message: "no next hop" };
  const nh = tryParseAddress(attrs.nextHop);
  if (!nh)
    return { reason: "next-hop-unusable", message: `next hop ${attrs.nextHop} is not an address` };
  const bad = unusableNextHop(nh);
  if (bad) return { reason: "next-hop-unusable", message: `${bad} (${attrs.nextHop})` };
  for (const own of ctx.ownAddresses) {
    if (sameAddress(own, nh)) {
      return {
        reason: "next-hop-own-address",
        message: `next hop ${attrs.nextHop} is our own address`,
      };
    }
  }
  if (isLinkLocal6(nh) && ctx.multihop) {
    return {
      reason: "next-hop-link-local-multihop",
      message: `link-local next hop ${attrs.nextHop} from a peer that is not directly connected (RFC 2545 §3)`,
    };
  }
  const ll =
    attrs.linkLocalNextHop === undefined ? undefined : tryParseAddress(attrs.linkLocalNextHop);
  if (ctx.kind === "ebgp" && !ctx.multihop && ctx.sharedSubnets.length > 0 && !isLinkLocal6(nh)) {
    const onLink = ctx.sharedSubnets.some((s) => inSubnet(nh, s));
    if (!onLink && !(ll && isLinkLocal6(ll))) {
      return {
        reason: "next-hop-off-subnet",
        message: `next hop ${attrs.nextHop} is not on a subnet shared with the single-hop eBGP peer (RFC 4271 §5.1.3)`,
      };
    }
  }
  return undefined;
}
