// The RIB of one speaker (RFC 4271 §3.2, §9): the Adj-RIBs-In of its peers,
// the Loc-RIB and the Adj-RIBs-Out, as one pure object. It holds no sockets
// and no timers: the speaker feeds it decoded UPDATEs and the time (`now`),
// and every mutating call returns the deltas it caused (with `returnDeltas:
// false`, as the speaker has it, only while a subscriber listens: a full
// table nobody installs makes no change records).
//
// Memory layout (a full table is a million prefixes): a destination table
// (dest-table.ts) from prefix to its one path, or to a list of its paths,
// the best first. A path is a `SharedPath` — one object per peer and
// attribute set, shared by every destination where that peer's path has no
// Path Identifier and is not stale — or else a small per-destination node;
// its attributes are an interned, shared `AttrSet`. A list of shared paths
// is itself shared (`SharedMulti`: every destination with the same paths in
// the same order holds one), reached by cached add-one / remove-one steps;
// a destination whose paths change any other way takes a list of its own
// (`Multi`). The Adj-RIB-In after import policy *is* the set of a
// peer's nodes in the Loc-RIB (as in BIRD without `import table`); the
// Adj-RIB-In before import policy is kept only for peers configured with
// `keepPreImport` (BIRD's `import table on`), so that a policy change can be
// re-evaluated without asking the peer for a route refresh.

import { reconstructAs4 } from "../wire/as4.js";
import type { Ipv4Nlri } from "../wire/nlri-v4.js";
import type { Prefix } from "../wire/prefix.js";
import { ipv4ToNumber, parseSubnet, type Subnet, tryParseAddress } from "./addr.js";
import { AdjRibOut, type PackedBatch } from "./adj-rib-out.js";
import {
  type AttrInterner,
  type AttrSet,
  type AttrSetInit,
  AttrInterner as Interner,
} from "./attrs.js";
import {
  bestPath,
  comparePostMed,
  comparePreMed,
  type Decision,
  type DecisionOptions,
  decide,
  medOf,
} from "./decision.js";
import { type DestCursor, DestTable, type ValueIds, v4prefix } from "./dest-table.js";
import {
  type ExportContext,
  type ExportSkip,
  type ExportTarget,
  exportAllowed,
  exportAttributes,
  type NextHopMode,
} from "./export.js";
import { checkFeasible, type FeasibilityContext, type Infeasible } from "./feasibility.js";
import { prefixFromKey, ribKey, withPathId } from "./keys.js";
import { applyModification } from "./modify.js";
import type { Path, PathSource, SourceKind } from "./path.js";
import { type PathList, PathListBuilder } from "./path-list.js";
import {
  type PolicyPeer,
  type RouteModification,
  type RoutePolicy,
  rejectsFamily,
} from "./policy-hook.js";

/** Speaker-wide settings of a RIB. */
export interface RibOptions {
  /** Our AS. */
  readonly localAs: number;
  /** Our BGP Identifier (dotted quad). */
  readonly routerId: string;
  /** Set to reflect routes between iBGP peers (RFC 4456); the id, usually the router id. */
  readonly clusterId?: string;
  /** Our own addresses (next hops equal to one are rejected, RFC 4271 §6.3). */
  readonly ownAddresses?: readonly string[];
  /** Decision process options. */
  readonly decision?: DecisionOptions;
  /** Report ECMP multipath sets in deltas and queries. */
  readonly multipath?: boolean;
  /**
   * `false`: build best-path deltas only while a {@link Rib.subscribe}r
   * listens; without one, mutating calls return empty `deltas`. For a RIB
   * whose callers read only the subscribers' feed (a speaker with nobody
   * installing routes): a full table from one peer is otherwise a million
   * delta objects nobody reads. Default `true`: every call returns its deltas.
   */
  readonly returnDeltas?: boolean;
}

/** Max-prefix accounting of a peer (counted after import policy, as BIRD's `import limit`). */
export interface MaxPrefixConfig {
  /** The limit. */
  readonly limit: number;
  /** `warn`: accept and report; `teardown`: stop accepting and report `exceeded` (the speaker sends Cease/1, RFC 4486). */
  readonly action: "warn" | "teardown";
  /** Report `warn` once the count reaches this (default: the limit). */
  readonly warnAt?: number;
}

/** Options of {@link Rib.startExport}. */
export interface StartExportOptions {
  /**
   * Do not walk the Loc-RIB now: the initial export is taken a piece at a
   * time with {@link Rib.feedExport} (a session's sending side does this, so
   * that sending starts at once). Ignored for ADD-PATH peers and when the
   * peer is exporting already.
   */
  readonly incremental?: boolean;
}

/** A peer as the RIB knows it. */
export interface RibPeerConfig {
  /** Unique id (e.g. the peer address). */
  readonly id: string;
  /** The peer's address. */
  readonly address: string;
  /** The peer's AS; equal to ours means iBGP. */
  readonly asn: number;
  /** Our AS on this session when not the speaker's (BIRD `local as`); decides iBGP/eBGP, the AS prepended and loops. */
  readonly localAs?: number;
  /** The peer's BGP Identifier from its OPEN (default: its address if IPv4, else 0.0.0.0). */
  readonly routerId?: string;
  /** Our address on the session (next hop self). */
  readonly localAddress?: string;
  /** Our IPv6 address for next hop self of IPv6 routes on an IPv4 session. */
  readonly localAddress6?: string;
  /** Our IPv6 link-local address on the session's link (RFC 2545). */
  readonly localLinkLocal?: string;
  /** The peer is not directly connected (eBGP multihop; iBGP is always treated as multihop). */
  readonly multihop?: boolean;
  /** Subnets shared with the peer, e.g. `["192.0.2.0/24"]` (single-hop next-hop checks, third-party next hop). */
  readonly sharedSubnets?: readonly string[];
  /** Outgoing interface of routes learned from this peer (BGPFilter `interface`). */
  readonly interface?: string;
  /** The peer is our route-reflector client (RFC 4456). */
  readonly rrClient?: boolean;
  /** Times our AS may appear in its AS_PATHs (Calico `numAllowedLocalASNumbers`). */
  readonly allowAsIn?: number;
  /** Next-hop mode towards this peer (Calico `nextHopMode`). */
  readonly nextHopMode?: NextHopMode;
  /** 4-octet AS numbers negotiated (RFC 6793); default true. */
  readonly fourOctetAs?: boolean;
  /** ADD-PATH send towards this peer (RFC 7911): every path instead of the best only. */
  readonly addPathSend?: boolean;
  /** Max-prefix accounting. */
  readonly maxPrefix?: MaxPrefixConfig;
  /** Keep the Adj-RIB-In before import policy (for policy changes without route refresh). */
  readonly keepPreImport?: boolean;
  /** Import policy (default: accept all, as Calico's BIRD config). */
  readonly importPolicy?: RoutePolicy;
  /** Export policy (default: accept all). */
  readonly exportPolicy?: RoutePolicy;
  /** IGP cost to this peer's next hops (decision step e); default 0. */
  readonly igpCost?: number;
}

/** A path as reported in a delta (a snapshot: later changes do not alter it). */
export interface PathSnapshot extends Path {}

/** What one prefix's change did to the Loc-RIB. */
export interface RibDelta {
  /** `best`: a new best path (or new attributes/multipath); `withdrawn`: no path left. */
  readonly kind: "best" | "withdrawn";
  /** The prefix key (`ribKey(prefix)`). */
  readonly key: string;
  /** The prefix. */
  readonly prefix: Prefix;
  /** The new best path (kind `best`). */
  readonly best: PathSnapshot | undefined;
  /** The best path before (undefined for a new prefix). */
  readonly previous: PathSnapshot | undefined;
  /** The ECMP set, best first, when the RIB was made with `multipath`. */
  readonly multipath?: readonly PathSnapshot[];
}

/** The result of a single-prefix change. */
export type ChangeKind = RibDelta["kind"] | "unchanged";

/** The result of {@link Rib.announce}. */
export interface AnnounceResult {
  /** Loc-RIB changes. */
  readonly deltas: RibDelta[];
  /** Prefixes whose Loc-RIB best path did not change. */
  readonly unchanged: number;
  /** Set when the attributes made every prefix infeasible (treated as withdrawn, RFC 7606 §2). */
  readonly infeasible?: Infeasible;
  /** Prefixes the import policy rejected. */
  readonly rejected: number;
  /** Max-prefix state after the call, when configured and reached. */
  readonly maxPrefix?: {
    readonly state: "warn" | "exceeded";
    readonly count: number;
    readonly limit: number;
  };
}

/** Listener of Loc-RIB best-path deltas (what a node agent installs in the kernel). */
export type RibListener = (deltas: readonly RibDelta[]) => void;

/** A path of one destination only (with a Path Identifier, or stale). */
class Node implements Path {
  /** Its id in the destination table's registry while it heads a destination, else -1. */
  tableId = -1;
  constructor(
    readonly source: PeerState,
    public attrs: AttrSet,
    readonly pathId: number,
    public stale: boolean,
  ) {}

  /** The destination's paths when this is its only one. */
  get paths(): readonly Member[] {
    return [this];
  }
}

/**
 * The common case — a destination with one fresh path without a Path
 * Identifier — stores no per-prefix object at all: the Map value is a path
 * object shared by every such prefix of the same peer with the same
 * attributes (BIRD shares its `rta` the same way). Immutable; `refs` counts
 * the destinations holding it.
 */
class SharedPath implements Path {
  readonly pathId = 0;
  readonly stale = false;
  refs = 0;
  /** Its id in the destination table's registry while it heads a destination, else -1. */
  tableId = -1;
  /** The destination's paths when this is its only one. */
  readonly paths: readonly Member[] = [this];
  /** A number of its own, for the RIB's cache of steps (see SharedMulti). */
  readonly uid = nextUid++;
  constructor(
    readonly source: PeerState,
    readonly attrs: AttrSet,
  ) {}
}

/**
 * A destination with several paths: the paths in an array, the best first.
 * Each is a shared path where it can be (no Path Identifier, not stale), so
 * that ten peers announcing one prefix cost one array, not ten objects
 * (with a million such paths, objects kept alive are what costs most).
 * Reads as its best path: its fields are copies of the first path's, as
 * plain fields (not getters) because every export of the destination reads
 * them; `settle` after any change to the first path.
 */
