// The rows of the decision table (rib/decision-table.fixture.ts) turned into
// real feeders: each feeder is one competing path's peer (its own source
// address, router id and AS), a BIRD process announcing one /32 per row with
// that path's attributes set by an export filter (ExaBGP where BIRD's filters
// cannot build the path). Every feeder has two sessions, towards Tortie and
// towards a BIRD receiver, so both receivers see the same paths. Pure: only
// data and config text.
import { BIRD_DECISION_TABLE, type DecisionRow } from "../rib/decision-table.fixture.js";

/** Tortie's and the BIRD receiver's AS (iBGP feeders share it). */
export const LOCAL_AS = 64500;
/** The fixture's AS numbers (1, 2, …) map to private ASNs 65001, 65002, …. */
export const asn = (n: number): number => 65000 + n;

/**
 * Router ids outside the documentation ranges mapped into them, keeping what
 * the row tests: 10.0.0.9 > 9.0.0.10 as numbers but not as text, and
 * 192.0.2.100 > 192.0.2.9 likewise.
 */
const ROUTER_ID_MAP: Readonly<Record<string, string>> = {
  "10.0.0.9": "192.0.2.100",
  "9.0.0.10": "192.0.2.9",
};

/** One feeder session pair: what the receivers see as the path's peer. */
export interface Feeder {
  readonly name: string;
  readonly kind: "ibgp" | "ebgp";
  readonly asn: number;
  readonly routerId: string;
  readonly address: string;
  /**
   * BIRD, or ExaBGP for a path BIRD's filters cannot build (an AS_SET);
   * ExaBGP sends the AS_PATH as configured, its own AS included.
   */
  readonly daemon: "bird" | "exabgp";
  /** Prefix → BIRD filter statements (or, for ExaBGP, one route's attributes) for that path. */
  readonly announce: Map<string, string[]>;
}

/** What a receiver should hold for one path: the attributes the row varies. */
export interface PathView {
  readonly asPath: string;
  readonly origin: "igp" | "egp" | "incomplete";
  readonly med?: number;
  /** Only for iBGP paths (an eBGP path carries none, RFC 4271 §5.1.5). */
  readonly localPref?: number;
  readonly originatorId?: string;
  readonly clusterListLength: number;
}

/**
 * Whether a row is decided with MED compared across neighbour ASes: it is
 * checked at a second receiver pair, a Speaker with `alwaysCompareMed` and a
 * BIRD with `med metric on` on every feeder session (BIRD compares MEDs of
 * different neighbour ASes when either route's protocol has it).
 */
export function alwaysCompareMed(row: DecisionRow): boolean {
  return row.opts?.alwaysCompareMed === true;
}

/** A row the shape allows, with its prefix and the feeder of each path. */
export interface FedRow {
  readonly row: DecisionRow;
  readonly prefix: string;
  /** Feeder address of each path, in the row's order; `"local"` for a route the receivers originate. */
  readonly feeders: readonly string[];
  /** The attributes each path should arrive with (undefined for a local path). */
  readonly views: readonly (PathView | undefined)[];
}

/** The whole feeder set for all coverable rows, and the rows left out with why. */
export interface FeederPlan {
  readonly rows: readonly FedRow[];
  readonly feeders: readonly Feeder[];
  readonly skipped: readonly { name: string; why: string }[];
  /** Prefixes both receivers originate themselves (BIRD: a static route; Tortie: `originate`). */
  readonly local: readonly string[];
}

/** Why a row cannot be fed from real BIRD peers to a Speaker, or undefined. */
function unsupported(row: DecisionRow): string | undefined {
  for (const p of row.paths) {
    if (p.source?.igpCost !== undefined)
      return "IGP cost: the Speaker's configuration has no per-peer IGP cost";
    if (p.source?.kind === "local" && p.attrs.path?.length)
      return "a locally originated path has an empty AS_PATH";
    if (p.source?.kind === undefined && p.attrs.localPref === undefined && !p.attrs.path?.length)
      return "an eBGP path needs a neighbour AS";
  }
  return undefined;
}

/**
 * Plans feeders for the rows: a path with LOCAL_PREF, or marked iBGP, comes
 * from an iBGP feeder carrying its whole AS_PATH; any other path from an eBGP
 * feeder whose AS is the path's first (BIRD prepends it, RFC 4271 §5.1.2),
 * so that an absent LOCAL_PREF is really absent on the wire (§5.1.5). A
 * path's router id defaults by its index, its address is allocated unless
 * the row fixes it. Prefixes are 198.51.100.N/32, N = row number.
 */
