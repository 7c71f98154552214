// The decision process of RFC 4271 §9.1.2.2 as an ordered list of steps,
// each a named elimination over the candidate set (GoBGP's `destination.go`
// reasons, BIRD's `bgp_rte_better`). Working on the set rather than on pairs
// keeps the MED rule right: MED is compared only between paths from the same
// neighbour AS (§9.1.2.2 c), which as a pairwise order is not transitive and
// would make the result depend on arrival order. Every step reports which
// paths it removed, so the caller can say *why* a path lost.
//
// Steps, in order:
//   0. local origination over learned paths (BIRD: static preference 200 over BGP 100)
//   1. highest LOCAL_PREF (default 100 when absent, as BIRD's default_local_pref)   §9.1.1
//   2. shortest AS_PATH (an AS_SET counts 1, confederation segments 0)             §9.1.2.2 a
//   3. lowest ORIGIN (IGP < EGP < INCOMPLETE)                                       §9.1.2.2 b
//   4. lowest MED among paths from the same neighbour AS (all paths when
//      `alwaysCompareMed`); absent MED is 0 (RFC 4271 §9.1.2.2 c, BIRD default_med) §9.1.2.2 c
//   5. eBGP over iBGP                                                               §9.1.2.2 d
//   6. lowest IGP cost to the next hop (the caller's hook; 0 by default)            §9.1.2.2 e
//      — paths still standing here are equal-cost: the ECMP multipath set.
//   7. lowest BGP Identifier, ORIGINATOR_ID in its place when present (RFC 4456 §9) §9.1.2.2 f
//   8. shortest CLUSTER_LIST (RFC 4456 §9)
//   9. lowest peer address                                                          §9.1.2.2 g
//  10. lowest ADD-PATH Path Identifier (RFC 7911), then the source registered
//      first: deterministic last resorts, so the result never depends on order
import { ipv4ToNumber } from "./addr.js";
import type { Path } from "./path.js";

/** Options of the decision process. */
export interface DecisionOptions {
  /** Compare MED between paths from different neighbour ASes too (`always-compare-med`). */
  readonly alwaysCompareMed?: boolean;
  /** LOCAL_PREF assumed when a path has none (BIRD: 100). */
  readonly defaultLocalPref?: number;
  /** MED assumed when a path has none (RFC 4271 §9.1.2.2 c: lowest, 0). */
  readonly defaultMed?: number;
  /**
   * IGP cost to a path's next hop (RFC 4271 §9.1.2.2 e), e.g. from the
   * kernel's routing table; default: the source peer's configured `igpCost`.
   * Must be a pure function of the path while it is in the RIB.
   */
  readonly igpCost?: (path: Path) => number;
  /** Treat different AS paths of equal length as multipath candidates too (BIRD's `merge paths`, FRR's multipath-relax); otherwise eBGP multipath needs the same neighbour AS. */
  readonly multipathRelax?: boolean;
}

/** Names of the steps, in order. */
export const DECISION_STEPS = [
  "local-origin",
  "local-pref",
  "as-path-length",
  "origin",
  "med",
  "ebgp-over-ibgp",
  "igp-cost",
  "router-id",
  "cluster-list-length",
  "peer-address",
  "path-id",
  "source-order",
] as const;

/** Why a path lost: the step that removed it. */
export type DecisionReason = (typeof DECISION_STEPS)[number];

/** One step: keeps the preferred paths of `candidates` (never returns an empty list for a non-empty input). */
export interface DecisionStep {
  readonly name: DecisionReason;
  readonly keep: (candidates: readonly Path[], opts: DecisionOptions) => Path[];
}