class Multi implements Path {
  /** Its id in the destination table's registry, else -1. */
  tableId = -1;
  source: PeerState;
  attrs: AttrSet;
  pathId: number;
  stale: boolean;
  constructor(readonly paths: Member[]) {
    const b = paths[0]!;
    this.source = b.source;
    this.attrs = b.attrs;
    this.pathId = b.pathId;
    this.stale = b.stale;
  }

  /** Copies the (new) best path's fields. */
  settle(): void {
    const b = this.paths[0]!;
    this.source = b.source;
    this.attrs = b.attrs;
    this.pathId = b.pathId;
    this.stale = b.stale;
  }
}

/**
 * A destination's several paths when all are shared paths (fresh, no Path
 * Identifier): immutable, and itself shared by every destination whose
 * paths are the same, in the same order — ten peers announcing the same
 * table leave a handful of these, not one per destination. Reached from a
 * destination's entry (a shared path or another of these) by adding one
 * shared path, or by withdrawing one; the steps taken last are cached
 * (StepCache), decision included, so a run of destinations that change
 * alike costs one decision (as V8's hidden classes share transitions). A
 * destination that must change its paths otherwise takes a {@link Multi}
 * of its own first.
 */
class SharedMulti extends Multi {
  /** A bit per peer it holds a path of (see sourceBit): no bit, no path of that peer. */
  readonly sources: number;
  /** A number of its own, for the RIB's cache of steps. */
  readonly uid = nextUid++;
  constructor(paths: Member[]) {
    super(paths);
    let bits = 0;
    for (let i = 0; i < paths.length; i++) bits |= sourceBit(paths[i]!.source);
    this.sources = bits;
  }
}

/** A shared path or a shared list: what a step goes from or to. */
type SharedEntry = SharedPath | SharedMulti;
let nextUid = 1;

/**
 * The steps between shared entries taken last, in a fixed direct-mapped
 * table (slot = a hash of the two entries' numbers): a run of destinations
 * changing alike finds its step there, and a full table whose lists are
 * all different (two upstreams) costs no memory for steps never taken again.
 */
class StepCache<To extends SharedEntry> {
  readonly #from: (SharedEntry | undefined)[] = new Array(STEP_SLOTS).fill(undefined);
  readonly #member: (SharedPath | undefined)[] = new Array(STEP_SLOTS).fill(undefined);
  readonly #to: (To | undefined)[] = new Array(STEP_SLOTS).fill(undefined);

  get(from: SharedEntry, member: SharedPath): To | undefined {
    const i = stepSlot(from, member);
    return this.#from[i] === from && this.#member[i] === member ? this.#to[i] : undefined;
  }

  set(from: SharedEntry, member: SharedPath, to: To): void {
    const i = stepSlot(from, member);
    this.#from[i] = from;
    this.#member[i] = member;
    this.#to[i] = to;
  }

  /** Forgets every step (the decision changed: a peer's router id). */
  clear(): void {
    this.#from.fill(undefined);
    this.#member.fill(undefined);
    this.#to.fill(undefined);
  }
}

const STEP_SLOTS = 4096;

function stepSlot(from: SharedEntry, member: SharedPath): number {
  return (Math.imul(from.uid, 0x9e3779b1) ^ Math.imul(member.uid, 0x85ebca6b)) >>> 20;
}

/** One of 32 bits for a peer (peers 32 apart share one: a set bit means "maybe"). */
function sourceBit(p: PathSource): number {
  return 1 << (p.index & 31);
}

/** One path of a destination. */
type Member = Node | SharedPath;
/** What the destination table holds per destination. */
type Entry = Member | Multi;

interface PeerState extends PathSource {
  config: RibPeerConfig;
  count: number;
  staleCount: number;
  deadline: number | undefined;
  pre: Map<string, AttrSet> | undefined;
  out: AdjRibOut | undefined;
  /** The shared single-path objects of this peer, by attribute set. */
  shared: Map<AttrSet, SharedPath>;
  /** The last shared path looked up (a cache for runs of one UPDATE). */
  lastShared: SharedPath | undefined;
  /** Export transformation results by post-policy attribute set (see #exportSet). */
  exportCache: Map<AttrSet, { source: PathSource; afi: number; out: AttrSet | null }[]>;
  /** The cache's size at which it is next swept (see #exportSet). */
  exportSweepAt: number;
  /** ADD-PATH send: local path ids advertised per prefix key. */
  outIds: Map<string, number[]> | undefined;
  /** An initial export still being fed from the Loc-RIB (see Rib.feedExport). */
  feed: DestCursor | undefined;
  target: ExportTarget;
  feas: FeasibilityContext;
  /**
   * The attribute set last checked for feasibility and the outcome: `feas`
   * is fixed and a set never changes, so a peer's run of UPDATEs carrying
   * one set (a full table) is checked once.
   */
  feasSet: AttrSet | undefined;
  feasResult: Infeasible | undefined;
  importPolicy: RoutePolicy | undefined;
  exportPolicy: RoutePolicy | undefined;
  /** The export policy rejects every IPv4 (`rejects4`) / IPv6 (`rejects6`) route (see RoutePolicy.rejectsAfi). */
  rejects4: boolean;
  rejects6: boolean;
  view: PolicyPeer;
  exceeded: boolean;
}

/** Thrown on API misuse (unknown peer, duplicate id, bad configuration). */
export class RibError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "RibError";
  }
}

const LOCAL_ID = "local";
/** Destination-table registry ids kept on the path objects themselves. */
const ENTRY_IDS: ValueIds<Entry> = {
  get: (e) => e.tableId,
  set: (e, id) => {
    e.tableId = id;
  },
};
/** Deltas per subscriber call of {@link Rib.dropPeer}. */
const DROP_BATCH = 1024;
/** Distinct attribute sets remembered per export target before the cache starts over. */
const EXPORT_CACHE_LIMIT = 4096;
/** The first size at which an export cache is swept of sets no route uses any more. */
const EXPORT_SWEEP_MIN = 64;

/**
 * The RIB: Adj-RIB-In per peer, Loc-RIB, Adj-RIB-Out per peer, decision
 * process, feasibility, import/export policy, graceful-restart helper
 * bookkeeping, max-prefix accounting. Pure: no I/O, no timers.
 */
export class Rib {
  /** The interned attribute sets shared by every table here. */
  readonly interner: AttrInterner = new Interner();
  readonly #opts: RibOptions;
  readonly #decision: DecisionOptions;
  readonly #ctx: ExportContext;
  readonly #dests = new DestTable<Entry>(1024, { sharedValues: ENTRY_IDS });
  readonly #exporting: PeerState[] = [];
  /** How many of #exporting send with ADD-PATH (have `outIds`): read per path received. */
  #addPathSenders = 0;
  readonly #scratch: Entry[] = [];
  /** References the export caches hold, per key set: a set held by caches only is swept out. */
  readonly #cacheHolds = new Map<AttrSet, number>();
  /** The IPv4 prefix `announceV4` / `withdrawV4` are at (see V4Cursor). */
  readonly #cur = new V4Cursor();
  /**
   * Destinations whose paths are all shared share their path lists
   * (SharedMulti): only when the decision is a function of the paths alone
   * (no `igpCost` callback) and no multipath set is kept.
   */
  readonly #shareSets: boolean;
  /** The last steps between shared lists: adding a path, and withdrawing one (see SharedMulti). */
  readonly #added = new StepCache<SharedMulti>();
  readonly #removed = new StepCache<SharedEntry>();
  /**
   * Set at the start of each `announceV4` / `withdrawV4`: no exporting peer
   * takes IPv4 routes or has any to take back (BIRD's `export none` on
   * every session), so the changes at the cursor skip the export step.
   * Nothing inside one such call can change that.
   */
  #quietV4 = false;
  readonly #peers = new Map<string, PeerState>();
  readonly #local: PeerState;
  readonly #ownAddresses: Uint8Array[];
  readonly #listeners = new Set<RibListener>();
  /** Whether deltas are built: always, unless `returnDeltas: false` and nobody subscribes. */
  #collect: boolean;
  readonly #localIds = new Map<string, number>();
  #nextIndex = 1;

