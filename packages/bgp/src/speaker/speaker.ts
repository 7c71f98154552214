// The speaker: one listener, many peer sessions (configured and dynamic),
// the routes it originates, an event stream and a status API.
//
//   const bgp = await Speaker.start({ asn: 64512, routerId: "192.0.2.11",
//     peers: [{ address: "192.0.2.250", asn: 64512 }] });
//   bgp.on("routes", (e) => …);
//   bgp.originate({ prefix: "198.51.100.0/26" });
import { EventEmitter } from "node:events";
import { isIPv6, type Socket } from "node:net";
import { Address4, Address6 } from "ip-address";
import type { SessionState } from "../fsm/index.js";
import {
  type DynamicNeighborConfig,
  type OriginateConfigInput,
  type PeerConfigInput,
  parseOriginateConfig,
  parsePeerConfig,
  parseSpeakerConfig,
  type SpeakerConfig,
  type SpeakerConfigInput,
} from "./config.js";
import type { Originated, Route } from "./routes.js";
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
}

/** The whole speaker's status. */
export interface SpeakerStatus {
  readonly asn: number;
  readonly routerId: string;
  readonly listen: { readonly address: string; readonly port: number } | false;
  readonly peers: readonly PeerStatus[];
  readonly originated: readonly string[];
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

/** A BGP speaker. Create with {@link Speaker.start}. */
export class Speaker extends EventEmitter<SpeakerEvents> {
  readonly config: SpeakerConfig;
  private listener: Listener | undefined;
  private readonly sessions = new Map<string, PeerSession>();
  private readonly originatedRoutes = new Map<string, Originated>();
  private readonly clock: () => number;
  private closed = false;
  private internalErrors = 0;

  private constructor(config: SpeakerConfig, opts: SpeakerOptions) {
    super();
    this.config = config;
    this.clock = opts.clock ?? (() => performance.now());
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
          ...(config.netns ? { netns: config.netns } : {}),
        },
        (sock) => s.onIncoming(sock),
        (e) => s.emitSafely("warning", { message: `listener: ${e.message}` }),
      );
      for (const d of config.dynamicNeighbors)
        if (d.password)
          s.setListenerMd5(d.prefix.split("/")[0]!, d.password, Number(d.prefix.split("/")[1]));
    }
    for (const r of config.originate) s.originatedRoutes.set(r.prefix, r);
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

  /** Originates prefixes (replacing the attributes of ones already originated) and announces them. */
  originate(routes: OriginateConfigInput | readonly OriginateConfigInput[]): void {
    this.assertOpen();
    const list = (Array.isArray(routes) ? routes : [routes]).map((r) => parseOriginateConfig(r));
    for (const r of list) this.originatedRoutes.set(r.prefix, r);
    for (const s of this.sessions.values()) s.announce(list);
  }

  /** Withdraws originated prefixes from every peer. Unknown prefixes are ignored. */
  withdraw(prefixes: string | readonly string[]): void {
    const list = (typeof prefixes === "string" ? [prefixes] : prefixes).filter((p) =>
      this.originatedRoutes.delete(p),
    );
    for (const s of this.sessions.values()) s.withdraw(list);
  }

  /** Routes learned from one peer, or from all. */
  routes(peer?: string): Route[] {
    const out: Route[] = [];
    for (const [addr, s] of this.sessions)
      if (!peer || addr === peer) out.push(...s.routes().values());
    return out;
  }

  /** Keys of the routes kept stale from a restarting peer (RFC 4724 §4.2), of one peer or all. */
  staleRoutes(peer?: string): string[] {
    const out: string[] = [];
    for (const [addr, s] of this.sessions) if (!peer || addr === peer) out.push(...s.staleRoutes());
    return out;
  }

  /** Number of routes learned from one peer (cheap). */
  routeCount(peer: string): number {
    return this.sessions.get(peer)?.routes().size ?? 0;
  }

  /** Status of every peer. */
  status(): SpeakerStatus {
    return {
      asn: this.config.asn,
      routerId: this.config.routerId,
      listen: this.listener ? { address: this.listener.address, port: this.listener.port } : false,
      peers: [...this.sessions.values()].map((s) => s.status()),
      originated: [...this.originatedRoutes.keys()],
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
      originated: () => this.originatedRoutes.values(),
      now: this.clock,
    };
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
        s.staleRoutes().length === 0
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
        s.staleRoutes().length === 0
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
