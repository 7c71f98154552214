// Routes as the speaker's users see them, and the two pure conversions at
// the heart of a session: a received UPDATE → route changes (RFC 4271 §9,
// with RFC 7606 treat-as-withdraw), and originated routes → UPDATE messages
// for one peer (RFC 4271 §5 attribute rules, packed to the negotiated
// maximum message size).
import {
  Afi,
  AsPathSegmentType,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  Origin,
  Safi,
  WellKnownCommunity,
} from "../wire/constants.js";
import {
  type CodecContext,
  encodeMessage,
  formatPrefix,
  type PathAttribute,
  type Prefix,
  parsePrefix,
  reconstructAs4,
  splitAs4,
  type UpdateMessage,
  updatePrefixes,
} from "../wire/index.js";

/** ORIGIN as text. */
export type OriginName = "igp" | "egp" | "incomplete";
const ORIGIN_NAMES: readonly OriginName[] = ["igp", "egp", "incomplete"];

/** A route learned from a peer. */
export interface Route {
  /** "198.51.100.0/26" or "2001:db8::/48". */
  readonly prefix: string;
  /** ADD-PATH Path Identifier, when the session uses ADD-PATH for the family. */
  readonly pathId?: number;
  /** NEXT_HOP, or the MP_REACH next hop (global IPv6 address). */
  readonly nextHop: string;
  /** IPv6 link-local next hop, when sent. */
  readonly linkLocalNextHop?: string;
  readonly origin: OriginName;
  /** AS_PATH flattened: AS_SEQUENCE members in order, AS_SET members in braces as a nested array. */
  readonly asPath: readonly (number | readonly number[])[];
  readonly med?: number;
  readonly localPref?: number;
  /** COMMUNITIES as "asn:value". */
  readonly communities: readonly string[];
  /** LARGE_COMMUNITIES as "global:local1:local2". */
  readonly largeCommunities: readonly string[];
  /** All path attributes as decoded (AS4 interworking applied), for anything not above. */
  readonly attributes: readonly PathAttribute[];
}

/** What one received UPDATE changed. */
export interface RouteChanges {
  /** New or replaced routes. */
  readonly announced: readonly Route[];
  /** Keys ({@link routeKey}) of withdrawn routes. */
  readonly withdrawn: readonly string[];
  /** RFC 7606 treat-as-withdraw was applied to the whole UPDATE. */
  readonly treatedAsWithdraw: boolean;
}

/** The key of a route in a peer's Adj-RIB-In: prefix, plus `#pathId` with ADD-PATH. */
export function routeKey(prefix: string, pathId?: number): string {
  return pathId === undefined ? prefix : `${prefix}#${pathId}`;
}

function prefixKey(p: Prefix): string {
  return routeKey(prefixText(p), p.pathId);
}

/** Formats a 32-bit community as "asn:value". */
export function formatCommunity(c: number): string {
  return `${Math.floor(c / 0x10000)}:${c & 0xffff}`;
}

const WELL_KNOWN: Record<string, number> = {
  "no-export": WellKnownCommunity.NoExport,
  "no-advertise": WellKnownCommunity.NoAdvertise,
  "no-export-subconfed": WellKnownCommunity.NoExportSubconfed,
  "graceful-shutdown": WellKnownCommunity.GracefulShutdown,
  blackhole: WellKnownCommunity.Blackhole,
};

/** Parses "asn:value" or a well-known community name. Throws RangeError. */
export function parseCommunity(s: string): number {
  const wk = WELL_KNOWN[s];
  if (wk !== undefined) return wk;
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(s);
  if (!m || Number(m[1]) > 0xffff || Number(m[2]) > 0xffff)
    throw new RangeError(`bad community "${s}"`);
  return Number(m[1]) * 0x10000 + Number(m[2]);
}

/** Attributes shared by every prefix of one UPDATE, summarised once. */
function summarise(attributes: readonly PathAttribute[]): Omit<
  Route,
  "prefix" | "pathId" | "nextHop"
> & {
  nextHop4?: string;
} {
  let origin: OriginName = "incomplete";
  const asPath: (number | readonly number[])[] = [];
  let med: number | undefined;
  let localPref: number | undefined;
  let communities: string[] = [];
  let largeCommunities: string[] = [];
  let nextHop4: string | undefined;
  for (const a of attributes) {
    switch (a.type) {
      case "origin":
        origin = ORIGIN_NAMES[a.origin] ?? "incomplete";
        break;
      case "as-path":
        for (const s of a.segments) {
          if (s.type === AsPathSegmentType.AsSequence) asPath.push(...s.asns);
          else if (s.type === AsPathSegmentType.AsSet) asPath.push([...s.asns]);
        }
        break;
      case "med":
        med = a.med;
        break;
      case "local-pref":
        localPref = a.localPref;
        break;
      case "communities":
        communities = a.communities.map(formatCommunity);
        break;
      case "large-communities":
        largeCommunities = a.communities.map((c) => `${c.global}:${c.local1}:${c.local2}`);
        break;
      case "next-hop":
        nextHop4 = a.nextHop;
        break;
      default:
        break;
    }
  }
  return { origin, asPath, med, localPref, communities, largeCommunities, attributes, nextHop4 };
}

