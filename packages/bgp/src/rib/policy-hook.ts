// The interface between the RIB and a routing policy (`../policy/` compiles
// Calico BGPFilters into this shape; any function of the same shape works).
// A policy is a pure function of the route and the peer on the other side:
// the source peer on import, the target peer on export.
import type { Prefix } from "../wire/prefix.js";
import type { AttrSet } from "./attrs.js";
import type { SourceKind } from "./path.js";

/** The route a policy looks at. */
export interface PolicyRoute {
  /** The prefix. */
  readonly prefix: Prefix;
  /** Its attributes (as received on import; as in the Loc-RIB on export). */
  readonly attrs: AttrSet;
  /** Who the route came from: `local` for routes this speaker originated. */
  readonly sourceKind: SourceKind;
  /** Outgoing interface of the route, when known (Calico's `ifname`). */
  readonly interface?: string;
}

/** The peer a policy is evaluated for. */
export interface PolicyPeer {
  /** The peer's id. */
  readonly id: string;
  /** iBGP (same AS) or eBGP. */
  readonly kind: "ibgp" | "ebgp";
  /** The peer's AS. */
  readonly asn: number;
  /** The peer's address text. */
  readonly address: string;
}

/** Changes a policy makes to an accepted route (Calico BGPFilter operations). */
export interface RouteModification {
  /** Standard communities to add (RFC 1997), in order. */
  readonly addCommunities?: readonly number[];
  /** Large communities to add (RFC 8092), in order. */
  readonly addLargeCommunities?: readonly { global: number; local1: number; local2: number }[];
  /** AS numbers to put in front of the AS_PATH; the path then starts with exactly these. */
  readonly prependAsPath?: readonly number[];
  /** New route priority (Calico `krt_metric`). */
  readonly priority?: number;
}

/** A policy's answer. */
export type PolicyVerdict =
  | { readonly accept: false; readonly rule?: number }
  | { readonly accept: true; readonly modify?: RouteModification; readonly rule?: number };

/**
 * A routing policy: import (route from `peer`) or export (route to `peer`).
 *
 * A policy may also say which address families it rejects whatever the
 * route and the peer (`rejectsAfi`: AFIs, RFC 4760 §3 — BIRD's `export
 * none`): the RIB then neither calls it for those routes nor walks the
 * table for them when a session comes up. The function must agree (reject
 * every route of those families); `compileFilters` sets it when a family's
 * first rule is an unconditional Reject.
 */
export type RoutePolicy = ((route: PolicyRoute, peer: PolicyPeer) => PolicyVerdict) & {
  readonly rejectsAfi?: readonly number[];
};

/** Whether `policy` declares that it rejects every route of `afi` (see {@link RoutePolicy}). */
export function rejectsFamily(policy: RoutePolicy | undefined, afi: number): boolean {
  return policy?.rejectsAfi?.includes(afi) ?? false;
}

/** Accepts everything unchanged. */
export const ACCEPT_ALL: RoutePolicy = () => ({ accept: true });