function keepBy(candidates: readonly Path[], score: (p: Path) => number, highest: boolean): Path[] {
  let best = highest ? -Infinity : Infinity;
  for (const p of candidates) {
    const s = score(p);
    if (highest ? s > best : s < best) best = s;
  }
  return candidates.filter((p) => score(p) === best);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** The ordered decision steps of RFC 4271 §9.1.2.2 (plus the RFC 4456 ones). */
export const DECISION_PROCESS: readonly DecisionStep[] = [
  {
    name: "local-origin",
    keep: (c) => keepBy(c, (p) => (p.source.kind === "local" ? 1 : 0), true),
  },
  {
    name: "local-pref",
    keep: (c, o) => keepBy(c, (p) => p.attrs.localPref ?? o.defaultLocalPref ?? 100, true),
  },
  { name: "as-path-length", keep: (c) => keepBy(c, (p) => p.attrs.asPathLength, false) },
  { name: "origin", keep: (c) => keepBy(c, (p) => p.attrs.origin, false) },
  {
    name: "med",
    keep: (c, o) => {
      const med = (p: Path) => p.attrs.med ?? o.defaultMed ?? 0;
      if (o.alwaysCompareMed) return keepBy(c, med, false);
      // Per neighbour AS, keep only the lowest MED; paths of other ASes are untouched.
      const lowest = new Map<number, number>();
      for (const p of c) {
        const asn = p.attrs.neighborAs;
        const m = med(p);
        const cur = lowest.get(asn);
        if (cur === undefined || m < cur) lowest.set(asn, m);
      }
      return c.filter((p) => med(p) === lowest.get(p.attrs.neighborAs));
    },
  },
  {
    name: "ebgp-over-ibgp",
    keep: (c) => keepBy(c, (p) => (p.source.kind === "ebgp" ? 1 : 0), true),
  },
  {
    name: "igp-cost",
    keep: (c, o) => keepBy(c, (p) => (o.igpCost ? o.igpCost(p) : p.source.igpCost), false),
  },
  {
    name: "router-id",
    keep: (c) =>
      keepBy(
        c,
        (p) =>
          p.attrs.originatorId !== undefined
            ? ipv4ToNumber(p.attrs.originatorId)
            : p.source.routerId,
        false,
      ),
  },
  { name: "cluster-list-length", keep: (c) => keepBy(c, (p) => p.attrs.clusterList.length, false) },
  {
    name: "peer-address",
    keep: (c) => {
      let best = c[0]!.source.addressBytes;
      for (const p of c)
        if (compareBytes(p.source.addressBytes, best) < 0) best = p.source.addressBytes;
      return c.filter((p) => compareBytes(p.source.addressBytes, best) === 0);
    },
  },
  { name: "path-id", keep: (c) => keepBy(c, (p) => p.pathId, false) },
  { name: "source-order", keep: (c) => keepBy(c, (p) => p.source.index, false) },
];

const IGP_STEP = DECISION_PROCESS.findIndex((s) => s.name === "igp-cost");

/** The outcome of the decision process over the paths of one destination. */
export interface Decision {
  /** The best path, or undefined when there are no candidates. */
  readonly best: Path | undefined;
  /** Equal-cost paths (best first) that survived through the IGP-cost step (ECMP). */
  readonly multipath: readonly Path[];
  /** For every path that lost, the step that removed it. */
  readonly reasons: ReadonlyMap<Path, DecisionReason>;
}

/**
 * Runs the decision process over `paths` (any order; the result does not
 * depend on it). With one path it returns at once.
 */
export function decide(paths: readonly Path[], opts: DecisionOptions = {}): Decision {
  if (paths.length === 0) return { best: undefined, multipath: [], reasons: new Map() };
  if (paths.length === 1) return { best: paths[0], multipath: [paths[0]!], reasons: new Map() };
  const reasons = new Map<Path, DecisionReason>();
  let cur: readonly Path[] = paths;
  let multipath: readonly Path[] = [];
  for (let i = 0; i < DECISION_PROCESS.length; i++) {
    const step = DECISION_PROCESS[i]!;
    if (cur.length > 1) {
      const kept = step.keep(cur, opts);
      if (kept.length !== cur.length) {
        const keep = new Set(kept);
        for (const p of cur) if (!keep.has(p)) reasons.set(p, step.name);
      }
      cur = kept;
    }
    if (i === IGP_STEP) multipath = cur;
  }
  const best = cur[0]!;
  // Multipath: equal through IGP cost; without relax also the same neighbour AS (BIRD, FRR default).
  const mp = multipath.filter(
    (p) => opts.multipathRelax || p.attrs.neighborAs === best.attrs.neighborAs,
  );
  return { best, multipath: [best, ...mp.filter((p) => p !== best)], reasons };
}

/**
 * Compares two paths: negative when `a` is preferred, positive when `b` is,
 * with the step that decided. Equal only for the same path.
 */
export function comparePaths(
  a: Path,
  b: Path,
  opts: DecisionOptions = {},
): { readonly winner: Path; readonly reason: DecisionReason | undefined } {
  if (a === b) return { winner: a, reason: undefined };
  const d = decide([a, b], opts);
  const loser = d.best === a ? b : a;
  return { winner: d.best!, reason: d.reasons.get(loser) };
}

function stepScore(step: number, p: Path, o: DecisionOptions): number {
  switch (step) {
    case 0:
      return p.source.kind === "local" ? 0 : 1;
    case 1:
      return -(p.attrs.localPref ?? o.defaultLocalPref ?? 100);
    case 2:
      return p.attrs.asPathLength;
    case 3:
      return p.attrs.origin;
    case 5:
      return p.source.kind === "ebgp" ? 0 : 1;
    case 6:
      return o.igpCost ? o.igpCost(p) : p.source.igpCost;
    case 7:
      return p.attrs.originatorId !== undefined
        ? ipv4ToNumber(p.attrs.originatorId)
        : p.source.routerId;
    case 8:
      return p.attrs.clusterList.length;
    case 10:
      return p.pathId;
    default:
      return p.source.index;
  }
}

/**
 * The best of `scratch[0..n)`, the same path {@link decide} picks, without
 * reasons and without allocating: the RIB's hot path. `scratch` is
 * reordered.
 */
export function bestPath(scratch: Path[], n: number, opts: DecisionOptions = {}): Path {
  for (let step = 0; step < DECISION_PROCESS.length && n > 1; step++) {
    if (step === 4) {
      // MED: drop a path when another from the same neighbour AS (any, with always-compare) has a lower MED.
      const dm = opts.defaultMed ?? 0;
      let k = 0;
      for (let i = 0; i < n; i++) {
        const a = scratch[i]!;
        const ma = a.attrs.med ?? dm;
        let beaten = false;
        for (let j = 0; j < n && !beaten; j++) {
          const b = scratch[j]!;
          if (
            (opts.alwaysCompareMed || b.attrs.neighborAs === a.attrs.neighborAs) &&
            (b.attrs.med ?? dm) < ma
          )
            beaten = true;
        }
        if (!beaten) scratch[k++] = a;
      }
      // Surviving paths keep their relative order; the beaten ones are overwritten.
      n = k;
      continue;
    }
    if (step === 9) {
      let best = scratch[0]!.source.addressBytes;
      for (let i = 1; i < n; i++)
        if (compareBytes(scratch[i]!.source.addressBytes, best) < 0)
          best = scratch[i]!.source.addressBytes;
      let k = 0;
      for (let i = 0; i < n; i++)
        if (compareBytes(scratch[i]!.source.addressBytes, best) === 0) scratch[k++] = scratch[i]!;
      n = k;
      continue;
    }
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const s = stepScore(step, scratch[i]!, opts);
      if (s < min) min = s;
    }
    let k = 0;
    for (let i = 0; i < n; i++)
      if (stepScore(step, scratch[i]!, opts) === min) scratch[k++] = scratch[i]!;
    n = k;
  }
  return scratch[0]!;
}