/** `a.b.c.d/len` (or IPv6 text) of a prefix, without a temporary buffer for IPv4. */
function prefixText(p: Prefix): string {
  if (p.afi !== Afi.Ipv4) return formatPrefix(p);
  const b = p.bytes;
  return `${b[0] ?? 0}.${b[1] ?? 0}.${b[2] ?? 0}.${b[3] ?? 0}/${p.length}`;
}

type Common = ReturnType<typeof summarise>;

/** One route; a literal of fixed shape (hot path: one per received prefix). */
function makeRoute(c: Common, p: Prefix, nextHop: string, linkLocal: string | undefined): Route {
  return {
    prefix: prefixText(p),
    pathId: p.pathId,
    nextHop,
    linkLocalNextHop: linkLocal,
    origin: c.origin,
    asPath: c.asPath,
    med: c.med,
    localPref: c.localPref,
    communities: c.communities,
    largeCommunities: c.largeCommunities,
    attributes: c.attributes,
  };
}

/**
 * The route changes of a received UPDATE (RFC 4271 §9.1). With RFC 7606
 * treat-as-withdraw (`action`), every prefix the UPDATE names is withdrawn.
 * On a 2-octet session AS4_PATH/AS4_AGGREGATOR are merged back (RFC 6793 §4.2.3).
 */
export function routesFromUpdate(
  msg: UpdateMessage,
  ctx: CodecContext,
  action?: "treat-as-withdraw" | "attribute-discard" | "session-reset",
): RouteChanges {
  if (action === "treat-as-withdraw") {
    return {
      announced: [],
      withdrawn: updatePrefixes(msg).map(prefixKey),
      treatedAsWithdraw: true,
    };
  }
  const withdrawn: string[] = msg.withdrawn.map(prefixKey);
  for (const a of msg.attributes)
    if (a.type === "mp-unreach") for (const p of a.withdrawn) withdrawn.push(prefixKey(p));
  const announced: Route[] = [];
  const hasReach = msg.nlri.length > 0 || msg.attributes.some((a) => a.type === "mp-reach");
  if (hasReach) {
    const attributes = ctx.fourOctetAs ? msg.attributes : reconstructAs4(msg.attributes);
    const common = summarise(
      attributes.filter((a) => a.type !== "mp-reach" && a.type !== "mp-unreach"),
    );
    const nh4 = common.nextHop4 ?? "";
    for (const p of msg.nlri) announced.push(makeRoute(common, p, nh4, undefined));
    for (const a of msg.attributes) {
      if (a.type !== "mp-reach") continue;
      for (const p of a.nlri)
        announced.push(makeRoute(common, p, a.nextHop ?? "", a.linkLocalNextHop));
    }
  }
  return { announced, withdrawn, treatedAsWithdraw: false };
}

/** A route this speaker originates (see `OriginateConfig`). */
export interface Originated {
  readonly prefix: string;
  readonly origin?: OriginName;
  readonly med?: number;
  readonly localPref?: number;
  readonly communities?: readonly string[];
  readonly largeCommunities?: readonly string[];
  readonly nextHop?: string;
}

/** Who we send to: what changes the attributes (RFC 4271 §5.1). */
export interface ExportTarget {
  readonly localAs: number;
  /** iBGP (same AS): no AS prepend, LOCAL_PREF sent. */
  readonly internal: boolean;
  /** Next hop for IPv4 NLRI (our address on the session, or configured). */
  readonly nextHop4?: string;
  /** Next hop for IPv6 NLRI (our IPv6 address, or IPv4-mapped). */
  readonly nextHop6?: string;
  readonly ctx: CodecContext;
}

/** Builds the path attributes of an originated route for one peer. */
export function exportAttributes(r: Originated, t: ExportTarget, ipv6: boolean): PathAttribute[] {
  const attrs: PathAttribute[] = [
    {
      type: "origin",
      origin: Origin[r.origin === "egp" ? "Egp" : r.origin === "incomplete" ? "Incomplete" : "Igp"],
    },
    {
      type: "as-path",
      segments: t.internal ? [] : [{ type: AsPathSegmentType.AsSequence, asns: [t.localAs] }],
    },
  ];
  if (!ipv6) {
    const nh = r.nextHop ?? t.nextHop4;
    if (!nh) throw new RangeError(`no IPv4 next hop for ${r.prefix}`);
    attrs.push({ type: "next-hop", nextHop: nh });
  }
  if (r.med !== undefined) attrs.push({ type: "med", med: r.med });
  if (t.internal) attrs.push({ type: "local-pref", localPref: r.localPref ?? 100 });
  if (r.communities?.length)
    attrs.push({ type: "communities", communities: r.communities.map(parseCommunity) });
  if (r.largeCommunities?.length) {
    attrs.push({
      type: "large-communities",
      communities: r.largeCommunities.map((s) => {
        const [g, a, b] = s.split(":").map(Number) as [number, number, number];
        return { global: g, local1: a, local2: b };
      }),
    });
  }
  return t.ctx.fourOctetAs ? attrs : splitAs4(attrs);
}