  /** Creates an empty RIB. */
  constructor(opts: RibOptions) {
    if (ipv4ToNumber(opts.routerId) === 0)
      throw new RibError(`routerId must be a dotted quad, got ${JSON.stringify(opts.routerId)}`);
    this.#opts = opts;
    this.#collect = opts.returnDeltas !== false;
    this.#decision = opts.decision ?? {};
    this.#shareSets = !opts.multipath && !this.#decision.igpCost;
    this.#ctx = { localAs: opts.localAs, routerId: opts.routerId, clusterId: opts.clusterId };
    this.#ownAddresses = (opts.ownAddresses ?? []).map((a) => {
      const b = tryParseAddress(a);
      if (!b) throw new RibError(`ownAddresses: not an address: ${JSON.stringify(a)}`);
      return b;
    });
    this.#local = this.#makePeer(
      { id: LOCAL_ID, address: "0.0.0.0", asn: opts.localAs, routerId: opts.routerId },
      "local",
      0,
    );
  }

  // ---------------------------------------------------------------- peers

  /** Registers a peer; its paths can then be announced. Returns its source record. */
  addPeer(config: RibPeerConfig): PathSource {
    if (config.id === LOCAL_ID || this.#peers.has(config.id))
      throw new RibError(`peer id ${JSON.stringify(config.id)} already in use`);
    const kind: SourceKind =
      config.asn === (config.localAs ?? this.#opts.localAs) ? "ibgp" : "ebgp";
    const p = this.#makePeer(config, kind, this.#nextIndex++);
    this.#peers.set(config.id, p);
    return p;
  }

  /**
   * Updates what a (re-)established session negotiated: the peer's BGP
   * Identifier from its OPEN, 4-octet AS, ADD-PATH send. Paths the peer
   * still has (stale, during graceful restart) are re-decided. Returns the
   * deltas that caused.
   */
  setSession(
    id: string,
    session: {
      readonly routerId?: string;
      readonly fourOctetAs?: boolean;
      readonly addPathSend?: boolean;
    },
  ): RibDelta[] {
    const p = this.#peer(id);
    if (p === this.#local) throw new RibError("the local source has no session");
    const m = p as { -readonly [K in keyof PeerState]: PeerState[K] };
    if (session.routerId !== undefined) {
      const n = ipv4ToNumber(session.routerId);
      if (n === 0) throw new RibError(`peer ${id}: routerId must be a dotted quad`);
      m.routerId = n;
      // The steps taken were decided with the old id.
      this.#added.clear();
      this.#removed.clear();
      // Cached export results may carry its old id (ORIGINATOR_ID when reflecting).
      for (const t of this.#exporting) this.#clearExportCache(t);
    }
    if (session.fourOctetAs !== undefined || session.addPathSend !== undefined) {
      m.config = { ...p.config, ...session };
      m.target = { ...p.target, fourOctetAs: session.fourOctetAs ?? p.target.fourOctetAs };
      if (p.out) {
        this.stopExport(id);
        this.startExport(id);
      }
    }
    const deltas: RibDelta[] = [];
    if (session.routerId !== undefined && p.count > 0) {
      for (const prefix of this.#dests.prefixesWhere((h) => h instanceof Multi)) {
        let has = false;
        for (const x of this.#dests.get(prefix)!.paths) if (x.source === p) has = true;
        if (!has) continue;
        const head = this.#dests.get(prefix)!;
        const prevMp = this.#opts.multipath ? this.#mpKeys(head) : undefined;
        this.#reselect(prefix, snap(head), prevMp, deltas);
      }
    }
    this.#emit(deltas);
    return deltas;
  }

  /** The source record of a peer (or `"local"`). */
  peer(id: string): PathSource {
    return this.#peer(id);
  }

  /** Ids of the registered peers. */
  peerIds(): string[] {
    return [...this.#peers.keys()];
  }

  /** Removes a peer: withdraws all its paths and forgets its tables. */
  removePeer(id: string): RibDelta[] {
    if (this.#peer(id) === this.#local) throw new RibError("the local source cannot be removed");
    const deltas = this.flushPeer(id);
    this.stopExport(id);
    this.#peers.delete(id);
    return deltas;
  }

  /** Whether a peer has a path (fresh or stale) to `prefix` (with its Path Identifier under ADD-PATH). */
  hasPath(id: string, prefix: Prefix): boolean {
    const p = this.#peer(id);
    const pathId = prefix.pathId ?? 0;
    const head = this.#dests.get(prefix);
    if (head) for (const x of head.paths) if (x.source === p && x.pathId === pathId) return true;
    return false;
  }

  /** Number of paths a peer has in the Loc-RIB (after import policy; what max-prefix counts). */
  pathCount(id: string): number {
    return this.#peer(id).count;
  }

  // --------------------------------------------------------------- import

  /**
   * A peer announced `prefixes` with one set of attributes (one UPDATE, or
   * one MP_REACH_NLRI). Checks feasibility once, applies the import policy
   * per prefix, runs the decision process and returns the Loc-RIB deltas.
   * Prefixes carry their ADD-PATH Path Identifier in `pathId` when used.
   */
  announce(peerId: string, prefixes: readonly Prefix[], init: AttrSetInit): AnnounceResult {
    return this.#announce(peerId, prefixes, undefined, init);
  }

  /**
   * {@link Rib.announce} of IPv4 unicast prefixes given as numbers (an
   * `Ipv4Nlri` from the wire decoder, no Path Identifiers): the same result
   * and deltas, without a prefix object per prefix on the way in (a delta's
   * prefix object is made when read). The fast path of `applyUpdate`.
   */
  announceV4(peerId: string, nlri: Ipv4Nlri, init: AttrSetInit): AnnounceResult {
    return this.#announce(peerId, undefined, nlri, init);
  }

  #announce(
    peerId: string,
    prefixes: readonly Prefix[] | undefined,
    v4: Ipv4Nlri | undefined,
    init: AttrSetInit,
  ): AnnounceResult {
    const p = this.#peer(peerId);
    if (p === this.#local)
      throw new RibError('use originate() for local routes, not announce("local")');
    const received = as4Normalized(init, p.target.fourOctetAs);
    const raw = this.interner.intern(
      p.config.interface !== undefined && received.interface === undefined
        ? { ...received, interface: p.config.interface }
        : received,
    );
    const deltas: RibDelta[] = [];
    let unchanged = 0;
    let rejected = 0;
    if (p.feasSet !== raw) {
      p.feasResult = checkFeasible(raw, p.feas);
      p.feasSet = raw;
    }
    const infeasible = p.feasResult;
    let maxState: "warn" | "exceeded" | undefined;
    const mods = new Map<RouteModification, AttrSet>();
    const cur = this.#cur;
    if (v4) this.#quietV4 = this.#noV4Export();
    const count = v4 ? v4.length >> 1 : prefixes!.length;
    if (v4 && !p.pre && !p.importPolicy && !infeasible && this.#shareSets) {
      // The common case of a full table (no Adj-RIB-In kept before policy, no
      // import policy, no Path Identifiers): straight from the numbers.
      unchanged = this.#insertAllV4(p, v4, raw, deltas);
      if (count > 0 && p.exceeded) maxState = "exceeded";
    } else {
      for (let i = 0; i < count; i++) {
        const prefix = this.#nth(prefixes, v4, i);
        const pathId = prefix.pathId ?? 0;
        if (p.pre)
          this.#setPre(p.pre, withPathId(ribKey(prefix), pathId), infeasible ? undefined : raw);
        let attrs: AttrSet | undefined = infeasible ? undefined : raw;
        if (attrs && p.importPolicy) {
          const v = p.importPolicy(
            {
              prefix: prefix === cur ? cur.frozen() : prefix,
              attrs: raw,
              sourceKind: p.kind,
              ...(raw.interface !== undefined ? { interface: raw.interface } : {}),
            },
            p.view,
          );
          if (!v.accept) {
            attrs = undefined;
            rejected++;
          } else if (v.modify) {
            let m = mods.get(v.modify);
            if (!m) {
              m = this.interner.intern(applyModification(raw, v.modify));
              mods.set(v.modify, m);
            }
            attrs = m;
          }
        }
        let kind: ChangeKind;
        if (attrs) {
          const r = this.#insert(p, prefix, pathId, attrs, deltas);
          kind = r;
          if (p.exceeded) maxState = "exceeded";
        } else kind = this.#remove(p, prefix, pathId, deltas);
        if (kind === "unchanged") unchanged++;
      }
    }
    for (const m of mods.values()) this.interner.release(m);
    this.interner.release(raw);
    const mp = p.config.maxPrefix;
    if (mp && !maxState && p.count >= (mp.warnAt ?? mp.limit))
      maxState = p.count > mp.limit && mp.action === "teardown" ? "exceeded" : "warn";
    this.#emit(deltas);
    return {
      deltas,
      unchanged,
      rejected,
      ...(infeasible ? { infeasible } : {}),
      ...(mp && maxState
        ? { maxPrefix: { state: maxState, count: p.count, limit: mp.limit } }
        : {}),
    };
  }

  /** Prefix `i` of an announce/withdraw: the object, or the cursor re-pointed at entry `i` of the numbers. */
  #nth(prefixes: readonly Prefix[] | undefined, v4: Ipv4Nlri | undefined, i: number): Prefix {
    if (!v4) return prefixes![i]!;
    this.#cur.set(v4[2 * i]!, v4[2 * i + 1]!);
    return this.#cur;
  }

  /** A peer withdrew `prefixes` (with their Path Identifiers under ADD-PATH). */
  withdraw(peerId: string, prefixes: readonly Prefix[]): RibDelta[] {
    return this.#withdraw(peerId, prefixes, undefined);
  }

  /**
   * {@link Rib.withdraw} of IPv4 unicast prefixes given as numbers (an
   * `Ipv4Nlri`, no Path Identifiers). The fast path of `applyUpdate`.
   */
  withdrawV4(peerId: string, v4: Ipv4Nlri): RibDelta[] {
    return this.#withdraw(peerId, undefined, v4);
  }

  #withdraw(
    peerId: string,
    prefixes: readonly Prefix[] | undefined,
    v4: Ipv4Nlri | undefined,
  ): RibDelta[] {
    const p = this.#peer(peerId);
    const deltas: RibDelta[] = [];
    if (v4) this.#quietV4 = this.#noV4Export();
    const count = v4 ? v4.length >> 1 : prefixes!.length;
    for (let i = 0; i < count; i++) {
      const prefix = this.#nth(prefixes, v4, i);
      const pathId = prefix.pathId ?? 0;
      if (p.pre) this.#setPre(p.pre, withPathId(ribKey(prefix), pathId), undefined);
      this.#remove(p, prefix, pathId, deltas);
    }
    this.#emit(deltas);
    return deltas;
  }

  /** Originates `prefixes` locally with the given attributes (any AS_PATH, communities, MED, raw attributes). */
  originate(prefixes: readonly Prefix[], init: AttrSetInit): RibDelta[] {
    const attrs = this.interner.intern(init);
    const deltas: RibDelta[] = [];
    for (const prefix of prefixes)
      this.#insert(this.#local, prefix, prefix.pathId ?? 0, attrs, deltas);
    this.interner.release(attrs);
    this.#emit(deltas);
    return deltas;
  }

  /** Stops originating `prefixes`. */
  unoriginate(prefixes: readonly Prefix[]): RibDelta[] {
    const deltas: RibDelta[] = [];
    for (const prefix of prefixes) this.#remove(this.#local, prefix, prefix.pathId ?? 0, deltas);
    this.#emit(deltas);
    return deltas;
  }

  /** Withdraws every path of a peer (session down without graceful restart). */
  flushPeer(peerId: string): RibDelta[] {
    return this.#sweep(this.#peer(peerId), false);
  }

  /**
   * Withdraws every path of a peer, as {@link Rib.flushPeer} (RFC 4271
   * §8.2.2: the session ended), but hands the Loc-RIB deltas to subscribers
   * only, in batches of 1,024 deltas, and returns the removed (prefix,
   * Path Identifier) pairs in compact form instead of the deltas: a full
   * table's million deltas and prefix objects are never held at once.
   */
  dropPeer(peerId: string): PathList {
    const p = this.#peer(peerId);
    const gone = new PathListBuilder();
    if (p.count > 0) {
      this.#dests.scan(
        (addr, length, head) => {
          for (const x of head.paths) if (x.source === p) gone.addV4(addr, length, x.pathId);
        },
        (prefix, head) => {
          for (const x of head.paths) if (x.source === p) gone.addOther(prefix, x.pathId);
        },
      );
    }
    let deltas: RibDelta[] = [];
    for (let i = 0; i < gone.length; i++) {
      const q = gone.prefix(i);
      this.#remove(p, bare(q), q.pathId ?? 0, deltas);
      if (deltas.length >= DROP_BATCH) {
        this.#emit(deltas);
        deltas = [];
      }
    }
    if (p.pre) {
      for (const a of p.pre.values()) this.interner.release(a);
      p.pre.clear();
    }
    p.exceeded = false;
    this.#emit(deltas);
    return gone;
  }

  // ------------------------------------------------------ graceful restart

  /**
   * The peer's session went down and it had advertised Graceful Restart
   * (RFC 4724 §4.2): keep its paths, marked stale, until `now + restartTime`
   * seconds (then {@link Rib.expireStale} removes them) or its End-of-RIB.
   * Returns the number of paths marked.
   */
  markStale(peerId: string, now: number, restartTimeSeconds: number): number {
    const p = this.#peer(peerId);
    let n = 0;
    this.#dests.mapValues((head) => {
      if (head instanceof SharedPath) {
        if (head.source !== p) return head;
        n++;
        return this.#toNode(head, true);
      }
      if (head instanceof Node) {
        if (head.source === p && !head.stale) {
          head.stale = true;
          n++;
        }
        return head;
      }
      let m = head as Multi;
      if (m instanceof SharedMulti) {
        // Shared by other destinations: this one changes a copy of its own.
        if (!m.paths.some((x) => x.source === p)) return m;
        m = new Multi(m.paths.slice());
      }
      const list = m.paths;
      for (let i = 0; i < list.length; i++) {
        const x = list[i]!;
        if (x.source !== p || x.stale) continue;
        if (x instanceof SharedPath) list[i] = this.#toNode(x, true);
        else x.stale = true;
        n++;
      }
      m.settle();
      return m;
    });
    p.staleCount += n;
    p.deadline = now + restartTimeSeconds * 1000;
    return n;
  }

  /** Number of stale paths a peer has. */
  staleCount(peerId: string): number {
    return this.#peer(peerId).staleCount;
  }

  /**
   * End-of-RIB from a restarting peer (RFC 4724 §4.2) for one AFI (unicast),
   * or for every family when `afi` is omitted: its paths of that family
   * still stale are removed. The deadline ends once no stale path is left.
   */
  endOfRib(peerId: string, afi?: number): RibDelta[] {
    const p = this.#peer(peerId);
    const deltas = p.staleCount > 0 ? this.#sweep(p, true, afi) : [];
    if (p.staleCount === 0) p.deadline = undefined;
    return deltas;
  }

  /**
   * Removes the stale paths of every peer (or of `peerId` only) whose
   * deadline is at or before `now` (ms): the restart time ran out
   * (RFC 4724 §4.2), or the time allowed for its End-of-RIB.
   */
  expireStale(now: number, peerId?: string): RibDelta[] {
    const out: RibDelta[] = [];
    for (const p of peerId === undefined ? this.#peers.values() : [this.#peer(peerId)]) {
      if (p.deadline !== undefined && p.deadline <= now) {
        p.deadline = undefined;
        out.push(...this.#sweep(p, true));
      }
    }
    return out;
  }

  /** The earliest pending stale deadline (ms) of every peer, or of `peerId`, for the speaker's timer. */
  nextDeadline(peerId?: string): number | undefined {
    let d: number | undefined;
    for (const p of peerId === undefined ? this.#peers.values() : [this.#peer(peerId)])
      if (p.deadline !== undefined && (d === undefined || p.deadline < d)) d = p.deadline;
    return d;
  }

  // ---------------------------------------------------------------- query

  /** Number of destinations (prefixes) in the Loc-RIB. */
  get size(): number {
    return this.#dests.size;
  }

  /** The best path to a prefix. */
  best(prefix: Prefix): PathSnapshot | undefined {
    const head = this.#dests.get(prefix);
    return head ? snap(head) : undefined;
  }

  /** Every path to a prefix, the best first. */
  paths(prefix: Prefix): PathSnapshot[] {
    const out: PathSnapshot[] = [];
    const head = this.#dests.get(prefix);
    if (head) for (const x of head.paths) out.push(snap(x));
    return out;
  }

  /** The decision over a prefix's paths, with the reason each loser lost. */
  explain(prefix: Prefix): Decision {
    // Snapshots, so the caller never holds the RIB's own mutable nodes.
    const list: Path[] = [];
    const head = this.#dests.get(prefix);
    if (head) for (const x of head.paths) list.push(snap(x));
    return decide(list, this.#decision);
  }

  /** The ECMP set of a prefix (best first). */
  multipath(prefix: Prefix): PathSnapshot[] {
    return this.explain(prefix).multipath.map(snap);
  }

  /**
   * Walks the Loc-RIB: every best path (`bestOnly`, default) or every path,
   * optionally only those from one peer (its Adj-RIB-In after import policy).
   */
  *routes(
    opts: { readonly peer?: string; readonly bestOnly?: boolean } = {},
  ): IterableIterator<{ prefix: Prefix; path: PathSnapshot }> {
    const only = opts.peer === undefined ? undefined : this.#peer(opts.peer);
    const bestOnly = opts.bestOnly ?? only === undefined;
    for (const [prefix, head] of this.#dests.entries()) {
      const list = head.paths;
      for (let i = 0; i < (bestOnly ? 1 : list.length); i++) {
        const x = list[i]!;
        if (only === undefined || x.source === only)
          yield { prefix: withId(prefix, x.pathId), path: snap(x) };
      }
    }
  }

  /** A peer's Adj-RIB-In before import policy (only with `keepPreImport`). */
  *preImport(peerId: string): IterableIterator<{ prefix: Prefix; attrs: AttrSet }> {
    const p = this.#peer(peerId);
    if (!p.pre)
      throw new RibError(
        `peer ${peerId} does not keep its Adj-RIB-In before import policy (keepPreImport)`,
      );
    for (const [k, attrs] of p.pre) {
      const q = prefixFromKey(k);
      yield {
        prefix: withId({ afi: q.afi, length: q.length, bytes: q.bytes }, q.pathId ?? 0),
        attrs,
      };
    }
  }

  /** Subscribes to best-path deltas; returns the unsubscribe function. */
  subscribe(listener: RibListener): () => void {
    this.#listeners.add(listener);
    this.#collect = true;
    return () => {
      const had = this.#listeners.delete(listener);
      this.#collect = this.#opts.returnDeltas !== false || this.#listeners.size > 0;
      return had;
    };
  }

  // --------------------------------------------------------------- policy

  /**
   * Replaces a peer's import policy and re-evaluates its Adj-RIB-In before
   * policy (route refresh without asking the peer). Without `keepPreImport`
   * the policy applies to later announcements only and `needsRefresh` says
   * the speaker should send a ROUTE-REFRESH (RFC 2918) to the peer.
   */
  setImportPolicy(
    peerId: string,
    policy: RoutePolicy | undefined,
  ): { deltas: RibDelta[]; needsRefresh: boolean } {
    const p = this.#peer(peerId);
    p.importPolicy = policy;
    if (!p.pre) return { deltas: [], needsRefresh: true };
    const deltas: RibDelta[] = [];
    const entries = [...p.pre];
    for (const [k, raw] of entries) {
      const prefix = prefixFromKey(k);
      const pathId = prefix.pathId ?? 0;
      const bare: Prefix = { afi: prefix.afi, length: prefix.length, bytes: prefix.bytes };
      const v = policy
        ? policy(
            {
              prefix: withId(bare, pathId),
              attrs: raw,
              sourceKind: p.kind,
              ...(raw.interface !== undefined ? { interface: raw.interface } : {}),
            },
            p.view,
          )
        : { accept: true as const };
      if (!v.accept) this.#remove(p, bare, pathId, deltas);
      else {
        const attrs = v.modify ? this.interner.intern(applyModification(raw, v.modify)) : raw;
        if (!v.modify) this.interner.retain(raw);
        this.#insert(p, bare, pathId, attrs, deltas);
        this.interner.release(attrs);
      }
    }
    this.#emit(deltas);
    return { deltas, needsRefresh: false };
  }

  /** Replaces a peer's export policy; its Adj-RIB-Out then holds only the difference to send. */
  setExportPolicy(peerId: string, policy: RoutePolicy | undefined): void {
    const p = this.#peer(peerId);
    this.#quietV4 = false; // (an import policy calling back into the RIB mid-UPDATE)
    p.exportPolicy = policy;
    p.rejects4 = rejectsFamily(policy, 1);
    p.rejects6 = rejectsFamily(policy, 2);
    this.#clearExportCache(p);
    if (p.out) this.#refreshExport(p);
  }

  // --------------------------------------------------------------- export

  /**
   * Starts exporting to a peer (its session is Established): fills its
   * Adj-RIB-Out with the whole Loc-RIB as pending changes. From then on every
   * Loc-RIB change is exported to it. Returns its Adj-RIB-Out.
   */
  startExport(peerId: string, opts: StartExportOptions = {}): AdjRibOut {
    const p = this.#peer(peerId);
    if (p === this.#local) throw new RibError("cannot export to the local source");
    this.#quietV4 = false;
    if (!p.out) {
      // Sized for the whole Loc-RIB up front: a full table is not rehashed on the way.
      p.out = new AdjRibOut(this.interner, this.#dests.size);
      if (p.config.addPathSend) {
        p.outIds = new Map();
        this.#addPathSenders++;
      }
      this.#exporting.push(p);
      if (opts.incremental && !p.outIds) {
        // Fed a piece at a time as the session sends (feedExport), so that
        // the first UPDATE leaves at once rather than after a walk of the
        // whole Loc-RIB, and no route of it is queued twice.
        p.feed = this.#dests.openCursor();
        return p.out;
      }
    }
    this.#refreshExport(p);
    return p.out;
  }

  /** Whether a peer's initial export is still being fed (see {@link Rib.feedExport}). */
  exportFeeding(peerId: string): boolean {
    return this.#peer(peerId).feed !== undefined;
  }

  /**
   * The next piece of an incremental initial export (`startExport(id, {
   * incremental: true })`, RFC 4271 §9.4 — the whole Loc-RIB, once): up to
   * `max` destinations are walked through the export policy. IPv4 routes the
   * peer has no state for yet are returned, already recorded as advertised
   * in its Adj-RIB-Out — the caller sends them now, before anything taken
   * later; every other route (another family, or changed since the export
   * started) is queued in the Adj-RIB-Out as a change. Returns undefined once
   * the walk is complete. Changes to the Loc-RIB in between are exported as
   * usual; a destination visited again is not sent again.
   */
  feedExport(peerId: string, max: number): PackedBatch | undefined {
    const t = this.#peer(peerId);
    const cursor = t.feed;
    const out = t.out;
    if (!cursor || !out) return undefined;
    const announce4: { attrs: AttrSet; v4: number[] }[] = [];
    const interner = this.interner;
    const byPrefix = t.exportPolicy !== undefined;
    // Consecutive destinations whose best path has the same source and
    // attributes are exported alike (without a policy): one export decision
    // and one Adj-RIB-Out call for the run, not one per destination.
    let lastSource: PathSource | undefined;
    let lastAttrs: AttrSet | undefined;
    /** The export of the run (one reference held here), null: not exported. */
    let result: AttrSet | null = null;
    let run: number[] = [];
    const endRun = () => {
      const a = result;
      if (!a || run.length === 0) return;
      const n = out.adoptRunV4(run, run.length, a);
      if (n === 0) return;
      run.length = n;
      const g = announce4.find((x) => x.attrs === a);
      if (g) for (const v of run) g.v4.push(v);
      else announce4.push({ attrs: a, v4: run });
      run = [];
    };
    // IPv4 rejected outright (BIRD's `export none`): not walked at all.
    if (t.rejects4) this.#dests.skipV4(cursor);
    const done = this.#dests.walk(
      cursor,
      max,
      (addr, length, head) => {
        if (byPrefix || head.source !== lastSource || head.attrs !== lastAttrs) {
          const a = this.#exportSet(head.source, head.attrs, v4prefix(addr, length), t);
          lastSource = head.source;
          lastAttrs = head.attrs;
          if (a === result) {
            if (a) interner.release(a);
          } else {
            endRun();
            run.length = 0;
            if (result) interner.release(result);
            result = a;
          }
        }
        if (result) run.push(addr * 64 + length);
      },
      (prefix, head) => {
        this.#exportKeyTo(t, prefix, head);
      },
    );
    endRun();
    if (result) interner.release(result);
    if (done) t.feed = undefined;
    return { announce4, withdraw4: [], rest: { announce: [], withdraw: [] } };
  }

  /** Stops exporting to a peer (session down) and forgets its Adj-RIB-Out. */
  stopExport(peerId: string): void {
    const p = this.#peer(peerId);
    this.#closeFeed(p);
    p.out?.clear();
    p.out = undefined;
    this.#clearExportCache(p);
    const i = this.#exporting.indexOf(p);
    if (i >= 0) {
      this.#exporting.splice(i, 1);
      if (p.outIds) this.#addPathSenders--;
    }
    p.outIds = undefined;
  }

  /**
   * Ids of the exporting peers with changes waiting in their Adj-RIB-Out: the
   * speaker's cue to schedule a flush (take, pack, write) for each, after a
   * burst of announce/withdraw calls rather than after every one.
   */
  pendingPeers(): string[] {
    const out: string[] = [];
    for (const p of this.#exporting)
      if (p.out && (p.out.pendingCount > 0 || p.feed)) out.push(p.id);
    return out;
  }

  /** A peer's Adj-RIB-Out, if exporting. */
  adjRibOut(peerId: string): AdjRibOut | undefined {
    return this.#peer(peerId).out;
  }

  /**
   * Why a path would not be exported to a peer, or the attributes it would
   * carry: the export decision for one path, for diagnostics and tests.
   */
  exportPreview(
    path: Path,
    prefix: Prefix,
    peerId: string,
  ): { skip: ExportSkip } | { attrs: AttrSetInit } {
    const t = this.#peer(peerId);
    const r = this.#exportOne(path.source as PeerState, path.attrs, prefix, t);
    if ("skip" in r) return r;
    const init = { attrs: r.init };
    return init;
  }

  // ------------------------------------------------------------ internals

  #peer(id: string): PeerState {
    if (id === LOCAL_ID) return this.#local;
    const p = this.#peers.get(id);
    if (!p) throw new RibError(`unknown peer ${JSON.stringify(id)}`);
    return p;
  }

  #makePeer(config: RibPeerConfig, kind: SourceKind, index: number): PeerState {
    const addressBytes = tryParseAddress(config.address);
    if (!addressBytes)
      throw new RibError(
        `peer ${config.id}: address ${JSON.stringify(config.address)} is not an IP address`,
      );
    const routerIdText =
      config.routerId ?? (addressBytes.length === 4 ? config.address : "0.0.0.0");
    const subnets: Subnet[] = [];
    for (const s of config.sharedSubnets ?? []) {
      try {
        subnets.push(parseSubnet(s));
      } catch {
        throw new RibError(`peer ${config.id}: sharedSubnets: not a subnet: ${JSON.stringify(s)}`);
      }
    }
    const own = [...this.#ownAddresses];
    for (const a of [config.localAddress, config.localAddress6, config.localLinkLocal]) {
      const b = a === undefined ? undefined : tryParseAddress(a);
      if (a !== undefined && !b)
        throw new RibError(`peer ${config.id}: not an address: ${JSON.stringify(a)}`);
      if (b) own.push(b);
    }
    const allowAsIn = config.allowAsIn ?? 0;
    if (!Number.isInteger(allowAsIn) || allowAsIn < 0)
      throw new RibError(`peer ${config.id}: allowAsIn must be a non-negative integer`);
    const p = {
      id: config.id,
      index,
      kind,
      asn: config.asn,
      address: config.address,
      addressBytes,
      routerId: ipv4ToNumber(routerIdText),
      rrClient: config.rrClient ?? false,
      igpCost: config.igpCost ?? 0,
      config,
      count: 0,
      staleCount: 0,
      deadline: undefined,
      pre: config.keepPreImport ? new Map<string, AttrSet>() : undefined,
      shared: new Map<AttrSet, SharedPath>(),
      exportCache: new Map(),
      exportSweepAt: EXPORT_SWEEP_MIN,
      lastShared: undefined,
      feasSet: undefined,
      feasResult: undefined,
      out: undefined,
      outIds: undefined,
      feed: undefined,
      importPolicy: config.importPolicy,
      exportPolicy: config.exportPolicy,
      rejects4: rejectsFamily(config.exportPolicy, 1),
      rejects6: rejectsFamily(config.exportPolicy, 2),
      view: {
        id: config.id,
        kind: kind === "local" ? "ibgp" : kind,
        asn: config.asn,
        address: config.address,
      },
      exceeded: false,
    } as unknown as PeerState;
    p.target = {
      source: p,
      ...(config.localAs !== undefined ? { localAs: config.localAs } : {}),
      fourOctetAs: config.fourOctetAs ?? true,
      nextHopMode: config.nextHopMode ?? "auto",
      localAddress: config.localAddress,
      localAddress6: config.localAddress6,
      localLinkLocal: config.localLinkLocal,
      sharedSubnets: subnets,
    };
    p.feas = {
      localAs: config.localAs ?? this.#opts.localAs,
      routerId: this.#opts.routerId,
      clusterId: this.#opts.clusterId ?? this.#opts.routerId,
      ownAddresses: own,
      kind,
      allowAsIn,
      multihop: kind === "ibgp" || (config.multihop ?? false),
      sharedSubnets: subnets,
    };
    return p;
  }

  /**
   * The Adj-RIB-In before import policy: `key` now holds `attrs` (undefined:
   * nothing), the interned sets' references counted.
   */
  #setPre(pre: Map<string, AttrSet>, key: string, attrs: AttrSet | undefined): void {
    const old = pre.get(key);
    if (old === attrs) return;
    if (attrs) {
      this.interner.retain(attrs);
      pre.set(key, attrs);
    } else pre.delete(key);
    if (old) this.interner.release(old);
  }

  #sharedPath(p: PeerState, attrs: AttrSet): SharedPath {
    // Prefixes of one UPDATE share their attributes: remember the last one looked up.
    let sp =
      p.lastShared !== undefined && p.lastShared.attrs === attrs && p.lastShared.refs > 0
        ? p.lastShared
        : p.shared.get(attrs);
    if (!sp) {
      sp = new SharedPath(p, attrs);
      this.interner.retain(attrs);
      p.shared.set(attrs, sp);
    }
    p.lastShared = sp;
    sp.refs++;
    return sp;
  }

  #unshare(sp: SharedPath): void {
    if (--sp.refs === 0) {
      sp.source.shared.delete(sp.attrs);
      this.interner.release(sp.attrs);
    }
  }

  #toNode(sp: SharedPath, stale: boolean): Node {
    this.interner.retain(sp.attrs);
    this.#unshare(sp);
    return new Node(sp.source, sp.attrs, 0, stale);
  }

  #delta(
    kind: RibDelta["kind"],
    prefix: Prefix,
    best: Entry | undefined,
    previous: PathSnapshot | undefined,
  ): RibDelta {
    const cur = this.#cur;
    const isCur = prefix === cur;
    return new Delta(
      kind,
      isCur ? undefined : bare(prefix),
      isCur ? cur.addr : 0,
      isCur ? cur.length : 0,
      best === undefined ? undefined : snap(best),
      previous,
      this.#opts.multipath && best ? this.#multipathOf(best) : undefined,
    );
  }

  /** Inserts every prefix of `v4` with `attrs` ({@link Rib.#insertV4}); returns how many changed nothing. */
  #insertAllV4(p: PeerState, v4: Ipv4Nlri, attrs: AttrSet, deltas: RibDelta[]): number {
    let unchanged = 0;
    const count = v4.length >> 1;
    for (let i = 0; i < count; i++)
      if (this.#insertV4(p, v4[2 * i]!, v4[2 * i + 1]!, attrs, deltas) === "unchanged") unchanged++;
    return unchanged;
  }

  /**
   * {@link Rib.#insert} of the IPv4 prefix `addr`/`length` without a Path
   * Identifier, while destinations share their path lists: a new
   * destination, or a new peer's path at a shared destination, without the
   * cursor (one table lookup, the store at the slot it found); anything
   * else through `#insert`.
   */
  #insertV4(
    p: PeerState,
    addr: number,
    length: number,
    attrs: AttrSet,
    deltas: RibDelta[],
  ): ChangeKind {
    const dests = this.#dests;
    const cur = this.#cur;
    const head = dests.getV4(addr, length);
    if (head === undefined) {
      if (this.#atLimit(p)) return "unchanged";
      p.count++;
      const sp = this.#sharedPath(p, attrs);
      dests.setV4(addr, length, sp);
      cur.set(addr, length);
      return this.#newBest(cur, sp, undefined, deltas);
    }
    if (
      head instanceof SharedMulti
        ? (head.sources & sourceBit(p)) === 0
        : head instanceof SharedPath && head.source !== p
    ) {
      if (p.config.maxPrefix !== undefined && this.#atLimit(p)) return "unchanged";
      p.count++;
      const prev = head.paths[0] as SharedPath;
      const next = this.#addShared(head as SharedPath | SharedMulti, this.#sharedPath(p, attrs));
      dests.setV4(addr, length, next);
      cur.set(addr, length);
      if (next.paths[0] === prev) {
        if (this.#addPathExporters()) this.#exportKey(cur, next);
        return "unchanged";
      }
      return this.#newBest(cur, next, prev, deltas);
    }
    cur.set(addr, length);
    return this.#insert(p, cur, 0, attrs, deltas);
  }

  /** Inserts or replaces the path of (p, pathId) at `key`; takes its own reference of `attrs`. */
  #insert(
    p: PeerState,
    prefix: Prefix,
    pathId: number,
    attrs: AttrSet,
    deltas: RibDelta[],
  ): ChangeKind {
    const head = this.#dests.get(prefix);
    if (!head) {
      if (this.#atLimit(p)) return "unchanged";
      p.count++;
      const entry: Entry = pathId === 0 ? this.#sharedPath(p, attrs) : this.#node(p, attrs, pathId);
      this.#dests.set(prefix, entry);
      return this.#newBest(prefix, entry, undefined, deltas);
    }
    const list = head.paths;
    let at = -1;
    // (a shared list knows which peers it may hold: most lookups need no scan)
    if (!(head instanceof SharedMulti) || (head.sources & sourceBit(p)) !== 0) {
      for (let i = 0; i < list.length; i++) {
        const x = list[i]!;
        if (x.source === p && x.pathId === pathId) {
          at = i;
          break;
        }
      }
    }
    if (at >= 0) {
      const found = list[at]!;
      const wasStale = found.stale;
      if (wasStale) {
        (found as Node).stale = false;
        p.staleCount--;
      }
      if (found.attrs === attrs) {
        if (found === head && head instanceof Node) this.#compact(prefix);
        else if (head instanceof Multi) {
          head.settle();
          // A path back from stale (graceful restart): the list may be shareable again.
          if (wasStale) this.#reshare(prefix, head);
        }
        return "unchanged";
      }
      if (found === head && found instanceof SharedPath) {
        // The sole path of this destination: swap in the shared path of the new attributes.
        const next = this.#sharedPath(p, attrs);
        this.#unshare(found);
        this.#dests.set(prefix, next);
        return this.#newBest(prefix, next, found, deltas);
      }
      const prevSnap = snap(list[0]!);
      if (head instanceof SharedMulti) {
        // All shared: one step without the old path, one with the new (the
        // best comes out as a private list's would; the others' order may
        // differ, which nothing reads).
        const sp = this.#sharedPath(p, attrs);
        const next = this.#addShared(this.#removeShared(head, found as SharedPath), sp);
        this.#unshare(found as SharedPath);
        return this.#putShared(prefix, next, list[0]!, prevSnap, deltas);
      }
      const prevMp = this.#opts.multipath ? this.#mpKeys(head) : undefined;
      if (found instanceof SharedPath) {
        // One of several paths: it takes the shared path of its new attributes.
        (list as Member[])[at] = this.#sharedPath(p, attrs);
        this.#unshare(found);
      } else {
        this.interner.retain(attrs);
        this.interner.release(found.attrs);
        found.attrs = attrs;
      }
      return this.#reselect(prefix, prevSnap, prevMp, deltas);
    }
    if (p.config.maxPrefix !== undefined && this.#atLimit(p)) return "unchanged";
    p.count++;
    if (
      pathId === 0 &&
      this.#shareSets &&
      (head instanceof SharedPath || head instanceof SharedMulti)
    ) {
      // All shared: the destination takes the shared list one path longer.
      const prev = list[0] as SharedPath; // (a shared path is its own snapshot)
      const next = this.#addShared(head, this.#sharedPath(p, attrs));
      return this.#putShared(prefix, next, prev, prev, deltas);
    }
    // The previous best's fields are not touched below (only its place), so
    // its snapshot can be taken when a delta needs it.
    const prevMp = this.#opts.multipath ? this.#mpKeys(head) : undefined;
    const prevBest = list[0]!;
    const member: Member = pathId === 0 ? this.#sharedPath(p, attrs) : this.#node(p, attrs, pathId);
    let m: Multi;
    if (head instanceof SharedMulti) {
      m = this.#private(prefix, head);
      m.paths.push(member);
      const ps = m.paths;
      for (let i = ps.length - 1; i > 1; i--) ps[i] = ps[i - 1]!;
      ps[1] = member;
    } else if (head instanceof Multi) {
      m = head;
      // The newcomer goes second (splice(1, 0, member) without its garbage).
      const ps = m.paths;
      let i = ps.length;
      ps.push(member);
      for (; i > 1; i--) ps[i] = ps[i - 1]!;
      ps[1] = member;
    } else {
      m = new Multi([head, member]);
      this.#dests.set(prefix, m);
    }
    if (!this.#opts.multipath) {
      const c = this.#newPathOrder(m.paths, member);
      if (c > 0) {
        // The newcomer loses to the best already: nothing changes for the Loc-RIB.
        if (this.#addPathExporters()) this.#exportKey(bare(prefix), m);
        return "unchanged";
      }
      if (c < 0) {
        m.paths[1] = prevBest;
        m.paths[0] = member;
        m.settle();
        return this.#newBest(prefix, m, snap(prevBest), deltas);
      }
    }
    return this.#reselect(prefix, snap(prevBest), prevMp, deltas);
  }

  /**
   * How a new path `n` compares with the current best `list[0]` when that
   * alone decides (negative: `n` is the new best; positive: the best stays),
   * or 0 when the whole process must run. Exact, because the steps before
   * MED and after MED are total orders, and MED only compares paths from
   * the same neighbour AS: if no other path tied with `n` before MED shares
   * its neighbour AS, `n` neither removes nor is removed by the MED step.
   */
  #newPathOrder(list: readonly Member[], n: Member): number {
    const o = this.#decision;
    const h = list[0]!;
    const pre = comparePreMed(n, h, o);
    if (pre !== 0) return pre;
    if (o.alwaysCompareMed) {
      const m = medOf(n, o) - medOf(h, o);
      return m !== 0 ? m : comparePostMed(n, h, o) || 0;
    }
    const asn = n.attrs.neighborAs;
    for (let i = 0; i < list.length; i++) {
      const x = list[i]!;
      if (x !== n && x.attrs.neighborAs === asn && comparePreMed(x, n, o) === 0) return 0;
    }
    return comparePostMed(n, h, o);
  }

  /** A new best at `prefix`: its delta, and the change offered for export. */
  #newBest(
    prefix: Prefix,
    head: Entry,
    previous: PathSnapshot | undefined,
    deltas: RibDelta[],
  ): "best" {
    return this.#changed("best", prefix, head, previous, deltas);
  }

  /**
   * A change of the best at `prefix` (`head` undefined: none left): its
   * delta while deltas are built (see `returnDeltas`), and the change
   * offered for export.
   */
  #changed<K extends RibDelta["kind"]>(
    kind: K,
    prefix: Prefix,
    head: Entry | undefined,
    previous: PathSnapshot | undefined,
    deltas: RibDelta[],
  ): K {
    let d: RibDelta | undefined;
    if (this.#collect) {
      d = this.#delta(kind, prefix, head, previous);
      deltas.push(d);
    }
    if (this.#exports(prefix)) this.#exportKey(this.#own(prefix, d), head);
    return kind;
  }

  /**
   * Puts the shared entry `next` at `prefix` after a step from a list whose
   * best was `prevBest` (`prevSnap`): a delta and an export when the best
   * changed, as {@link Rib.#reselect} reports.
   */
  #putShared(
    prefix: Prefix,
    next: SharedPath | SharedMulti,
    prevBest: Member,
    prevSnap: PathSnapshot,
    deltas: RibDelta[],
  ): ChangeKind {
    this.#dests.set(prefix, next);
    if (next.paths[0] === prevBest) {
      if (this.#addPathExporters()) this.#exportKey(bare(prefix), next);
      return "unchanged";
    }
    return this.#newBest(prefix, next, prevSnap, deltas);
  }

  /** Moves the best of `list` (the decision process) to its front, the others keeping their order. */
  #bestFirst(list: Member[]): void {
    // bestPath reorders the array it is given: a copy.
    const scratch = this.#scratch;
    const n = list.length;
    for (let i = 0; i < n; i++) scratch[i] = list[i]!;
    const best = bestPath(scratch, n, this.#decision) as Member;
    scratch.fill(undefined as unknown as Member, 0, n);
    if (best === list[0]) return;
    for (let i = list.indexOf(best); i > 0; i--) list[i] = list[i - 1]!;
    list[0] = best;
  }

  /**
   * The shared list of `head`'s paths with `member` added (not one of them),
   * ordered as {@link Rib.#insert} orders a private list: the newcomer
   * second, or first when it wins, or the decision run over all when the
   * MED step needs it. Cached in the RIB's StepCache.
   */
  #addShared(head: SharedPath | SharedMulti, member: SharedPath): SharedMulti {
    const known = this.#added.get(head, member);
    if (known !== undefined) return known;
    const ps = head.paths;
    const list: Member[] = [ps[0]!, member];
    for (let i = 1; i < ps.length; i++) list.push(ps[i]!);
    const c = this.#newPathOrder(list, member);
    if (c < 0) {
      list[1] = list[0]!;
      list[0] = member;
    } else if (c === 0) this.#bestFirst(list);
    const next = new SharedMulti(list);
    this.#added.set(head, member, next);
    return next;
  }

  /**
   * `head`'s paths without `member` (one of them): the other path itself
   * when one is left, else the shared list ordered as {@link Rib.#reselect}
   * orders a private one (the best first, the others in their order).
   * Cached in the RIB's StepCache.
   */
  #removeShared(head: SharedMulti, member: SharedPath): SharedPath | SharedMulti {
    const known = this.#removed.get(head, member);
    if (known !== undefined) return known;
    const ps = head.paths;
    let next: SharedPath | SharedMulti;
    if (ps.length === 2) next = (ps[0] === member ? ps[1] : ps[0]) as SharedPath;
    else {
      const list: Member[] = [];
      for (let i = 0; i < ps.length; i++) if (ps[i] !== member) list.push(ps[i]!);
      this.#bestFirst(list);
      next = new SharedMulti(list);
    }
    this.#removed.set(head, member, next);
    return next;
  }

  /**
   * A destination's own list back to a shared one when every path in it can
   * be shared (no Path Identifier, none stale) — after a graceful restart,
   * a router id change — folded from its best path by the cached steps
   * (the best stays the best: the same paths, the same decision).
   */
  #reshare(prefix: Prefix, m: Multi): Entry {
    if (!this.#shareSets || m instanceof SharedMulti) return m;
    const ps = m.paths;
    for (let i = 0; i < ps.length; i++) {
      const x = ps[i]!;
      if (x instanceof Node && (x.pathId !== 0 || x.stale)) return m;
    }
    let e: SharedPath | SharedMulti = this.#shareMember(ps[0]!);
    for (let i = 1; i < ps.length; i++) e = this.#addShared(e, this.#shareMember(ps[i]!));
    this.#dests.set(prefix, e);
    return e;
  }

  /** A path as its peer's shared path (a fresh node without Path Identifier gives up its own). */
  #shareMember(x: Member): SharedPath {
    if (x instanceof SharedPath) return x;
    const sp = this.#sharedPath(x.source, x.attrs);
    this.interner.release(x.attrs);
    return sp;
  }

  /** A destination's own copy of a shared list of paths, put in its place, to change in place. */
  #private(prefix: Prefix, head: SharedMulti): Multi {
    const m = new Multi(head.paths.slice());
    this.#dests.set(prefix, m);
    return m;
  }

  #node(p: PeerState, attrs: AttrSet, pathId: number): Node {
    this.interner.retain(attrs);
    return new Node(p, attrs, pathId, false);
  }

  #atLimit(p: PeerState): boolean {
    const mp = p.config.maxPrefix;
    if (mp && mp.action === "teardown" && p.count >= mp.limit) {
      p.exceeded = true;
      return true;
    }
    return false;
  }

  #remove(p: PeerState, prefix: Prefix, pathId: number, deltas: RibDelta[]): ChangeKind {
    const head = this.#dests.get(prefix);
    if (!head) return "unchanged";
    const list = head.paths;
    let at = -1;
    for (let i = 0; i < list.length; i++) {
      const x = list[i]!;
      if (x.source === p && x.pathId === pathId) {
        at = i;
        break;
      }
    }
    if (at < 0) return "unchanged";
    const node = list[at]!;
    const prevSnap = snap(list[0]!);
    const prevMp = this.#opts.multipath ? this.#mpKeys(head) : undefined;
    p.count--;
    if (node.stale) p.staleCount--;
    if (node instanceof SharedPath) this.#unshare(node);
    else this.interner.release(node.attrs);
    if (head instanceof SharedMulti) {
      // All shared: the destination takes the shared list one path shorter.
      const next = this.#removeShared(head, node as SharedPath);
      return this.#putShared(prefix, next, list[0]!, prevSnap, deltas);
    }
    if (head instanceof Multi) {
      const m = head instanceof SharedMulti ? this.#private(prefix, head) : head;
      m.paths.splice(at, 1);
      // A lone path left heads the destination itself.
      if (m.paths.length === 1) this.#dests.set(prefix, m.paths[0]!);
    } else {
      this.#dests.delete(prefix);
      return this.#changed("withdrawn", prefix, undefined, prevSnap, deltas);
    }
    return this.#reselect(prefix, prevSnap, prevMp, deltas);
  }

  /** A lone fresh path without a Path Identifier goes back to the shared form. */
  #compact(prefix: Prefix): Entry {
    const head = this.#dests.get(prefix)!;
    if (!(head instanceof Node) || head.pathId !== 0 || head.stale) return head;
    const sp = this.#sharedPath(head.source, head.attrs);
    this.interner.release(head.attrs);
    this.#dests.set(prefix, sp);
    return sp;
  }

  /** Re-runs the decision at `key` after a change; reports a delta if the best (or multipath set) changed. */
  #reselect(
    prefix: Prefix,
    prevSnap: PathSnapshot,
    prevMp: string | undefined,
    deltas: RibDelta[],
  ): ChangeKind {
    let head = this.#dests.get(prefix)!;
    if (head instanceof SharedMulti) head = this.#private(prefix, head);
    if (head instanceof Multi) {
      this.#bestFirst(head.paths);
      head.settle();
      head = this.#reshare(prefix, head);
    } else head = this.#compact(prefix);
    const mpNow = this.#opts.multipath ? this.#mpKeys(head) : undefined;
    const now = head.paths[0]!;
    const same =
      now.source === prevSnap.source &&
      now.pathId === prevSnap.pathId &&
      now.attrs === prevSnap.attrs &&
      now.stale === prevSnap.stale;
    if (same && mpNow === prevMp) {
      // The best is unchanged, but with ADD-PATH the other paths may be sent too.
      if (this.#addPathExporters()) this.#exportKey(bare(prefix), head);
      return "unchanged";
    }
    return this.#newBest(prefix, head, prevSnap, deltas);
  }

  #multipathOf(head: Entry): PathSnapshot[] {
    if (!(head instanceof Multi)) return [snap(head)];
    return decide([...head.paths], this.#decision).multipath.map(snap);
  }

  #mpKeys(head: Entry | undefined): string | undefined {
    if (!head) return undefined;
    if (!(head instanceof Multi)) return `${head.source.index}:${head.pathId}:${head.attrs.id}`;
    return this.#multipathOf(head)
      .map((p) => `${p.source.index}:${p.pathId}:${p.attrs.id}`)
      .join(",");
  }

  #sweep(p: PeerState, staleOnly: boolean, afi?: number): RibDelta[] {
    const deltas: RibDelta[] = [];
    const has = (head: Entry) => {
      for (const x of head.paths) if (x.source === p && (!staleOnly || x.stale)) return true;
      return false;
    };
    for (const prefix of this.#dests.prefixesWhere(has)) {
      if (afi !== undefined && prefix.afi !== afi) continue;
      const ids: number[] = [];
      for (const x of this.#dests.get(prefix)!.paths)
        if (x.source === p && (!staleOnly || x.stale)) ids.push(x.pathId);
      for (const id of ids) {
        // A stale path swept is gone from the Adj-RIB-In before policy too.
        const k = staleOnly && p.pre ? withPathId(ribKey(prefix), id) : undefined;
        const old = k === undefined ? undefined : p.pre!.get(k);
        if (old) {
          p.pre!.delete(k!);
          this.interner.release(old);
        }
        this.#remove(p, prefix, id, deltas);
      }
    }
    if (p.pre && !staleOnly) {
      for (const a of p.pre.values()) this.interner.release(a);
      p.pre.clear();
    }
    if (!staleOnly) p.exceeded = false;
    this.#emit(deltas);
    return deltas;
  }

  #emit(deltas: readonly RibDelta[]): void {
    if (deltas.length === 0) return;
    for (const l of this.#listeners) l(deltas);
  }

  #addPathExporters(): boolean {
    return this.#addPathSenders > 0;
  }

  #exportOne(
    source: PeerState,
    attrs: AttrSet,
    prefix: Prefix,
    t: PeerState,
  ): { skip: ExportSkip } | { init: AttrSetInit } {
    const skip = exportAllowed(source, attrs, t.target, this.#ctx);
    if (skip) return { skip };
    let a = attrs;
    let temp: AttrSet | undefined;
    if (t.exportPolicy) {
      const v = t.exportPolicy(
        {
          prefix: prefix === this.#cur ? this.#cur.frozen() : prefix,
          attrs,
          sourceKind: source.kind,
          ...(attrs.interface !== undefined ? { interface: attrs.interface } : {}),
        },
        t.view,
      );
      if (!v.accept) return { skip: "policy" };
      if (v.modify) {
        temp = this.interner.intern(applyModification(attrs, v.modify));
        a = temp;
      }
    }
    const init = exportAttributes(source, a, t.target, this.#ctx, prefix.afi);
    if (temp) this.interner.release(temp);
    if (init.nextHop === undefined) return { skip: "no-next-hop" };
    return { init };
  }

  /**
   * The interned attributes a path is sent to `t` with (one reference for the
   * caller), or null when it is not sent. The transformation depends on the
   * source, the post-policy attributes and the family only — not on the
   * prefix — so its result is cached per target: a full table sharing a few
   * attribute sets costs a few transformations, not one per prefix.
   */
  #exportSet(source: PeerState, attrs: AttrSet, prefix: Prefix, t: PeerState): AttrSet | null {
    if (prefix.afi === 1 ? t.rejects4 : prefix.afi === 2 && t.rejects6) return null;
    if (exportAllowed(source, attrs, t.target, this.#ctx)) return null;
    let a = attrs;
    let temp: AttrSet | undefined;
    if (t.exportPolicy) {
      const v = t.exportPolicy(
        {
          prefix: prefix === this.#cur ? this.#cur.frozen() : prefix,
          attrs,
          sourceKind: source.kind,
          ...(attrs.interface !== undefined ? { interface: attrs.interface } : {}),
        },
        t.view,
      );
      if (!v.accept) return null;
      if (v.modify) {
        temp = this.interner.intern(applyModification(attrs, v.modify));
        a = temp;
      }
    }
    const cache = t.exportCache;
    const list = cache.get(a);
    if (list) {
      for (const c of list) {
        if (c.source === source && c.afi === prefix.afi) {
          if (temp) this.interner.release(temp);
          if (c.out) this.interner.retain(c.out);
          return c.out;
        }
      }
    }
    const init = exportAttributes(source, a, t.target, this.#ctx, prefix.afi);
    const out = init.nextHop === undefined ? null : this.interner.intern(init);
    if (cache.size >= t.exportSweepAt) {
      // Sets no route uses any more go first (a peer sending ever-new
      // attributes must not keep them alive here); a cache still full of
      // live sets starts over. Sweeping at twice the size that survived
      // keeps the sweeps' cost at O(1) per entry.
      this.#sweepExportCache(t);
      if (cache.size >= EXPORT_CACHE_LIMIT) this.#clearExportCache(t);
      t.exportSweepAt = Math.min(EXPORT_CACHE_LIMIT, Math.max(EXPORT_SWEEP_MIN, 2 * cache.size));
    }
    // The cache holds a reference to both the key set and the result.
    this.interner.retain(a);
    this.#cacheHolds.set(a, (this.#cacheHolds.get(a) ?? 0) + 1);
    if (out) this.interner.retain(out);
    const entry = { source, afi: prefix.afi, out };
    const again = cache.get(a);
    if (again) again.push(entry);
    else cache.set(a, [entry]);
    if (temp) this.interner.release(temp);
    return out;
  }

  #clearExportCache(t: PeerState): void {
    for (const [a, list] of t.exportCache) this.#dropCached(a, list);
    t.exportCache.clear();
  }

  /** Drops the entries of `t`'s export cache whose key set is held by export caches only. */
  #sweepExportCache(t: PeerState): void {
    for (const [a, list] of t.exportCache) {
      if (this.interner.refs(a) > (this.#cacheHolds.get(a) ?? 0)) continue;
      this.#dropCached(a, list);
      t.exportCache.delete(a);
    }
  }

  /** Releases what a cache's entries for key set `a` hold. */
  #dropCached(a: AttrSet, list: readonly { out: AttrSet | null }[]): void {
    const left = (this.#cacheHolds.get(a) ?? 0) - list.length;
    if (left > 0) this.#cacheHolds.set(a, left);
    else this.#cacheHolds.delete(a);
    for (const c of list) {
      this.interner.release(a);
      if (c.out) this.interner.release(c.out);
    }
  }

  /** Pushes the current state of `key` to every exporting peer's Adj-RIB-Out. */
  /** Whether a change at `prefix` goes to any Adj-RIB-Out (see #quietV4). */
  #exports(prefix: Prefix): boolean {
    return this.#exporting.length > 0 && !(this.#quietV4 && prefix === this.#cur);
  }

  /** Every exporting peer rejects IPv4 outright and has no IPv4 (or other) route out or pending. */
  #noV4Export(): boolean {
    const ts = this.#exporting;
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i]!;
      if (!t.rejects4 || t.out!.size !== 0 || t.out!.pendingCount !== 0) return false;
    }
    return true;
  }

  #exportKey(prefix: Prefix, head: Entry | undefined): void {
    if (prefix === this.#cur && this.#quietV4) return;
    // The fast path's cursor is re-pointed at the next prefix: whatever may
    // keep it (an ADD-PATH key, a policy) gets a copy.
    if (prefix === this.#cur && this.#addPathSenders > 0) prefix = this.#cur.copy();
    const ts = this.#exporting;
    for (let i = 0; i < ts.length; i++) this.#exportKeyTo(ts[i]!, prefix, head);
  }

  /**
   * The prefix to export: the fast path's cursor itself (see #exportKey), not
   * the delta's copy; else the delta's prefix, or without a delta the prefix
   * without its Path Identifier.
   */
  #own(prefix: Prefix, d?: RibDelta): Prefix {
    return prefix === this.#cur ? prefix : d ? d.prefix : bare(prefix);
  }

  /** `key`: the prefix's `ribKey`, computed here when not given (only ADD-PATH needs it). */
  #exportKeyTo(t: PeerState, prefix: Prefix, head: Entry | undefined, key?: string): void {
    const out = t.out!;
    // A family the export policy rejects outright, and nothing advertised or
    // pending to take back: nothing to do (BIRD's `export none`).
    if (
      (prefix.afi === 1 ? t.rejects4 : prefix.afi === 2 && t.rejects6) &&
      out.size === 0 &&
      out.pendingCount === 0
    )
      return;
    if (!t.outIds) {
      let attrs: AttrSet | null = null;
      if (head) attrs = this.#exportSet(head.source, head.attrs, prefix, t);
      out.set(prefix, attrs);
      return;
    }
    key ??= ribKey(prefix);
    // ADD-PATH send (RFC 7911): every exportable path, each with our own Path Identifier.
    const before = t.outIds.get(key) ?? [];
    const now: number[] = [];
    for (const x of head?.paths ?? []) {
      const a = this.#exportSet(x.source, x.attrs, prefix, t);
      if (!a) continue;
      const id = this.#localPathId(x.source, x.pathId);
      now.push(id);
      out.set(withId(prefix, id), a);
    }
    for (const id of before) if (!now.includes(id)) out.set(withId(prefix, id), null);
    if (now.length > 0) t.outIds.set(key, now);
    else t.outIds.delete(key);
  }

  #localPathId(source: PathSource, pathId: number): number {
    const k = `${source.index}:${pathId}`;
    let id = this.#localIds.get(k);
    if (id === undefined) {
      id = this.#localIds.size + 1;
      this.#localIds.set(k, id);
    }
    return id;
  }

  /**
   * The IPv4 part of {@link Rib.#refreshExport} without ADD-PATH: straight
   * from the destination table's numbers into the Adj-RIB-Out. Without an
   * export policy the attributes sent depend on the best path's source and
   * attribute set only (not on the prefix), and a table learned or
   * originated together shares a few of those: consecutive destinations with
   * the same best path reuse the last result instead of a prefix object and
   * an export decision each.
   */
  #refreshV4(t: PeerState): void {
    const out = t.out!;
    // Everything rejected and nothing advertised: no walk (BIRD's `export none`).
    if (t.rejects4 && out.size === 0 && out.pendingCount === 0) return;
    const interner = this.interner;
    const byPrefix = t.exportPolicy !== undefined && !t.rejects4;
    let lastSource: PathSource | undefined;
    let lastAttrs: AttrSet | undefined;
    let result: AttrSet | null = null;
    this.#dests.forEachV4((addr, length, head) => {
      let a: AttrSet | null;
      if (!byPrefix && head.source === lastSource && head.attrs === lastAttrs) {
        a = result;
        if (a) interner.retain(a);
      } else {
        a = this.#exportSet(head.source, head.attrs, v4prefix(addr, length), t);
        lastSource = head.source;
        lastAttrs = head.attrs;
        result = a;
      }
      out.setV4(addr, length, a);
    });
  }

  #closeFeed(t: PeerState): void {
    if (t.feed) this.#dests.closeCursor(t.feed);
    t.feed = undefined;
  }

  #refreshExport(t: PeerState): void {
    // A full walk now: an initial export still being fed is complete with it.
    this.#closeFeed(t);
    const out = t.out!;
    // Routes advertised earlier whose destination is gone (none on a fresh start).
    const staleKeys: string[] = [];
    const stale: Prefix[] = [];
    if (t.outIds) {
      for (const key of t.outIds.keys())
        if (!this.#dests.get(prefixFromKey(key))) staleKeys.push(key);
    } else if (out.size > 0 || out.pendingCount > 0) {
      for (const p of out.prefixes()) if (!this.#dests.get(p)) stale.push(p);
    }
    const each = (prefix: Prefix, head: Entry) => {
      this.#exportKeyTo(t, prefix, head);
    };
    if (t.outIds) this.#dests.forEach(each);
    else {
      this.#refreshV4(t);
      this.#dests.forEachOther(each);
    }
    for (const key of staleKeys) this.#exportKeyTo(t, prefixFromKey(key), undefined, key);
    for (const p of stale) out.set(p, null);
  }
}