export function planFeeders(table: readonly DecisionRow[] = BIRD_DECISION_TABLE): FeederPlan {
  const feeders = new Map<string, Feeder>();
  const rows: FedRow[] = [];
  const skipped: { name: string; why: string }[] = [];
  const local: string[] = [];
  let nextAddress = 101;
  for (const [n, row] of table.entries()) {
    const why = unsupported(row);
    if (why) {
      skipped.push({ name: row.name, why });
      continue;
    }
    const prefix = `198.51.100.${n + 1}/32`;
    const addrs: string[] = [];
    const views: (PathView | undefined)[] = [];
    for (const [i, p] of row.paths.entries()) {
      if (p.source?.kind === "local") {
        local.push(prefix);
        addrs.push("local");
        views.push(undefined);
        continue;
      }
      const path = (p.attrs.path ?? []).map(asn);
      const ibgp = p.source?.kind === "ibgp" || p.attrs.localPref !== undefined;
      const rid0 = p.source?.routerId ?? `192.0.2.${201 + i}`;
      const routerId = ROUTER_ID_MAP[rid0] ?? rid0;
      const feederAs = ibgp ? LOCAL_AS : path[0]!;
      const daemon = p.attrs.asSet?.length ? "exabgp" : "bird";
      const key = `${daemon}|${ibgp ? "ibgp" : "ebgp"}|${feederAs}|${routerId}|${p.source?.address ?? ""}`;
      let f = feeders.get(key);
      if (!f) {
        f = {
          name: `f${feeders.size + 1}`,
          kind: ibgp ? "ibgp" : "ebgp",
          asn: feederAs,
          routerId,
          address: p.source?.address ?? `192.0.2.${nextAddress++}`,
          daemon,
          announce: new Map(),
        };
        feeders.set(key, f);
      }
      const asSet = (p.attrs.asSet ?? []).map(asn);
      if (daemon === "exabgp") {
        const o = p.attrs;
        f.announce.set(prefix, [
          `next-hop ${f.address}`,
          `origin ${["igp", "egp", "incomplete"][o.origin ?? 0]}`,
          `as-path [ ${path.join(" ")}${asSet.length ? ` ( ${asSet.join(" ")} )` : ""} ]`,
          ...(o.localPref !== undefined ? [`local-preference ${o.localPref}`] : []),
          ...(o.med !== undefined ? [`med ${o.med}`] : []),
          ...(o.originatorId ? [`originator-id ${o.originatorId}`] : []),
          ...(o.clusterList?.length ? [`cluster-list [ ${o.clusterList.join(" ")} ]`] : []),
        ]);
        addrs.push(f.address);
        views.push(view(path, asSet, p.attrs, ibgp));
        continue;
      }
      // eBGP: the feeder prepends its own AS; the filter adds the rest.
      const sent = ibgp ? path : path.slice(1);
      const set = [
        `bgp_origin = ${["ORIGIN_IGP", "ORIGIN_EGP", "ORIGIN_INCOMPLETE"][p.attrs.origin ?? 0]};`,
      ];
      for (const a of [...sent].reverse()) set.push(`bgp_path.prepend(${a});`);
      if (p.attrs.localPref !== undefined) set.push(`bgp_local_pref = ${p.attrs.localPref};`);
      if (p.attrs.med !== undefined) set.push(`bgp_med = ${p.attrs.med};`);
      if (p.attrs.originatorId) set.push(`bgp_originator_id = ${p.attrs.originatorId};`);
      for (const c of p.attrs.clusterList ?? []) set.push(`bgp_cluster_list.add(${c});`);
      if (f.announce.has(prefix)) throw new Error(`${row.name}: two paths from feeder ${f.name}`);
      f.announce.set(prefix, set);
      addrs.push(f.address);
      views.push(view(path, asSet, p.attrs, ibgp));
    }
    rows.push({ row, prefix, feeders: addrs, views });
  }
  const list = [...feeders.values()];
  const taken = new Set(list.map((f) => f.address));
  if (taken.size !== list.length) throw new Error("two feeders share an address");
  return { rows, feeders: list, skipped, local };
}

/** What the receivers should hold for a path (AS_SET members as BIRD shows them, in braces). */
function view(
  path: readonly number[],
  asSet: readonly number[],
  a: DecisionRow["paths"][number]["attrs"],
  ibgp: boolean,
): PathView {
  return {
    asPath: [...path, ...(asSet.length ? [`{${asSet.join(" ")}}`] : [])].join(" "),
    origin: (["igp", "egp", "incomplete"] as const)[a.origin ?? 0]!,
    ...(a.med !== undefined ? { med: a.med } : {}),
    ...(ibgp ? { localPref: a.localPref ?? 100 } : {}),
    ...(a.originatorId ? { originatorId: a.originatorId } : {}),
    clusterListLength: a.clusterList?.length ?? 0,
  };
}

/** ExaBGP `route` lines of a feeder. */
export function exabgpRoutes(f: Feeder): string[] {
  return [...f.announce].map(([prefix, attrs]) => `${prefix} ${attrs.join(" ")}`);
}

/** The export filter of a feeder: its prefixes with their attributes, nothing else. */
export function feederFilter(f: Feeder): string {
  const arms = [...f.announce].map(
    ([prefix, set]) => `if net = ${prefix} then { ${set.join(" ")} accept; }`,
  );
  return `filter { ${arms.join(" ")} reject; }`;
}
