// The speaker: one listener, many peer sessions (configured and dynamic),
// one RIB (../rib/) they all feed and drain, an event stream and a status API.
//
//   const bgp = await Speaker.start({ asn: 64512, routerId: "192.0.2.11",
//     peers: [{ address: "192.0.2.250", asn: 64512 }] });
//   bgp.on("best-path", (e) => …);          // what to install in the kernel
//   bgp.originate({ prefix: "198.51.100.0/26" });
//
// Routes in and out are Loc-RIB operations: `originate`/`withdraw` change
// the local source's paths; every session runs received UPDATEs through
// `rib.applyUpdate`, and each Established peer is sent its Adj-RIB-Out (the
// Loc-RIB after split horizon, route reflection and its export filters),
// coalesced and paced by its socket (out-queue.ts). Learned routes are passed
// on: Tortie is a transit hop and, with `routeReflectorClient` peers, a
// route reflector.
import { EventEmitter } from "node:events";
import { isIPv6, type Socket } from "node:net";
import { Address4, Address6 } from "ip-address";
import type { SessionState } from "../fsm/index.js";
import { Rib, type RibDelta } from "../rib/rib.js";
import { formatPrefix, type Prefix, parsePrefix } from "../wire/prefix.js";
import {
  type DynamicNeighborConfig,
  type OriginateConfigInput,
  type PeerConfigInput,
  parsePeerConfig,
  parseSpeakerConfig,
  type SpeakerConfig,
  type SpeakerConfigInput,
} from "./config.js";
import {
  type OriginateBatch,
  type OriginateGroup,
  parseOriginateBatch,
  parsePrefixBatch,
  v4FromNumber,
  v4Number,
} from "./originate-batch.js";
import {
  type BestPathChange,
  bestPathChange,
  originatedInit,
  type RibRoute,
  type RouteQuery,
  routeOf,
} from "./rib-view.js";
import type { Route } from "./routes.js";
import {
  type LastError,
  normalise,
  PeerSession,
  type PeerStatus,
  type SessionInfo,
} from "./session.js";
import { type Listener, listenTcp } from "./transport.js";

/** Events of a {@link Speaker}; every one names the peer's address. */
export interface SpeakerEvents {
  "peer-state": [e: { peer: string; from: SessionState; to: SessionState }];
  "peer-up": [e: { peer: string; session: SessionInfo }];
  "peer-down": [e: { peer: string; error: LastError }];
  /** Routes learned or withdrawn by one UPDATE (or all of a peer's routes when it goes down). */
  routes: [
    e: {
      peer: string;
      announced: readonly Route[];
      withdrawn: readonly string[];
      treatedAsWithdraw: boolean;
    },
  ];
  /**
   * Graceful restart, helper role (RFC 4724 §4.2): the session with `peer`
   * went down without a NOTIFICATION and the peer advertised graceful
   * restart, so its routes (keys, as in `routes` events) are kept as stale —
   * still the peer's routes, still to be used — for up to `restartTime`
   * seconds. Stale routes the peer re-announces are no longer stale (a
   * `routes` event announces them); those it does not are withdrawn through
   * an ordinary `routes` event after its End-of-RIB, after `staleTime`, when
   * it does not come back within `restartTime`, or when it comes back
   * without the capability or the F bit for their family.
   */
  "routes-stale": [e: { peer: string; stale: readonly string[]; restartTime: number }];
  "end-of-rib": [e: { peer: string; family: string }];
  "route-refresh": [e: { peer: string; family: string }];
  warning: [e: { peer?: string; message: string }];
  /**
   * An internal error (a bug of ours, or a throwing event listener) was
   * contained. `ended`: the peer's session was ended with a Cease / Out of
   * Resources; the speaker and every other session went on.
   */
  "session-error": [e: { peer: string; where: string; message: string; ended: boolean }];
  /**
   * Loc-RIB best paths changed (RFC 4271 §9.1.2): what a node agent installs
   * into or removes from the kernel, with every ECMP next hop when the
   * speaker runs with `multipath`. One event per RIB operation (an UPDATE,
   * an `originate`, a session going down), listing every prefix it changed.
   */
  "best-path": [e: { changes: readonly BestPathChange[] }];
}