/** A delta; its key is computed on demand (most consumers want the prefix). */
class Delta implements RibDelta {
  #prefix: Prefix | undefined;
  /** Without a prefix object: the IPv4 prefix as numbers (it came as numbers, see V4Cursor). */
  readonly #addr: number;
  readonly #length: number;
  constructor(
    readonly kind: RibDelta["kind"],
    prefix: Prefix | undefined,
    addr: number,
    length: number,
    readonly best: PathSnapshot | undefined,
    readonly previous: PathSnapshot | undefined,
    readonly multipath: readonly PathSnapshot[] | undefined,
  ) {
    this.#prefix = prefix;
    this.#addr = addr;
    this.#length = length;
  }

  get prefix(): Prefix {
    this.#prefix ??= v4prefix(this.#addr, this.#length);
    return this.#prefix;
  }

  get key(): string {
    return ribKey(this.prefix);
  }
}

/**
 * The IPv4 prefix the fast path (`announceV4`, `withdrawV4`) is at: one
 * object, re-pointed at every prefix of an `Ipv4Nlri`, so it must never be
 * kept — a delta records its numbers, a policy gets `frozen()`, an ADD-PATH
 * export a `copy()`. Its `bytes` are four octets, those past the length
 * zero, which is all `v4addr`, `ribKey` and `DestTable` read.
 */