function groupKey(r: Originated, ipv6: boolean): string {
  return JSON.stringify([
    ipv6,
    r.origin,
    r.med,
    r.localPref,
    r.communities,
    r.largeCommunities,
    r.nextHop,
  ]);
}

function nlriSize(p: Prefix, addPath: boolean): number {
  return 1 + ((p.length + 7) >> 3) + (addPath ? 4 : 0);
}

/**
 * UPDATE messages that announce `routes` to one peer: routes with the same
 * attributes share UPDATEs, each filled up to the negotiated maximum size
 * (4,096 octets, or 65,535 with RFC 8654 Extended Message).
 * @deprecated The speaker no longer uses this: it sends each peer's
 * Adj-RIB-Out with `rib.batchToUpdates` and `wire.encodeUpdates` (one packer).
 * Kept for existing callers.
 */
export function buildAnnouncements(
  routes: readonly Originated[],
  t: ExportTarget,
): UpdateMessage[] {
  const groups = new Map<string, { ipv6: boolean; sample: Originated; prefixes: Prefix[] }>();
  for (const r of routes) {
    const p = parsePrefix(r.prefix);
    const ipv6 = p.afi === Afi.Ipv6;
    const k = groupKey(r, ipv6);
    const g = groups.get(k) ?? { ipv6, sample: r, prefixes: [] };
    groups.set(k, g);
    g.prefixes.push(p);
  }
  const out: UpdateMessage[] = [];
  for (const g of groups.values()) {
    const attrs = exportAttributes(g.sample, t, g.ipv6);
    const afi = g.ipv6 ? Afi.Ipv6 : Afi.Ipv4;
    const addPath = t.ctx.addPath.send.some((f) => f.afi === afi && f.safi === Safi.Unicast);
    const make = (prefixes: Prefix[]): UpdateMessage =>
      g.ipv6
        ? {
            type: "update",
            withdrawn: [],
            nlri: [],
            attributes: [
              ...attrs,
              {
                type: "mp-reach",
                afi,
                safi: Safi.Unicast,
                nextHop: t.nextHop6 ?? mapped(t.nextHop4),
                nlri: prefixes,
                extendedLength: true,
              },
            ],
          }
        : { type: "update", withdrawn: [], attributes: attrs, nlri: prefixes };
    out.push(...pack(g.prefixes, make, t.ctx, addPath));
  }
  return out;
}

/**
 * Cuts `prefixes` into as few messages as fit the negotiated maximum size:
 * the size of `make([])` plus each prefix's NLRI octets (RFC 4271 §4.3).
 */
function pack(
  prefixes: readonly Prefix[],
  make: (batch: Prefix[]) => UpdateMessage,
  ctx: CodecContext,
  addPath: boolean,
): UpdateMessage[] {
  const max = ctx.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
  const base = encodeMessage(make([]), ctx).length;
  const out: UpdateMessage[] = [];
  let batch: Prefix[] = [];
  let size = base;
  for (const p of prefixes) {
    const n = nlriSize(p, addPath);
    if (size + n > max && batch.length) {
      out.push(make(batch));
      batch = [];
      size = base;
    }
    batch.push(p);
    size += n;
  }
  if (batch.length) out.push(make(batch));
  return out;
}

function mapped(v4: string | undefined): string {
  if (!v4) throw new RangeError("no IPv6 next hop and no IPv4 address to map");
  return v4.includes(":") ? v4 : `::ffff:${v4}`;
}

/**
 * UPDATE messages that withdraw `prefixes` ("p/len" text) from one peer.
 * @deprecated See {@link buildAnnouncements}.
 */
export function buildWithdrawals(prefixes: readonly string[], ctx: CodecContext): UpdateMessage[] {
  const v4: Prefix[] = [];
  const v6: Prefix[] = [];
  for (const s of prefixes) {
    const p = parsePrefix(s);
    (p.afi === Afi.Ipv6 ? v6 : v4).push(p);
  }
  const out: UpdateMessage[] = [];
  const chunk = (list: Prefix[], make: (ps: Prefix[]) => UpdateMessage) => {
    const afi = list[0]?.afi;
    const addPath = ctx.addPath.send.some((f) => f.afi === afi && f.safi === Safi.Unicast);
    out.push(...pack(list, make, ctx, addPath));
  };
  if (v4.length) chunk(v4, (ps) => ({ type: "update", withdrawn: ps, attributes: [], nlri: [] }));
  if (v6.length) {
    chunk(v6, (ps) => ({
      type: "update",
      withdrawn: [],
      nlri: [],
      attributes: [
        {
          type: "mp-unreach",
          afi: Afi.Ipv6,
          safi: Safi.Unicast,
          withdrawn: ps,
          extendedLength: true,
        },
      ],
    }));
  }
  return out;
}