/** Listener of {@link Speaker.subscribe}: best-path changes, in order. */
export type BestPathListener = (changes: readonly BestPathChange[]) => void;

/** The whole speaker's status. */
export interface SpeakerStatus {
  readonly asn: number;
  readonly routerId: string;
  readonly listen: { readonly address: string; readonly port: number } | false;
  readonly peers: readonly PeerStatus[];
  readonly originated: readonly string[];
  /** Number of originated prefixes (always set by {@link Speaker.status}). */
  readonly originatedCount?: number;
  /** Internal errors contained since start, over every session (removed ones too). */
  readonly internalErrors: number;
}

/** Local misuse of the speaker API (unknown peer, duplicate peer…). */
export class SpeakerError extends Error {
  override readonly name = "SpeakerError";
}

/** Options that are not configuration: injected clock, for tests and tools. */
export interface SpeakerOptions {
  /** Monotonic milliseconds (default `performance.now`). */
  readonly clock?: () => number;
}

/** Routes handed to the RIB per call when originating or withdrawing many (bounds the objects alive at once). */
const CHUNK = 4096;

/** A BGP speaker. Create with {@link Speaker.start}. */
export class Speaker extends EventEmitter<SpeakerEvents> {
  readonly config: SpeakerConfig;
  private listener: Listener | undefined;
  private readonly sessions = new Map<string, PeerSession>();
  /**
   * The speaker's RIB: Adj-RIBs-In, Loc-RIB, Adj-RIBs-Out (RFC 4271 §3.2).
   * Read it freely (`best`, `explain`, `paths`); change it through the
   * speaker so that peers are sent the changes.
   */
  readonly rib: Rib;
  private readonly bestListeners = new Set<BestPathListener>();
  private readonly clock: () => number;
  private closed = false;
  private internalErrors = 0;

  private constructor(config: SpeakerConfig, opts: SpeakerOptions) {
    super();
    this.config = config;
    this.clock = opts.clock ?? (() => performance.now());
    this.rib = new Rib({
      localAs: config.asn,
      routerId: config.routerId,
      ...(config.peers.some((p) => p.routeReflectorClient) ||
      config.dynamicNeighbors.some((d) => d.routeReflectorClient) ||
      config.clusterId
        ? { clusterId: config.clusterId ?? config.routerId }
        : {}),
      multipath: config.multipath,
      ...(config.alwaysCompareMed ? { decision: { alwaysCompareMed: true } } : {}),
      // the speaker reads the RIB's deltas only as a subscriber, and subscribes
      // only while someone listens for best-path changes (syncBestFeed)
      returnDeltas: false,
    });
    this.watchBestListeners();
  }

  /** Follows "best-path" listeners coming and going (see {@link Speaker.syncBestFeed}). */
  private watchBestListeners(): void {
    // (`newListener` runs before the listener is added, `removeListener` after it left)
    const events = this as EventEmitter;
    events.on("newListener", (name: string | symbol) => {
      if (name === "best-path") this.syncBestFeed(true);
    });
    events.on("removeListener", (name: string | symbol) => {
      if (name === "best-path") this.syncBestFeed();
    });
  }

  /** As EventEmitter's; the speaker keeps following "best-path" listeners afterwards. */
  override removeAllListeners(
    ...args: Parameters<EventEmitter<SpeakerEvents>["removeAllListeners"]>
  ): this {
    super.removeAllListeners(...args);
    const name = args[0];
    if (name === undefined || name === "newListener" || name === "removeListener")
      this.watchBestListeners();
    this.syncBestFeed();
    return this;
  }

  /** Unsubscribes the RIB feed of {@link Speaker.onBest}; set while anyone listens. */
  private ribFeed: (() => void) | undefined;

  /**
   * Subscribes to the RIB while anyone listens for best-path changes, and
   * only then: a RIB without subscribers builds no deltas (a full table
   * nobody installs costs no per-route change objects).
   */
  private syncBestFeed(adding = false): void {
    const want = adding || this.bestListeners.size > 0 || this.listenerCount("best-path") > 0;
    if (want && !this.ribFeed) this.ribFeed = this.rib.subscribe((deltas) => this.onBest(deltas));
    else if (!want && this.ribFeed) {
      this.ribFeed();
      this.ribFeed = undefined;
    }
  }