class V4Cursor implements Prefix {
  readonly afi = 1;
  length = 0;
  addr = 0;
  readonly bytes = new Uint8Array(4);

  set(addr: number, length: number): void {
    this.addr = addr;
    this.length = length;
    const b = this.bytes;
    b[0] = addr >>> 24;
    b[1] = (addr >>> 16) & 255;
    b[2] = (addr >>> 8) & 255;
    b[3] = addr & 255;
  }

  /** A prefix object of its own, with the octets `decodePrefixes` gives. */
  copy(): Prefix {
    return v4prefix(this.addr, this.length);
  }

  /** An unchanging copy for a policy, its octets made only if it reads them. */
  frozen(): Prefix {
    return new LazyV4Prefix(this.addr, this.length);
  }
}

/** An IPv4 prefix whose octets are made when first read. */
class LazyV4Prefix implements Prefix {
  readonly afi = 1;
  #bytes: Uint8Array | undefined;
  constructor(
    readonly addr: number,
    readonly length: number,
  ) {}

  get bytes(): Uint8Array {
    this.#bytes ??= v4prefix(this.addr, this.length).bytes;
    return this.#bytes;
  }
}

/**
 * RFC 6793 §4.2.3 / §4.1: from a 2-octet (OLD) peer, AS_PATH and AGGREGATOR
 * are rebuilt from AS4_PATH / AS4_AGGREGATOR; from a 4-octet (NEW) peer those
 * two attributes have no business being there and are discarded.
 */
function as4Normalized(init: AttrSetInit, fourOctetAs: boolean): AttrSetInit {
  let has = false;
  for (const a of init.attributes)
    if (a.type === "as4-path" || a.type === "as4-aggregator") has = true;
  if (!has) return init;
  const attributes = fourOctetAs
    ? init.attributes.filter((a) => a.type !== "as4-path" && a.type !== "as4-aggregator")
    : reconstructAs4(init.attributes);
  return { ...init, attributes };
}

function snap(n: Path): PathSnapshot {
  // A shared path is immutable: it is its own snapshot.
  return n instanceof SharedPath
    ? n
    : { source: n.source, attrs: n.attrs, pathId: n.pathId, stale: n.stale };
}

function bare(p: Prefix): Prefix {
  return p.pathId === undefined ? p : { afi: p.afi, length: p.length, bytes: p.bytes };
}

function withId(p: Prefix, pathId: number): Prefix {
  return pathId === 0 ? p : { afi: p.afi, length: p.length, bytes: p.bytes, pathId };
}