/**
 * Pairwise order of the steps before MED (local origin, LOCAL_PREF, AS_PATH
 * length, ORIGIN): negative when `a` is preferred. These steps are a total
 * order, so the RIB can skip the full process when a new path loses or wins
 * already here.
 */
export function comparePreMed(a: Path, b: Path, o: DecisionOptions = {}): number {
  // Steps 0–3 of stepScore written out: the RIB calls this once or more per
  // path received, and the loop over a switch cost a third of its time.
  const la = a.source.kind === "local";
  if (la !== (b.source.kind === "local")) return la ? -1 : 1;
  const aa = a.attrs;
  const ba = b.attrs;
  const dlp = o.defaultLocalPref ?? 100;
  const lp = (ba.localPref ?? dlp) - (aa.localPref ?? dlp);
  if (lp !== 0) return lp;
  return aa.asPathLength - ba.asPathLength || aa.origin - ba.origin;
}

/** MED of a path as the process compares it. */
export function medOf(p: Path, o: DecisionOptions = {}): number {
  return p.attrs.med ?? o.defaultMed ?? 0;
}

/** Pairwise order of the steps after MED (eBGP, IGP cost, router id, CLUSTER_LIST, address, path id, source). */
export function comparePostMed(a: Path, b: Path, o: DecisionOptions = {}): number {
  // Steps 5 and 7 written out (as comparePreMed): eBGP over iBGP, then — when
  // the IGP cost is the default's, the peers' configured costs — the router
  // id, which decides between paths from different peers.
  const ea = a.source.kind === "ebgp";
  if (ea !== (b.source.kind === "ebgp")) return ea ? -1 : 1;
  if (!o.igpCost) {
    const igp = a.source.igpCost - b.source.igpCost;
    if (igp !== 0) return igp;
    const ida =
      a.attrs.originatorId !== undefined ? ipv4ToNumber(a.attrs.originatorId) : a.source.routerId;
    const idb =
      b.attrs.originatorId !== undefined ? ipv4ToNumber(b.attrs.originatorId) : b.source.routerId;
    if (ida !== idb) return ida - idb;
  }
  for (let step = 5; step < DECISION_PROCESS.length; step++) {
    const d =
      step === 9
        ? compareBytes(a.source.addressBytes, b.source.addressBytes)
        : stepScore(step, a, o) - stepScore(step, b, o);
    if (d !== 0) return d;
  }
  return 0;
}