  /**
   * Validates the configuration, opens the listener (unless `listen: false`)
   * and starts a session with every configured peer.
   * @throws ConfigError for an invalid configuration; SyscallError if the listener cannot bind.
   */
  static async start(input: SpeakerConfigInput, opts: SpeakerOptions = {}): Promise<Speaker> {
    const config = parseSpeakerConfig(input);
    const s = new Speaker(config, opts);
    if (config.listen) {
      s.listener = await listenTcp(
        {
          address: config.listen.address,
          port: config.listen.port,
          // 255, as BIRD's and FRR's listeners: the SYN-ACK must pass a GTSM
          // peer's minimum TTL (RFC 5082 §3); each accepted socket then takes
          // its own peer's TTL (session.ts).
          ttl: 255,
          ...(config.netns ? { netns: config.netns } : {}),
        },
        (sock) => s.onIncoming(sock),
        (e) => s.emitSafely("warning", { message: `listener: ${e.message}` }),
      );
      for (const d of config.dynamicNeighbors)
        if (d.password)
          s.setListenerMd5(d.prefix.split("/")[0]!, d.password, Number(d.prefix.split("/")[1]));
    }
    if (config.originate.length)
      s.originateBatch(parseOriginateBatch(config.originate, "originate"));
    for (const p of config.peers) s.addPeer(p);
    return s;
  }

  /** The port the listener is bound to (useful with `port: 0`). */
  get port(): number | undefined {
    return this.listener?.port;
  }

  /** Adds a peer at run time and starts its session. */
  addPeer(input: PeerConfigInput): void {
    this.assertOpen();
    const peer = parsePeerConfig(input);
    if (this.sessions.has(peer.address))
      throw new SpeakerError(`peer ${peer.address} already exists`);
    if (peer.password) this.setListenerMd5(peer.address, peer.password);
    const session = new PeerSession(this.sessionHost(), { peer, peerAs: peer.asn, dynamic: false });
    this.track(session);
    session.start();
  }

  /** Removes a peer: Cease/Peer De-configured… here Administrative Shutdown with `message` (RFC 9003). */
  removePeer(address: string, message = "peer removed"): void {
    const s = this.sessions.get(address);
    if (!s) throw new SpeakerError(`no peer ${address}`);
    s.destroy(message);
    this.sessions.delete(address);
    // Its TCP-MD5 key goes with it: a peer added again without a password
    // (or with another one) must not meet the old key on the listener.
    if (s.settings.peer.password && !s.settings.dynamic) this.clearListenerMd5(address);
  }

  /** Stops a peer's session administratively (stays configured, Idle) with an RFC 9003 message. */
  shutdownPeer(address: string, message = ""): void {
    this.session(address).stop(message);
  }

  /** Restarts a peer that was shut down. */
  startPeer(address: string): void {
    this.session(address).start();
  }

  /** Asks a peer to re-send its routes (ROUTE-REFRESH, RFC 2918). */
  refresh(address: string): void {
    this.session(address).requestRefresh();
  }

  /**
   * Originates prefixes into the Loc-RIB (replacing the attributes of ones
   * already originated); every peer whose export rules and filters allow it
   * is sent them. Attributes: ORIGIN, AS_PATH (`asPath`, our AS is prepended
   * towards eBGP), MED, LOCAL_PREF (iBGP), communities, large communities,
   * an explicit next hop, and raw attributes (`rawAttributes`). Routes with
   * equal attributes share one interned attribute set and are validated once
   * (a table of routes costs its prefixes, not an object per route).
   * @throws ConfigError for an invalid route (unknown keys name the closest
   *   valid one); nothing is originated then.
   */
  originate(routes: OriginateConfigInput | readonly OriginateConfigInput[]): void {
    this.assertOpen();
    this.originateBatch(parseOriginateBatch(Array.isArray(routes) ? routes : [routes]));
  }

