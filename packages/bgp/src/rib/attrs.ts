// Interned path attribute sets (hash-consing, as BIRD's `rta`/`ea_list`
// cache and GoBGP's shared `PathAttributes` do). Every path in the RIB points
// at one shared, frozen `AttrSet`; two paths with equal attributes point at
// the same object. The identity of a set is its canonical encoding: the
// attributes sorted by type code and written as on a 4-octet-AS session
// (RFC 4271 §4.3, RFC 6793 §3), then the next hop(s) and the route priority.
//
// The NLRI-carrying attributes (MP_REACH_NLRI, MP_UNREACH_NLRI, RFC 4760) are
// not part of a set; their next hop is kept in `nextHop`/`linkLocalNextHop`,
// and so is NEXT_HOP (RFC 4271 §5.1.3). `wireAttributes` puts them back.

import { asPathLength } from "../wire/as4.js";
import type { LargeCommunity } from "../wire/attributes/large-communities.js";
import type { AsPathSegment } from "../wire/attributes/segments.js";
import { encodeAttribute, type PathAttribute } from "../wire/attributes/table.js";
import { ByteWriter } from "../wire/bytes.js";
import { Afi, AsPathSegmentType, AttrType, Origin } from "../wire/constants.js";
import { codecContext } from "../wire/context.js";
import type { Prefix } from "../wire/prefix.js";

/** What defines an attribute set before interning. */
export interface AttrSetInit {
  /** Path attributes as decoded (NEXT_HOP, MP_REACH/MP_UNREACH are taken apart). */
  readonly attributes: readonly PathAttribute[];
  /** Next hop; defaults to NEXT_HOP or MP_REACH_NLRI's next hop in `attributes`. */
  readonly nextHop?: string;
  /** IPv6 link-local next hop (RFC 2545 §3); defaults to MP_REACH_NLRI's. */
  readonly linkLocalNextHop?: string;
  /** Route priority (Calico's `krt_metric`, set by a BGPFilter `setPriority`); not sent on the wire. */
  readonly priority?: number;
  /** Outgoing interface of the route (Calico's `ifname`, matched by BGPFilter `interface`); not sent. */
  readonly interface?: string;
}

/**
 * A shared, interned attribute set. Treat as immutable: the RIB hands the
 * same object to every path with equal attributes. Derived fields are
 * computed once, for the decision process and policy.
 */
export interface AttrSet {
  /** Small unique number within its {@link AttrInterner} (stable while referenced). */
  readonly id: number;
  /** The canonical encoding, as a string of octets: the interning key. */
  readonly key: string;
  /** Attributes sorted by type code, without NEXT_HOP, MP_REACH_NLRI, MP_UNREACH_NLRI. */
  readonly attributes: readonly PathAttribute[];
  /** Next hop address text, if any. */
  readonly nextHop: string | undefined;
  /** IPv6 link-local next hop, if any (RFC 2545 §3). */
  readonly linkLocalNextHop: string | undefined;
  /** Route priority (Calico `krt_metric`), if set. */
  readonly priority: number | undefined;
  /** Outgoing interface (route metadata, not sent), if set. */
  readonly interface: string | undefined;
  /** ORIGIN value; {@link Origin.Incomplete} when absent. */
  readonly origin: number;
  /** AS_PATH segments (empty when absent: a locally originated route). */
  readonly asPath: readonly AsPathSegment[];
  /** AS_PATH length as RFC 4271 §9.1.2.2 counts it. */
  readonly asPathLength: number;
  /** The neighbour AS: first AS of a leading AS_SEQUENCE (RFC 4271 §9.1.2.2 c), 0 if none. */
  readonly neighborAs: number;
  /** MULTI_EXIT_DISC, if present. */
  readonly med: number | undefined;
  /** LOCAL_PREF, if present. */
  readonly localPref: number | undefined;
  /** ORIGINATOR_ID, if present (RFC 4456 §8). */
  readonly originatorId: string | undefined;
  /** CLUSTER_LIST ids, most recent first (RFC 4456 §8); empty if absent. */
  readonly clusterList: readonly string[];
  /** COMMUNITIES values (RFC 1997); empty if absent. */
  readonly communities: readonly number[];
  /** LARGE_COMMUNITY values (RFC 8092); empty if absent. */
  readonly largeCommunities: readonly LargeCommunity[];
}

interface MutableAttrSet extends AttrSet {
  refs: number;
}

