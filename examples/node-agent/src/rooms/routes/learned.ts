// Routes learned from peers, and the choice of the best ones for the kernel
// (pure). Keeps every peer's Adj-RIB-In routes by prefix; for a prefix, the
// routes that pass the peer's import policy are ranked as RFC 4271 §9.1.2.2
// does, and every route tying with the best up to the MED step becomes a
// next hop of one ECMP route (BIRD's `merge paths`, Felix's ECMP).
//
// This is the room that @tortie/bgp's RIB (src/rib) replaces when it lands:
// only `LearnedTable` and `bestRoute` change.
import type { Route } from "@tortie/bgp";

/** What the table needs to know of a peer. */
export interface PeerPolicy {
  /** The peer's AS (eBGP when different from ours). */
  readonly asn: number;
  /** Import filter; false rejects. */
  readonly accept: (prefix: string) => boolean;
  /** How often our own AS may appear in the AS_PATH (0: none: RFC 4271 §9.1.2 loop check). */
  readonly allowOwnAs: number;
}

/** What selection needs. */
export interface SelectionContext {
  readonly localAsn: number;
  /** Our own addresses (a next hop pointing at us is unusable). */
  readonly ownAddresses: ReadonlySet<string>;
  /** Policy of each peer; routes of unknown peers are ignored. */
  readonly peer: (address: string) => PeerPolicy | undefined;
}

/** The kernel route for a prefix: one or more next hops. */
export interface BestRoute {
  readonly prefix: string;
  readonly nextHops: readonly string[];
  /** Peers whose routes won (for status). */
  readonly from: readonly string[];
}

const ORIGIN_RANK = { igp: 0, egp: 1, incomplete: 2 } as const;

function asPathLength(r: Route): number {
  // An AS_SET counts as one (RFC 4271 §9.1.2.2 a).
  return r.asPath.length;
}

function ownAsCount(r: Route, asn: number): number {
  let n = 0;
  for (const x of r.asPath) {
    if (typeof x === "number") n += x === asn ? 1 : 0;
    else n += x.includes(asn) ? 1 : 0;
  }
  return n;
}

/** Ranks candidate routes; returns the best and those tying with it (ECMP). */
export function bestRoute(
  prefix: string,
  candidates: readonly { peer: string; route: Route }[],
  ctx: SelectionContext,
): BestRoute | undefined {
  const usable: { peer: string; route: Route; ebgp: boolean }[] = [];
  for (const c of candidates) {
    const pol = ctx.peer(c.peer);
    if (!pol) continue;
    if (!c.route.nextHop || ctx.ownAddresses.has(c.route.nextHop)) continue;
    if (ownAsCount(c.route, ctx.localAsn) > pol.allowOwnAs) continue;
    if (!pol.accept(prefix)) continue;
    usable.push({ ...c, ebgp: pol.asn !== ctx.localAsn });
  }
  if (!usable.length) return undefined;
  // §9.1.2.2: highest LOCAL_PREF (default 100), shortest AS_PATH, lowest ORIGIN,
  // lowest MED, eBGP over iBGP. Ties after those are equal-cost paths.
  const key = (u: (typeof usable)[number]) => [
    -(u.route.localPref ?? 100),
    asPathLength(u.route),
    ORIGIN_RANK[u.route.origin],
    u.route.med ?? 0,
    u.ebgp ? 0 : 1,
  ];
  const cmp = (a: number[], b: number[]) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return 0;
  };
  let best = key(usable[0]!);
  for (const u of usable) {
    const k = key(u);
    if (cmp(k, best) < 0) best = k;
  }
  const winners = usable.filter((u) => cmp(key(u), best) === 0);
  const nextHops = [...new Set(winners.map((w) => w.route.nextHop))].sort();
  return { prefix, nextHops, from: [...new Set(winners.map((w) => w.peer))].sort() };
}

/** Every peer's learned routes, by prefix. */
export class LearnedTable {
  private readonly byPrefix = new Map<string, Map<string, { peer: string; route: Route }>>();
  private readonly byPeer = new Map<string, Set<string>>();

  /** Applies one `routes` event of a peer; returns the prefixes touched. */
  update(peer: string, announced: readonly Route[], withdrawn: readonly string[]): Set<string> {
    const touched = new Set<string>();
    const gone = new Set<string>();
    for (const key of withdrawn) {
      const prefix = key.split("#")[0]!;
      const m = this.byPrefix.get(prefix);
      if (m?.delete(`${peer}|${key}`)) {
        touched.add(prefix);
        gone.add(prefix);
        if (!m.size) this.byPrefix.delete(prefix);
      }
    }
    for (const r of announced) {
      const key = r.pathId === undefined ? r.prefix : `${r.prefix}#${r.pathId}`;
      let m = this.byPrefix.get(r.prefix);
      if (!m) {
        m = new Map();
        this.byPrefix.set(r.prefix, m);
      }
      m.set(`${peer}|${key}`, { peer, route: r });
      touched.add(r.prefix);
    }
    let mine = this.byPeer.get(peer);
    if (!mine) {
      mine = new Set();
      this.byPeer.set(peer, mine);
    }
    for (const p of touched) mine.add(p);
    // forget prefixes this peer no longer has a route for (ADD-PATH may leave others)
    for (const p of gone) {
      const m = this.byPrefix.get(p);
      if (!m || ![...m.keys()].some((k) => k.startsWith(`${peer}|`))) mine.delete(p);
    }
    if (!mine.size) this.byPeer.delete(peer);
    return touched;
  }

  /** Forgets a peer's routes (session gone, peer removed); returns the prefixes touched. */
  clearPeer(peer: string): Set<string> {
    const touched = new Set<string>();
    for (const prefix of this.byPeer.get(peer) ?? []) {
      const m = this.byPrefix.get(prefix);
      if (!m) continue;
      for (const k of [...m.keys()])
        if (k.startsWith(`${peer}|`)) {
          m.delete(k);
          touched.add(prefix);
        }
      if (!m.size) this.byPrefix.delete(prefix);
    }
    this.byPeer.delete(peer);
    return touched;
  }

  /** Forgets everything; returns every prefix that was known. */
  clear(): Set<string> {
    const all = new Set(this.byPrefix.keys());
    this.byPrefix.clear();
    this.byPeer.clear();
    return all;
  }

  /** Candidates for one prefix. */
  candidates(prefix: string): { peer: string; route: Route }[] {
    return [...(this.byPrefix.get(prefix)?.values() ?? [])];
  }

  /** Every prefix known. */
  prefixes(): IterableIterator<string> {
    return this.byPrefix.keys();
  }

  /** Number of prefixes a peer has routes for. */
  peerPrefixes(peer: string): number {
    return this.byPeer.get(peer)?.size ?? 0;
  }

  /** Number of prefixes. */
  get size(): number {
    return this.byPrefix.size;
  }
}