  /**
   * Originates `prefixes` with one set of attributes (every key of an
   * `originate` route but `prefix`; none: ORIGIN igp, empty AS_PATH): the
   * compact way to originate a large table, like BIRD's `protocol static`.
   * @throws ConfigError for an invalid prefix or attribute; nothing is originated then.
   */
  originatePrefixes(
    prefixes: readonly string[],
    attributes: Omit<OriginateConfigInput, "prefix"> = {},
  ): void {
    this.assertOpen();
    this.originateBatch(parsePrefixBatch(prefixes, attributes));
  }

  /**
   * Makes the originated routes exactly `routes` (the configuration's
   * `originate:` list, e.g. re-read on reload): routes that are new or whose
   * attributes changed are originated, originated routes absent from the list
   * are withdrawn, and unchanged ones are not touched — so peers are sent
   * only the difference. Returns the numbers of routes originated and withdrawn.
   * @throws ConfigError for an invalid route; nothing is changed then.
   */
  replaceOriginated(routes: readonly OriginateConfigInput[]): {
    originated: number;
    withdrawn: number;
  } {
    this.assertOpen();
    return this.applyOriginated(parseOriginateBatch(routes, "originate"));
  }

  /** {@link Speaker.replaceOriginated} for a batch validated by `parseOriginateBatch`. */
  applyOriginated(batch: OriginateBatch): { originated: number; withdrawn: number } {
    this.assertOpen();
    const keep4 = new Set<number>();
    const keep = new Set<string>();
    const changed: OriginateGroup[] = [];
    for (const g of batch.groups) {
      const set = this.rib.interner.intern(originatedInit(g.route));
      const v4: number[] = [];
      const other: Prefix[] = [];
      const same = (p: Prefix) =>
        this.rib.paths(p).some((x) => x.source.kind === "local" && x.attrs === set);
      for (const v of g.v4) {
        keep4.add(v);
        if (!same(v4FromNumber(v))) v4.push(v);
      }
      for (const p of g.other) {
        keep.add(formatPrefix(p));
        if (!same(p)) other.push(p);
      }
      this.rib.interner.release(set);
      if (v4.length || other.length) changed.push({ route: g.route, v4, other });
    }
    const gone: Prefix[] = [];
    for (const { prefix } of this.rib.routes({ peer: "local", bestOnly: false })) {
      const known = prefix.afi === 1 ? keep4.has(v4Number(prefix)) : keep.has(formatPrefix(prefix));
      if (!known) gone.push(prefix);
    }
    for (let i = 0; i < gone.length; i += CHUNK) this.rib.unoriginate(gone.slice(i, i + CHUNK));
    let originated = 0;
    for (const g of changed) originated += g.v4.length + g.other.length;
    this.originateBatch({ groups: changed, size: originated });
    if (gone.length) this.kick();
    return { originated, withdrawn: gone.length };
  }

  /**
   * Originates a batch validated by `parseOriginateBatch` / `parsePrefixBatch`
   * (./originate-batch.ts), a chunk at a time: no object per route is held.
   */
  originateBatch(batch: OriginateBatch): void {
    this.assertOpen();
    for (const g of batch.groups) {
      const init = originatedInit(g.route);
      for (let i = 0; i < g.v4.length; i += CHUNK) {
        const end = Math.min(g.v4.length, i + CHUNK);
        const chunk = new Array<Prefix>(end - i);
        for (let j = i; j < end; j++) chunk[j - i] = v4FromNumber(g.v4[j]!);
        this.rib.originate(chunk, init);
      }
      for (let i = 0; i < g.other.length; i += CHUNK)
        this.rib.originate(g.other.slice(i, i + CHUNK), init);
    }
    if (batch.size) this.kick();
  }

  /** Whether `prefix` (text) is originated here. */
  isOriginated(prefix: string): boolean {
    let p: Prefix;
    try {
      p = parsePrefix(prefix);
    } catch {
      return false;
    }
    return this.rib.hasPath("local", p);
  }

  /** Number of routes originated here. */
  get originatedCount(): number {
    return this.rib.pathCount("local");
  }