const KEY_CTX = codecContext({ fourOctetAs: true });
const NO_SEGMENTS: readonly AsPathSegment[] = Object.freeze([]);
const NO_STRINGS: readonly string[] = Object.freeze([]);
const NO_NUMBERS: readonly number[] = Object.freeze([]);
const NO_LARGE: readonly LargeCommunity[] = Object.freeze([]);

function typeCode(a: PathAttribute): number {
  if (a.type === "unknown") return a.code;
  switch (a.type) {
    case "origin":
      return AttrType.Origin;
    case "as-path":
      return AttrType.AsPath;
    case "next-hop":
      return AttrType.NextHop;
    case "med":
      return AttrType.MultiExitDisc;
    case "local-pref":
      return AttrType.LocalPref;
    case "atomic-aggregate":
      return AttrType.AtomicAggregate;
    case "aggregator":
      return AttrType.Aggregator;
    case "communities":
      return AttrType.Communities;
    case "originator-id":
      return AttrType.OriginatorId;
    case "cluster-list":
      return AttrType.ClusterList;
    case "mp-reach":
      return AttrType.MpReachNlri;
    case "mp-unreach":
      return AttrType.MpUnreachNlri;
    case "extended-communities":
      return AttrType.ExtendedCommunities;
    case "as4-path":
      return AttrType.As4Path;
    case "as4-aggregator":
      return AttrType.As4Aggregator;
    case "large-communities":
      return AttrType.LargeCommunities;
    case "otc":
      return AttrType.Otc;
  }
}

/** The IANA type code of a decoded attribute. */
export const attributeTypeCode: (a: PathAttribute) => number = typeCode;

/** The first AS of a leading AS_SEQUENCE (RFC 4271 §9.1.2.2 c; confederation segments skipped, RFC 5065 §5.3). */
export function neighborAsOf(segments: readonly AsPathSegment[]): number {
  for (const s of segments) {
    if (s.type === AsPathSegmentType.ConfedSequence || s.type === AsPathSegmentType.ConfedSet)
      continue;
    return s.type === AsPathSegmentType.AsSequence ? (s.asns[0] ?? 0) : 0;
  }
  return 0;
}

/**
 * The attribute set store: `intern` returns the one shared object for equal
 * attributes and counts references; `release` drops one and forgets the set
 * when none is left, so a long-running speaker does not accumulate sets.
 */
export class AttrInterner {
  readonly #sets = new Map<string, MutableAttrSet>();
  readonly #w = new ByteWriter(512);
  #nextId = 1;

  /** Number of distinct sets held. */
  get size(): number {
    return this.#sets.size;
  }

  /** The canonical key of `init` (exposed for tests and diagnostics). */
  keyOf(init: AttrSetInit): string {
    return this.#key(normalize(init));
  }

