// Calico's BGPFilter resource (projectcalico.org/v3, `BGPFilterSpec`) as
// plain TypeScript types: the shape a user writes in YAML/JSON. Field names
// and meanings follow Calico's API; `parseBgpFilter` (parse.ts) validates an
// unknown value into this shape.

/** How a rule's `cidr` is compared with the route's prefix. */
export type MatchOperator = "Equal" | "NotEqual" | "In" | "NotIn";

/** A rule's action; first matching rule wins. */
export type FilterAction = "Accept" | "Reject";

/** One modification of an accepted route: exactly one field is set. */
export interface FilterOperation {
  /** Add a standard (`aa:nn`) or large (`aa:nn:mm`) community. */
  readonly addCommunity?: { readonly value: string };
  /** Put these ASes in front of the AS path, in this order. */
  readonly prependASPath?: { readonly prefix: readonly number[] };
  /** Set the route priority (`krt_metric`). */
  readonly setPriority?: { readonly value: number };
}

/** One BGPFilter rule (`BGPFilterRuleV4` / `BGPFilterRuleV6`). */
export interface FilterRule {
  /** CIDR the prefix is compared with (with `matchOperator`). */
  readonly cidr?: string;
  /** How the prefix compares with `cidr`. */
  readonly matchOperator?: MatchOperator;
  /** Allowed prefix lengths within `cidr` (defaults: the cidr's length … 32/128). */
  readonly prefixLength?: { readonly min?: number; readonly max?: number };
  /** `RemotePeers`: only routes learned from BGP peers (not our own). */
  readonly source?: "RemotePeers";
  /** Only routes whose outgoing interface matches (BIRD pattern: `*`, `?`). */
  readonly interface?: string;
  /** Only for peers of this type (same AS = iBGP). */
  readonly peerType?: "eBGP" | "iBGP";
  /** Only routes carrying this community (one value). */
  readonly communities?: { readonly values: readonly string[] };
  /** Only routes whose AS path starts with these ASes. */
  readonly asPathPrefix?: readonly number[];
  /** Only routes with this priority. */
  readonly priority?: number;
  /** What to do with a matching route. */
  readonly action: FilterAction;
  /** Modifications before accepting (Accept only). */
  readonly operations?: readonly FilterOperation[];
}

/** `BGPFilterSpec`: ordered rule lists per direction and family. */
export interface BgpFilterSpec {
  readonly exportV4?: readonly FilterRule[];
  readonly importV4?: readonly FilterRule[];
  readonly exportV6?: readonly FilterRule[];
  readonly importV6?: readonly FilterRule[];
}

/** A BGPFilter resource (only `metadata.name` and `spec` matter here). */
export interface BgpFilter {
  readonly apiVersion?: string;
  readonly kind?: "BGPFilter";
  readonly metadata: { readonly name: string; readonly [k: string]: unknown };
  readonly spec: BgpFilterSpec;
}