  /** Withdraws originated prefixes from the Loc-RIB (and so from every peer). Unknown prefixes are ignored. */
  withdraw(prefixes: string | readonly string[]): void {
    const list: Prefix[] = [];
    for (const text of typeof prefixes === "string" ? [prefixes] : prefixes) {
      let p: Prefix;
      try {
        p = parsePrefix(text);
      } catch {
        continue;
      }
      if (this.rib.hasPath("local", p)) list.push(p);
    }
    if (!list.length) return;
    for (let i = 0; i < list.length; i += CHUNK) this.rib.unoriginate(list.slice(i, i + CHUNK));
    this.kick();
  }

  /**
   * Routes in the RIB. `routes()` / `routes(peer)` (as before): every path
   * learned from all peers / from one. A {@link RouteQuery} narrows by peer
   * (`"local"` for originated routes), prefix and `bestOnly` (the Loc-RIB).
   */
  routes(query?: string | RouteQuery): RibRoute[] {
    const q: RouteQuery = typeof query === "string" ? { peer: query } : (query ?? {});
    const bestOnly = q.bestOnly ?? false;
    const out: RibRoute[] = [];
    if (q.peer !== undefined && q.peer !== "local" && !this.rib.peerIds().includes(q.peer))
      return out;
    if (q.prefix !== undefined) {
      let prefix: ReturnType<typeof parsePrefix>;
      try {
        prefix = parsePrefix(q.prefix);
      } catch {
        throw new SpeakerError(`not a prefix: ${JSON.stringify(q.prefix)}`);
      }
      const paths = this.rib.paths(prefix);
      for (const [i, p] of paths.entries()) {
        if (bestOnly && i > 0) break;
        const peer = p.source.kind === "local" ? "local" : p.source.id;
        if (q.peer !== undefined ? peer !== q.peer : !bestOnly && peer === "local") continue;
        out.push(routeOf(p.pathId ? { ...prefix, pathId: p.pathId } : prefix, p, i === 0));
      }
      return out;
    }
    if (bestOnly) {
      for (const { prefix, path } of this.rib.routes({ bestOnly: true })) {
        const peer = path.source.kind === "local" ? "local" : path.source.id;
        if (q.peer === undefined || q.peer === peer) out.push(routeOf(prefix, path, true));
      }
      return out;
    }
    const ids = q.peer !== undefined ? [q.peer] : this.rib.peerIds();
    for (const id of ids) {
      for (const { prefix, path } of this.rib.routes({ peer: id, bestOnly: false })) {
        const head = this.rib.best(prefix);
        out.push(
          routeOf(
            prefix,
            path,
            head !== undefined && head.source === path.source && head.pathId === path.pathId,
          ),
        );
      }
    }
    return out;
  }

  /**
   * Subscribes to best-path changes (the `best-path` event as a callback);
   * returns the unsubscribe function. What a node agent installs in the kernel.
   */
  subscribe(listener: BestPathListener): () => void {
    this.bestListeners.add(listener);
    this.syncBestFeed();
    return () => {
      const had = this.bestListeners.delete(listener);
      this.syncBestFeed();
      return had;
    };
  }

  /** Keys of the routes kept stale from a restarting peer (RFC 4724 §4.2), of one peer or all. */
  staleRoutes(peer?: string): string[] {
    const out: string[] = [];
    for (const [addr, s] of this.sessions) if (!peer || addr === peer) out.push(...s.staleRoutes());
    return out;
  }

  /** Number of routes learned from one peer (cheap; its Adj-RIB-In after import filters). */
  routeCount(peer: string): number {
    return this.sessions.get(peer)?.routeCount() ?? 0;
  }

  /**
   * Replaces a peer's import and export filters (and other route-policy
   * options): its Adj-RIB-In is re-evaluated (or a ROUTE-REFRESH asked for,
   * RFC 2918) and only the differences are sent to it.
   */
  setPeerFilters(
    address: string,
    filters: Pick<PeerConfigInput, "importFilters" | "exportFilters">,
  ): void {
    const s = this.session(address);
    const peer = parsePeerConfig({ ...s.settings.peer, ...filters });
    s.reconfigure(peer);
    this.kick();
  }