  /**
   * The shared set equal to `init`, its reference count raised by one. Call
   * {@link AttrInterner.release} once per `intern` when the holder lets go.
   */
  intern(init: AttrSetInit): AttrSet {
    const n = normalize(init);
    const key = this.#key(n);
    const hit = this.#sets.get(key);
    if (hit) {
      hit.refs++;
      return hit;
    }
    const set = build(this.#nextId++, key, n);
    this.#sets.set(key, set);
    return set;
  }

  /** Adds one reference (or `count`) to a set already interned here. */
  retain(set: AttrSet, count = 1): void {
    (set as MutableAttrSet).refs += count;
  }

  /** Drops one reference (or `count`); the set is forgotten when none remain. */
  release(set: AttrSet, count = 1): void {
    const m = set as MutableAttrSet;
    m.refs -= count;
    if (m.refs <= 0 && this.#sets.get(m.key) === m) this.#sets.delete(m.key);
  }

  /** Current reference count of a set (diagnostics and tests). */
  refs(set: AttrSet): number {
    return (set as MutableAttrSet).refs;
  }

  #key(n: Normalized): string {
    const w = this.#w;
    w.pos = 0;
    for (const a of n.attributes) encodeAttribute(a, w, KEY_CTX);
    let s = "";
    const b = w.buf;
    // Octets to a one-byte string in chunks (no per-octet concatenation).
    for (let i = 0; i < w.pos; i += 4096) {
      s += String.fromCharCode.apply(
        null,
        b.subarray(i, Math.min(w.pos, i + 4096)) as unknown as number[],
      );
    }
    return `${s}|${n.nextHop ?? ""}|${n.linkLocalNextHop ?? ""}|${n.priority ?? ""}|${n.interface ?? ""}`;
  }
}

interface Normalized {
  attributes: PathAttribute[];
  nextHop: string | undefined;
  linkLocalNextHop: string | undefined;
  priority: number | undefined;
  interface: string | undefined;
}

function normalize(init: AttrSetInit): Normalized {
  let nextHop = init.nextHop;
  let linkLocal = init.linkLocalNextHop;
  const attributes: PathAttribute[] = [];
  for (const a of init.attributes) {
    if (a.type === "next-hop") nextHop ??= a.nextHop;
    else if (a.type === "mp-reach") {
      nextHop ??= a.nextHop;
      linkLocal ??= a.linkLocalNextHop;
    } else if (a.type !== "mp-unreach") attributes.push(a);
  }
  // Stable sort by type code: one canonical order whatever the arrival order.
  attributes.sort((x, y) => typeCode(x) - typeCode(y));
  return {
    attributes,
    nextHop,
    linkLocalNextHop: linkLocal,
    priority: init.priority,
    interface: init.interface,
  };
}

function build(id: number, key: string, n: Normalized): MutableAttrSet {
  let origin: number = Origin.Incomplete;
  let asPath = NO_SEGMENTS;
  let med: number | undefined;
  let localPref: number | undefined;
  let originatorId: string | undefined;
  let clusterList = NO_STRINGS;
  let communities = NO_NUMBERS;
  let largeCommunities = NO_LARGE;
  for (const a of n.attributes) {
    switch (a.type) {
      case "origin":
        origin = a.origin;
        break;
      case "as-path":
        asPath = a.segments;
        break;
      case "med":
        med = a.med;
        break;
      case "local-pref":
        localPref = a.localPref;
        break;
      case "originator-id":
        originatorId = a.originatorId;
        break;
      case "cluster-list":
        clusterList = a.clusterIds;
        break;
      case "communities":
        communities = a.communities;
        break;
      case "large-communities":
        largeCommunities = a.communities;
        break;
      default:
        break;
    }
  }
  const set: MutableAttrSet = {
    id,
    key,
    attributes: Object.freeze(n.attributes),
    nextHop: n.nextHop,
    linkLocalNextHop: n.linkLocalNextHop,
    priority: n.priority,
    interface: n.interface,
    origin,
    asPath,
    asPathLength: asPathLength(asPath),
    neighborAs: neighborAsOf(asPath),
    med,
    localPref,
    originatorId,
    clusterList,
    communities,
    largeCommunities,
    refs: 1,
  };
  return set;
}

/** The attribute of `type` in a set, if present. */
export function attrOf<K extends PathAttribute["type"]>(
  set: AttrSet,
  type: K,
): Extract<PathAttribute, { type: K }> | undefined {
  for (const a of set.attributes)
    if (a.type === type) return a as Extract<PathAttribute, { type: K }>;
  return undefined;
}

/**
 * The attributes to put in an UPDATE for `prefixes` of one family: IPv4
 * unicast gets NEXT_HOP and the NLRI field (RFC 4271 §4.3); anything else an
 * MP_REACH_NLRI (RFC 4760 §3) carrying the prefixes and the next hop(s).
 */
export function wireAttributes(
  set: AttrSet,
  afi: number,
  prefixes: readonly Prefix[],
  safi = 1,
): { attributes: PathAttribute[]; nlri: readonly Prefix[] } {
  const out: PathAttribute[] = [];
  const ipv4Unicast = afi === Afi.Ipv4 && safi === 1 && !set.nextHop?.includes(":");
  for (const a of set.attributes) {
    out.push(a);
    if (a.type === "as-path" && ipv4Unicast && set.nextHop !== undefined) {
      out.push({ type: "next-hop", nextHop: set.nextHop });
    }
  }
  if (ipv4Unicast) {
    if (set.nextHop !== undefined && !out.some((a) => a.type === "next-hop")) {
      out.push({ type: "next-hop", nextHop: set.nextHop });
    }
    return { attributes: out, nlri: prefixes };
  }
  const mp: PathAttribute =
    set.linkLocalNextHop === undefined
      ? { type: "mp-reach", afi, safi, nextHop: set.nextHop, nlri: prefixes }
      : {
          type: "mp-reach",
          afi,
          safi,
          nextHop: set.nextHop,
          linkLocalNextHop: set.linkLocalNextHop,
          nlri: prefixes,
        };
  out.push(mp);
  out.sort((x, y) => typeCode(x) - typeCode(y));
  return { attributes: out, nlri: [] };
}