  /**
   * Status of every peer. `originated` lists every originated prefix; with
   * `{ originated: false }` it is left empty (a full table is a million
   * strings) and `originatedCount` still tells how many.
   */
  status(opts: { readonly originated?: boolean } = {}): SpeakerStatus {
    return {
      asn: this.config.asn,
      routerId: this.config.routerId,
      listen: this.listener ? { address: this.listener.address, port: this.listener.port } : false,
      peers: [...this.sessions.values()].map((s) => s.status()),
      originated: opts.originated === false ? [] : this.originatedPrefixes(),
      originatedCount: this.rib.pathCount("local"),
      internalErrors: this.internalErrors,
    };
  }

  /** Status of one peer, or undefined. */
  peer(address: string): PeerStatus | undefined {
    return this.sessions.get(address)?.status();
  }

  /** Shuts every session down (Administrative Shutdown with `message`) and closes the listener. */
  async close(message = "speaker shutting down"): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sessions.values()) s.destroy(message);
    this.sessions.clear();
    // Give NOTIFICATIONs a moment to leave before the process may exit.
    await new Promise((r) => setTimeout(r, 50));
    await this.listener?.close();
  }

  // ---- internals ----------------------------------------------------------

  private originatedPrefixes(): string[] {
    const out: string[] = [];
    for (const { prefix } of this.rib.routes({ peer: "local", bestOnly: false }))
      out.push(formatPrefix(prefix));
    return out;
  }

  private session(address: string): PeerSession {
    const s = this.sessions.get(address);
    if (!s) throw new SpeakerError(`no peer ${address}`);
    return s;
  }

  private assertOpen(): void {
    if (this.closed) throw new SpeakerError("speaker is closed");
  }

  private sessionHost() {
    return {
      asn: this.config.asn,
      routerId: this.config.routerId,
      ...(this.config.netns ? { netns: this.config.netns } : {}),
      ...(this.config.gracefulRestart ? { gracefulRestart: this.config.gracefulRestart } : {}),
      restarting: this.config.restarting,
      rib: this.rib,
      updateDelayMs: this.config.updateDelayMs,
      changed: () => this.kick(),
      now: this.clock,
    };
  }

  /** Every peer with changes in its Adj-RIB-Out is sent them after the coalescing delay. */
  private kick(): void {
    for (const id of this.rib.pendingPeers()) this.sessions.get(id)?.scheduleOut();
  }

  /** Loc-RIB deltas → `best-path` events and subscribers (only converted when someone listens). */
  private onBest(deltas: readonly RibDelta[]): void {
    if (deltas.length === 0) return;
    if (this.bestListeners.size === 0 && this.listenerCount("best-path") === 0) return;
    const changes = deltas.map(bestPathChange);
    for (const l of this.bestListeners) {
      try {
        l(changes);
      } catch (e) {
        this.internalErrors++;
        const message = `subscriber: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
        this.emitSafely("session-error", { peer: "", where: "listener", message, ended: false });
      }
    }
    this.emitSafely("best-path", { changes });
  }

  private clearListenerMd5(address: string): void {
    try {
      this.setListenerMd5(address, "");
    } catch {
      // No key on the listener for it (ENOENT): nothing to remove.
    }
  }

  private setListenerMd5(address: string, key: string, prefixLen?: number): void {
    if (!this.listener) return;
    // An IPv4 peer of a dual-stack IPv6 listener is keyed by its IPv4-mapped address.
    if (isIPv6(this.listener.address) && !isIPv6(address)) {
      this.listener.setMd5(
        `::ffff:${address}`,
        key,
        prefixLen === undefined ? undefined : prefixLen + 96,
      );
    } else this.listener.setMd5(address, key, prefixLen);
  }

  /**
   * Emits an event; a listener that throws is reported as a "session-error"
   * (not ending anything) instead of unwinding into the session that caused
   * the event — or, from a socket callback, into the process.
   */
  private emitSafely<K extends keyof SpeakerEvents>(name: K, ...args: SpeakerEvents[K]): void {
    try {
      (this.emit as (n: K, ...a: SpeakerEvents[K]) => boolean)(name, ...args);
    } catch (e) {
      if (name === "session-error") return; // its own listener failed: nowhere left to report
      this.internalErrors++;
      const peer = (args[0] as { peer?: string } | undefined)?.peer ?? "";
      const message = `"${name}" listener: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
      this.emitSafely("session-error", { peer, where: "listener", message, ended: false });
    }
  }

  private track(s: PeerSession): void {
    const peer = s.address;
    this.sessions.set(peer, s);
    s.on("state", (from, to) => {
      this.emitSafely("peer-state", { peer, from, to });
      // A dynamic neighbor exists only while it has a session — or stale
      // routes kept for its graceful restart (RFC 4724 §4.2), until they go.
      if (
        s.settings.dynamic &&
        to === "Idle" &&
        this.sessions.get(peer) === s &&
        s.staleCount() === 0
      )
        this.dropDynamic(s);
    });
    s.on("up", (session) => this.emitSafely("peer-up", { peer, session }));
    s.on("down", (error) => this.emitSafely("peer-down", { peer, error }));
    s.on("routes", (c) => {
      this.emitSafely("routes", { peer, ...c });
      if (
        s.settings.dynamic &&
        c.withdrawn.length &&
        s.state !== "Established" &&
        this.sessions.get(peer) === s &&
        s.staleCount() === 0
      )
        this.dropDynamic(s);
    });
    s.on("stale", (e) =>
      this.emitSafely("routes-stale", { peer, stale: e.keys, restartTime: e.restartTime }),
    );
    s.on("end-of-rib", (family) => this.emitSafely("end-of-rib", { peer, family }));
    s.on("route-refresh", (family) => this.emitSafely("route-refresh", { peer, family }));
    s.on("warning", (message) => this.emitSafely("warning", { peer, message }));
    s.on("session-error", (info) => {
      this.internalErrors++;
      this.emitSafely("session-error", { peer, ...info });
    });
  }

  /** Forgets a dynamic neighbor whose session ended (and whose stale routes are gone). */
  private dropDynamic(s: PeerSession): void {
    const peer = s.address;
    this.sessions.delete(peer);
    queueMicrotask(() => {
      try {
        s.destroy();
      } catch (e) {
        this.internalErrors++;
        this.emitSafely("session-error", {
          peer,
          where: "destroy",
          message: e instanceof Error ? (e.stack ?? e.message) : String(e),
          ended: true,
        });
      }
    });
  }

  /** An accepted connection; nothing in here may throw into the server's callback. */
  private onIncoming(sock: Socket): void {
    sock.on("error", () => {}); // until a session attaches its own handlers
    try {
      this.route(sock);
    } catch (e) {
      sock.destroy();
      this.internalErrors++;
      this.emitSafely("session-error", {
        peer: normalise(sock.remoteAddress ?? ""),
        where: "accept",
        message: e instanceof Error ? (e.stack ?? e.message) : String(e),
        ended: true,
      });
    }
  }

  private route(sock: Socket): void {
    const remote = normalise(sock.remoteAddress ?? "");
    if (this.closed) {
      sock.destroy();
      return;
    }
    const existing = this.sessions.get(remote);
    if (existing) {
      existing.incoming(sock);
      return;
    }
    const range = this.config.dynamicNeighbors.find((d) => inPrefix(remote, d.prefix));
    const inRange = range
      ? [...this.sessions.values()].filter(
          (s) => s.settings.dynamic && inPrefix(s.address, range.prefix),
        )
      : [];
    if (!range || inRange.length >= range.limit) {
      // RFC 4271 §8.2.1.1 / RFC 4486: an unconfigured peer is refused.
      sock.destroy();
      return;
    }
    const session = new PeerSession(this.sessionHost(), {
      peer: dynamicPeer(range, remote),
      peerAs: range.asn,
      dynamic: true,
    });
    this.track(session);
    session.start();
    session.incoming(sock);
  }
}

function dynamicPeer(range: DynamicNeighborConfig, address: string) {
  const { prefix: _p, asn, limit: _l, ...opts } = range;
  return { ...opts, address, port: 179, asn: typeof asn === "number" ? asn : 0 };
}

/** Whether `address` lies in `prefix` ("a.b.c.d/n" or IPv6). */
export function inPrefix(address: string, prefix: string): boolean {
  try {
    if (isIPv6(address) !== prefix.includes(":")) return false;
    return isIPv6(address)
      ? new Address6(address).isInSubnet(new Address6(prefix))
      : new Address4(address).isInSubnet(new Address4(prefix));
  } catch {
    return false;
  }
}
