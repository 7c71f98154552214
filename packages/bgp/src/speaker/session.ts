// One peer's session: the I/O edge around the pure FSM and codec.
//
//   socket bytes ─► Framer ─► decodeMessage ─► FSM event ─► step() ─► actions
//   actions: connect / drop / send-* / session-up / session-down / process-update
//   nextDeadline(fsm) ─► one setTimeout ─► fireDue()
//
// A session owns at most two TCP connections to its peer: the main one and,
// while a connection collision (RFC 4271 §6.8) is unresolved, a second one
// run by a companion FSM. Everything else — timers, negotiation, error
// handling — is decided by the FSM; this file only performs what it asks.
//
// Containment: every way into a session — socket data/close/error, the
// timer, connect callbacks, the Speaker's calls — runs inside `guard()`. A
// throw there (a bug of ours; a peer's bad bytes are BgpDecodeErrors and
// answered by the FSM) ends this session only, with a Cease / Out of
// Resources (RFC 4486 §4), a "session-error" event and the `internalErrors`
// counter — never the process. Every NOTIFICATION is cut to fit the
// negotiated maximum before it is encoded (fitNotification).
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import {
  cease,
  companion,
  connectionPolicy,
  createFsm,
  detectCollision,
  type Fsm,
  type FsmAction,
  type FsmEvent,
  type FsmOptions,
  fireDue,
  formatBgpId,
  fsmError,
  type NegotiatedSession,
  type NotificationDescriptor,
  nextDeadline,
  parseBgpId,
  promote,
  type SessionError,
  type SessionState,
  step,
  updateSent,
} from "../fsm/index.js";
import { compileFilters } from "../policy/compile.js";
import type { Rib, RibPeerConfig } from "../rib/rib.js";
import { applyUpdate } from "../rib/update.js";
import {
  CeaseSubcode,
  ErrorCode,
  FsmSubcode,
  MessageType,
  notificationName,
  RouteRefreshSubtype,
} from "../wire/constants.js";
import {
  type BgpMessage,
  type CodecContext,
  DEFAULT_CONTEXT,
  type DecodedMessage,
  decodeMessage,
  encodeMessage,
  endOfRib,
  endOfRibFamily,
  Framer,
  formatPrefix,
  KEEPALIVE,
  maxMessageLength,
  type OpenMessage,
  type Prefix,
  shutdownNotification,
  type UpdateMessage,
} from "../wire/index.js";
import type { PeerConfig } from "./config.js";
import { familiesToFlush, keepsRoutes, type LocalGracefulRestart } from "./graceful-restart.js";
import { setMinTtl } from "./libc.js";
import {
  buildOpen,
  contextOf,
  type FamilyKey,
  familyName,
  localDescriptor,
  openDescriptor,
} from "./open-map.js";
import { OutQueue } from "./out-queue.js";
import { errorEvent, notificationReply } from "./replies.js";
import { type RouteChanges, routeKey, routesFromUpdate } from "./routes.js";
import { connectTcp } from "./transport.js";

/** Per message type counters. */
export interface MessageCounters {
  open: number;
  update: number;
  notification: number;
  keepalive: number;
  routeRefresh: number;
}

const zeroCounters = (): MessageCounters => ({
  open: 0,
  update: 0,
  notification: 0,
  keepalive: 0,
  routeRefresh: 0,
});

/** A NOTIFICATION as status shows it. */
export interface NotificationInfo {
  readonly code: number;
  readonly subcode: number;
  /** RFC 9003 Shutdown Communication, when present. */
  readonly message?: string;
  /** Readable name of the code/subcode. */
  readonly text: string;
}

/** Why the session last failed or went down. */
export interface LastError {
  /** The FSM event (RFC 4271 §8.1 name) that caused it. */
  readonly event: string;
  /** The state it happened in. */
  readonly state: SessionState;
  /** Wall-clock time, ms since the epoch. */
  readonly at: number;
  readonly reason?: string;
  readonly sent?: NotificationInfo;
  readonly received?: NotificationInfo;
}

/** The negotiated session, as status shows it. */
export interface SessionInfo {
  readonly peerAs: number;
  readonly peerRouterId: string;
  readonly internal: boolean;
  readonly holdTime: number;
  readonly keepaliveTime: number;
  readonly families: readonly string[];
  readonly fourOctetAs: boolean;
  readonly extendedMessage: boolean;
  readonly routeRefresh: boolean;
  readonly enhancedRouteRefresh: boolean;
  readonly addPath: readonly { family: string; send: boolean; receive: boolean }[];
  readonly gracefulRestart: boolean;
  readonly peerHostname?: string;
}

/** Everything the speaker's status API reports about one peer. */
export interface PeerStatus {
  readonly address: string;
  readonly port: number;
  /** Configured AS, or the AS learned from the OPEN for dynamic neighbors. */
  readonly asn: number | "internal" | "external";
  readonly localAsn: number;
  readonly description?: string;
  /** Created from a dynamic-neighbor range. */
  readonly dynamic: boolean;
  readonly passive: boolean;
  readonly state: SessionState;
  /** When the current state was entered, ms since the epoch. */
  readonly since: number;
  /** Milliseconds Established, when Established. */
  readonly uptimeMs?: number;
  readonly connection?: {
    readonly direction: "outgoing" | "incoming";
    readonly localAddress: string;
    readonly localPort: number;
    readonly remotePort: number;
  };
  readonly session?: SessionInfo;
  readonly messages: { readonly sent: MessageCounters; readonly received: MessageCounters };
  readonly prefixes: {
    readonly received: number;
    readonly advertised: number;
    /** Routes kept from a restarting peer, not yet refreshed (RFC 4724 §4.2). */
    readonly stale: number;
  };
  readonly connectRetryCounter: number;
  readonly flaps: number;
  /** Internal errors contained in this session (each ended the session; see the "session-error" event). */
  readonly internalErrors: number;
  readonly lastError?: LastError;
}

/** An internal error contained in one session (a bug of ours, not the peer's). */
export interface SessionErrorInfo {
  /** Where it was caught: "data", "timer", "close", "connect", "announce", "listener"… */
  readonly where: string;
  /** The error's message (and stack, when there is one). */
  readonly message: string;
  /** Whether the session was ended because of it (listener errors do not end it). */
  readonly ended: boolean;
}

/** What a session needs from its speaker. */
export interface SessionHost {
  readonly asn: number;
  readonly routerId: string;
  readonly netns?: string;
  /** Graceful restart for every session, unless a peer overrides it. */
  readonly gracefulRestart?: LocalGracefulRestart;
  /** This process is a restart: the first OPEN to each peer sets the R bit (RFC 4724 §4.1). */
  readonly restarting?: boolean;
  /** The speaker's RIB: sessions feed it UPDATEs and drain their Adj-RIB-Out from it. */
  readonly rib: Rib;
  /** Milliseconds changes are coalesced before UPDATEs are sent. */
  readonly updateDelayMs: number;
  /** The RIB changed: the speaker schedules sending to every peer with pending changes. */
  changed(): void;
  /** Milliseconds on a monotonic clock. */
  now(): number;
}

/** Events a session emits. */
export interface SessionEvents {
  state: [from: SessionState, to: SessionState];
  up: [info: SessionInfo];
  down: [error: LastError];
  routes: [changes: RouteChanges];
  /**
   * The session went down but the peer does graceful restart (RFC 4724
   * §4.2): its routes (keys) are kept, marked stale, for up to
   * `restartTime` seconds.
   */
  stale: [e: { keys: readonly string[]; restartTime: number }];
  "end-of-rib": [family: string];
  "route-refresh": [family: string];
  /** A local problem that did not reset the session (e.g. a route without a usable next hop). */
  warning: [message: string];
  /** An internal error was contained: the session ended (Cease / Out of Resources), the process did not. */
  "session-error": [info: SessionErrorInfo];
}

interface Conn {
  readonly socket: Socket;
  readonly direction: "outgoing" | "incoming";
  readonly framer: Framer;
  ctx: CodecContext;
  closed: boolean;
  /** RFC 9687 send hold timer: armed while the socket does not take our writes. */
  sendHold?: NodeJS.Timeout;
}

interface Runner {
  fsm: Fsm;
  conn?: Conn;
  /** The OPEN we sent on this connection (for the codec context). */
  sentOpen?: OpenMessage;
}

function notificationInfo(n: NotificationDescriptor): NotificationInfo {
  let message: string | undefined;
  // RFC 9003 §2: Cease/Administrative Shutdown or Reset may carry a length-prefixed UTF-8 text.
  if (
    n.code === ErrorCode.Cease &&
    (n.subcode === CeaseSubcode.AdministrativeShutdown ||
      n.subcode === CeaseSubcode.AdministrativeReset) &&
    n.data.length > 0
  ) {
    const len = n.data[0]!;
    if (len + 1 <= n.data.length) message = new TextDecoder().decode(n.data.subarray(1, 1 + len));
  }
  return {
    code: n.code,
    subcode: n.subcode,
    ...(message !== undefined ? { message } : {}),
    text: notificationName(n.code, n.subcode),
  };
}

const COUNTER_OF: Record<BgpMessage["type"], keyof MessageCounters> = {
  open: "open",
  update: "update",
  notification: "notification",
  keepalive: "keepalive",
  "route-refresh": "routeRefresh",
};

/** The resolved settings of one session (a configured peer or one from a dynamic range). */
export interface SessionSettings {
  readonly peer: PeerConfig;
  /** Peer AS constraint ("internal"/"external" for dynamic ranges). */
  readonly peerAs: number | "internal" | "external";
  readonly dynamic: boolean;
}

/**
 * One BGP peer. Created and driven by the {@link Speaker}; exposed for status
 * and tests.
 */
export class PeerSession extends EventEmitter<SessionEvents> {
  readonly address: string;
  private main: Runner;
  private second: Runner | undefined;
  private pendingOut: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly sent = zeroCounters();
  private readonly received = zeroCounters();
  /** Registered with the RIB (from the first Established until destroyed). */
  private inRib = false;
  /** Sends the Adj-RIB-Out while Established. */
  private outQueue: OutQueue | undefined;
  /** Max-prefix restart timer (RFC 4486 Cease/1 then `restartAfterSec`). */
  private maxPrefixTimer: NodeJS.Timeout | undefined;
  private maxPrefixWarned = false;
  private flaps = 0;
  private negotiated: NegotiatedSession | undefined;
  private lastErr: LastError | undefined;
  private learnedAs: number | undefined;
  private readonly families: readonly FamilyKey[];
  private destroyed = false;
  private readonly wallOffset: number;
  private internalErrors = 0;
  /** Set while a contained error is being handled (a second one then only drops the connections). */
  private failing = false;
  /** The peer's capability of the session whose routes are stale. */
  private staleFamilies: readonly { afi: number; safi: number }[] = [];
  /** Restart timer (peer gone), then stale timer (peer back, no End-of-RIB yet). */
  private grTimer: NodeJS.Timeout | undefined;
  /** The R bit is set on the first session after a restart only. */
  private restarting: boolean;

  constructor(
    private readonly host: SessionHost,
    readonly settings: SessionSettings,
  ) {
    super();
    this.address = settings.peer.address;
    this.families = (settings.peer.families ?? [
      this.address.includes(":") ? "ipv6-unicast" : "ipv4-unicast",
    ]) as FamilyKey[];
    this.wallOffset = Date.now() - host.now();
    this.restarting = !!host.restarting;
    this.main = { fsm: createFsm(this.fsmOptions(false), host.now()) };
  }

  /** Our graceful-restart settings for this session (the peer's override, or the speaker's). */
  private get localGr(): LocalGracefulRestart | undefined {
    const p = this.settings.peer.gracefulRestart;
    if (p === false) return undefined;
    return p ?? this.host.gracefulRestart;
  }

  private get localAs(): number {
    return this.settings.peer.localAsn ?? this.host.asn;
  }

  private fsmOptions(passive: boolean): FsmOptions {
    const p = this.settings.peer;
    return {
      localAs: this.localAs,
      bgpId: parseBgpId(this.host.routerId),
      peerAs: this.settings.peerAs,
      holdTime: p.holdTime,
      ...(p.keepaliveTime !== undefined ? { keepaliveTime: p.keepaliveTime } : {}),
      connectRetryTime: p.connectRetryTime,
      openHoldTime: p.openHoldTime,
      passive: passive || p.passive,
      idleHoldTime: Math.max(0.001, p.errorWaitTime[0]),
      maxIdleHoldTime: Math.max(0.001, p.errorWaitTime[0], p.errorWaitTime[1]),
      capabilities: localDescriptor(this.localCaps()),
    };
  }

  private localCaps() {
    return {
      asn: this.localAs,
      families: this.families,
      ...(this.settings.peer.addPath ? { addPath: this.settings.peer.addPath } : {}),
      ...(this.localGr
        ? {
            gracefulRestart: {
              restartTime: this.localGr.restartTime,
              restarting: this.restarting,
              forwardingPreserved: this.localGr.forwardingPreserved,
            },
          }
        : {}),
    };
  }

  /** Current FSM state. */
  get state(): SessionState {
    return this.main.fsm.state;
  }

  /** Number of routes from this peer in the RIB (its Adj-RIB-In after import filters). */
  routeCount(): number {
    return this.inRib ? this.host.rib.pathCount(this.address) : 0;
  }

  /** Number of routes kept stale from this peer (RFC 4724 §4.2). */
  staleCount(): number {
    return this.inRib ? this.host.rib.staleCount(this.address) : 0;
  }

  /** Starts the session (ManualStart, or the passive variant; RFC 4271 §8.1.2). */
  start(): void {
    const passive = this.settings.peer.passive || this.settings.dynamic;
    this.guard("start", undefined, () =>
      this.dispatch(this.main, {
        type: passive ? "ManualStart_with_PassiveTcpEstablishment" : "ManualStart",
      }),
    );
  }

  /**
   * Stops the session (ManualStop): a Cease/Administrative Shutdown, with an
   * RFC 9003 Shutdown Communication when `message` is given, then Idle.
   */
  stop(message = ""): void {
    const data = shutdownNotification(message, CeaseSubcode.AdministrativeShutdown).data;
    const notification = cease(CeaseSubcode.AdministrativeShutdown, data);
    this.guard("stop", undefined, () => {
      this.sweepStale(undefined, "stopped");
      if (this.second) this.dispatch(this.second, { type: "ManualStop", notification });
      this.dispatch(this.main, { type: "ManualStop", notification });
    });
  }

  /** Stops for good and frees everything (no NOTIFICATION if already down). */
  destroy(message = "peer removed"): void {
    if (this.destroyed) return;
    if (this.state !== "Idle" || this.main.conn) this.stop(message);
    this.destroyed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    clearTimeout(this.grTimer);
    this.grTimer = undefined;
    clearTimeout(this.maxPrefixTimer);
    this.maxPrefixTimer = undefined;
    this.sweepStale(undefined, "peer removed");
    this.closeOut();
    this.pendingOut?.destroy();
    this.pendingOut = undefined;
    // stop()'s "drop" already closed (flushing its NOTIFICATION) what the FSM knew of.
    for (const c of [this.main.conn, this.second?.conn]) c?.socket.destroy();
    this.main.conn = undefined;
    this.second = undefined;
    if (this.inRib) {
      this.inRib = false;
      const { rib } = this.host;
      if (rib.pathCount(this.address) > 0) rib.flushPeer(this.address);
      rib.removePeer(this.address);
      this.host.changed();
    }
    this.removeAllListeners();
  }

  /** An incoming TCP connection from this peer was accepted. */
  incoming(socket: Socket): void {
    if (this.destroyed) {
      socket.destroy();
      return;
    }
    this.guard("incoming", undefined, () => this.accept(socket));
  }

  private accept(socket: Socket): void {
    // RFC 4724 §4.2: a new connection from a peer whose session (with
    // graceful restart) is still Established means the peer restarted and
    // its old connection is dead (its FIN or RST was lost): end the old
    // session as a TCP failure — its routes are kept, stale — and take the
    // new connection. Without graceful restart it is refused (RFC 4271 §6.8).
    const old = this.main.conn;
    if (
      this.main.fsm.state === "Established" &&
      old &&
      this.negotiated?.capabilities.gracefulRestart
    ) {
      old.closed = true;
      old.socket.destroy();
      this.dispatch(this.main, { type: "TcpConnectionFails" });
    }
    // Idle while waiting to restart automatically (IdleHoldTimer running, not
    // stopped by an operator): the peer is reaching out, so start now in the
    // passive way (RFC 4271 §8.1.1 event 5) and take its connection — as BIRD
    // and GoBGP do in their Active state — instead of refusing it until the
    // back-off has run out.
    const f = this.main.fsm;
    if (f.state === "Idle" && f.timers.idleHold !== undefined) {
      this.dispatch(this.main, { type: "AutomaticStart_with_PassiveTcpEstablishment" });
    }
    const policy = connectionPolicy(this.main.fsm);
    if (policy === "refuse" || (policy === "track" && this.second)) {
      socket.destroy();
      return;
    }
    const conn = this.attach(socket, "incoming");
    if (policy === "use") {
      this.main.conn = conn;
      this.dispatch(this.main, { type: "TcpConnectionConfirmed" });
    } else this.startCompanion(conn);
  }

  /** Sends a ROUTE-REFRESH request for every negotiated family (RFC 2918). */
  requestRefresh(): void {
    const conn = this.main.conn;
    if (this.state !== "Established" || !conn || !this.negotiated?.capabilities.routeRefresh)
      return;
    const families = this.negotiated.capabilities.families;
    this.guard("refresh", conn, () => {
      for (const f of families) {
        this.write(conn, {
          type: "route-refresh",
          afi: f.afi,
          safi: f.safi,
          subtype: RouteRefreshSubtype.Normal,
        });
      }
    });
  }

  /**
   * The RIB has changes for this peer: send them after the coalescing delay
   * (or when the socket drains).
   */
  scheduleOut(): void {
    this.outQueue?.schedule();
  }

  /** Changes waiting in this peer's Adj-RIB-Out, and whether its socket pushes back. */
  outState(): { pending: number; blocked: boolean } {
    return { pending: this.outQueue?.pending ?? 0, blocked: this.outQueue?.blocked ?? false };
  }

  /** The status of this peer. */
  status(): PeerStatus {
    const f = this.main.fsm;
    const conn = this.main.conn;
    const s = this.negotiated;
    const now = this.host.now();
    const p = this.settings.peer;
    return {
      address: this.address,
      port: p.port,
      asn: this.learnedAs ?? this.settings.peerAs,
      localAsn: this.localAs,
      ...(p.description ? { description: p.description } : {}),
      dynamic: this.settings.dynamic,
      passive: p.passive || this.settings.dynamic,
      state: f.state,
      since: Math.round(f.since + this.wallOffset),
      ...(f.state === "Established" && f.establishedAt !== undefined
        ? { uptimeMs: Math.round(now - f.establishedAt) }
        : {}),
      ...(conn && !conn.closed
        ? {
            connection: {
              direction: conn.direction,
              localAddress: normalise(conn.socket.localAddress ?? ""),
              localPort: conn.socket.localPort ?? 0,
              remotePort: conn.socket.remotePort ?? 0,
            },
          }
        : {}),
      ...(s && f.state === "Established" ? { session: sessionInfo(s) } : {}),
      messages: { sent: { ...this.sent }, received: { ...this.received } },
      prefixes: {
        received: this.routeCount(),
        advertised: this.inRib ? (this.host.rib.adjRibOut(this.address)?.size ?? 0) : 0,
        stale: this.staleCount(),
      },
      connectRetryCounter: f.connectRetryCounter,
      flaps: this.flaps,
      internalErrors: this.internalErrors,
      ...(this.lastErr ? { lastError: this.lastErr } : {}),
    };
  }

  /** Routes kept from the restarting peer (keys), not yet refreshed. */
  staleRoutes(): string[] {
    return this.stalePaths().map((x) => x.key);
  }

  /** This peer's stale paths in the RIB, with their keys and families. */
  private stalePaths(family?: string): { key: string; prefix: Prefix; family: string }[] {
    const out: { key: string; prefix: Prefix; family: string }[] = [];
    if (!this.inRib || this.host.rib.staleCount(this.address) === 0) return out;
    for (const { prefix, path } of this.host.rib.routes({ peer: this.address, bestOnly: false })) {
      if (!path.stale) continue;
      const fam = prefix.afi === 2 ? "ipv6-unicast" : "ipv4-unicast";
      if (family !== undefined && fam !== family) continue;
      const text = prefixText(prefix);
      out.push({ key: routeKey(text, path.pathId || undefined), prefix, family: fam });
    }
    return out;
  }

  // ---- graceful restart (RFC 4724 §4.2, helper) ----------------------------

  /** The session went down without a NOTIFICATION: keep the peer's routes, stale. */
  private keepStale(gr: NonNullable<NegotiatedSession["capabilities"]["gracefulRestart"]>): void {
    const rib = this.host.rib;
    const id = this.address;
    if (!this.inRib) return;
    // Families the peer did not list in its capability are not preserved.
    const listed = (afi: number) => gr.families.some((g) => g.afi === afi && g.safi === 1);
    const drop: Prefix[] = [];
    for (const { prefix, path } of rib.routes({ peer: id, bestOnly: false }))
      if (!listed(prefix.afi)) drop.push(withPathId(prefix, path.pathId));
    if (drop.length) {
      rib.withdraw(id, drop);
      this.emit("routes", {
        announced: [],
        withdrawn: drop.map((p) => routeKey(prefixText(p), p.pathId)),
        treatedAsWithdraw: false,
      });
    }
    // Routes already stale from an earlier restart stay stale.
    rib.markStale(id, this.host.now(), gr.restartTime);
    this.staleFamilies = gr.families;
    const keys = this.staleRoutes();
    if (keys.length) this.emit("stale", { keys, restartTime: gr.restartTime });
    this.armGr(gr.restartTime, "restart-time");
  }

  /** The peer is back: flush what it no longer preserves, wait for End-of-RIB (or staleTime). */
  private peerReturned(session: NegotiatedSession): void {
    for (const f of familiesToFlush(session.capabilities.gracefulRestart, this.staleFamilies))
      this.sweepStale(familyName(f), "no-forwarding-state");
    // Families no longer negotiated will never see an End-of-RIB.
    for (const f of this.staleFamilies)
      if (!session.capabilities.families.some((g) => g.afi === f.afi && g.safi === f.safi))
        this.sweepStale(familyName(f), "family-gone");
    if (this.staleCount()) this.armGr(this.localGr?.staleTime ?? 360, "stale-time");
  }

  private armGr(seconds: number, why: string): void {
    clearTimeout(this.grTimer);
    this.grTimer = setTimeout(
      () =>
        this.guard("gr timer", undefined, () => {
          this.grTimer = undefined;
          this.sweepStale(undefined, why);
        }),
      seconds * 1000,
    );
    this.grTimer.unref?.();
  }

  /** Withdraws the stale routes of one family (or all) from the RIB and says so. */
  private sweepStale(family: string | undefined, why: string): void {
    const stale = this.stalePaths(family);
    if (stale.length)
      this.host.rib.withdraw(
        this.address,
        stale.map((x) => x.prefix),
      );
    if (!this.staleCount()) {
      clearTimeout(this.grTimer);
      this.grTimer = undefined;
      if (this.inRib) this.host.rib.endOfRib(this.address);
    }
    if (stale.length) {
      this.emit("routes", {
        announced: [],
        withdrawn: stale.map((x) => x.key),
        treatedAsWithdraw: false,
      });
      this.emit("warning", `graceful restart: ${stale.length} stale route(s) withdrawn (${why})`);
      this.host.changed();
    }
  }

  // ---- the edge ---------------------------------------------------------

  private carries(p: Prefix): boolean {
    return !!this.negotiated?.capabilities.families.some((x) => x.afi === p.afi && x.safi === 1);
  }

  /** The peer as the RIB knows it, from its configuration and the negotiated session. */
  private ribPeer(session: NegotiatedSession, conn: Conn | undefined): RibPeerConfig {
    const p = this.settings.peer;
    const local = normalise(conn?.socket.localAddress ?? "");
    const v4 =
      p.localAddress && !p.localAddress.includes(":")
        ? p.localAddress
        : local && !local.includes(":")
          ? local
          : undefined;
    const v6 =
      p.nextHop6 ??
      (p.localAddress?.includes(":")
        ? p.localAddress
        : local.includes(":")
          ? local
          : v4
            ? `::ffff:${v4}`
            : undefined);
    const c = session.capabilities;
    const mp = p.maxPrefix;
    return {
      id: this.address,
      address: this.address,
      asn: session.peerAs,
      ...(this.localAs !== this.host.asn ? { localAs: this.localAs } : {}),
      routerId: formatBgpId(session.peerBgpId),
      ...((v4 ?? v6) !== undefined ? { localAddress: (v4 ?? v6)! } : {}),
      ...(v6 !== undefined ? { localAddress6: v6 } : {}),
      multihop: (p.multihop ?? 1) > 1 || (p.ttlSecurity ?? 1) > 1,
      rrClient: p.routeReflectorClient,
      allowAsIn: p.allowAsIn,
      nextHopMode: p.nextHopMode,
      fourOctetAs: c.fourOctetAs,
      addPathSend: c.addPath.some((a) => a.send),
      ...(mp
        ? { maxPrefix: { limit: mp.limit, action: mp.action === "cease" ? "teardown" : "warn" } }
        : {}),
      ...(p.importFilters?.length
        ? {
            importPolicy: compileFilters(p.importFilters, "import").policy,
            keepPreImport: true,
          }
        : {}),
      ...(p.exportFilters?.length
        ? { exportPolicy: compileFilters(p.exportFilters, "export").policy }
        : {}),
    };
  }

  /** Registers the peer with the RIB, or updates what its new session negotiated. */
  private registerWithRib(session: NegotiatedSession, conn: Conn | undefined): void {
    const rib = this.host.rib;
    const id = this.address;
    // A peer with no paths left is registered anew (its local address may have changed).
    if (this.inRib && rib.pathCount(id) === 0) {
      rib.removePeer(id);
      this.inRib = false;
    }
    if (!this.inRib) {
      rib.addPeer(this.ribPeer(session, conn));
      this.inRib = true;
    } else {
      const c = session.capabilities;
      rib.setSession(id, {
        routerId: formatBgpId(session.peerBgpId),
        fourOctetAs: c.fourOctetAs,
        addPathSend: c.addPath.some((a) => a.send),
      });
    }
  }

  /** Applies a changed import/export configuration (route refresh on policy change). */
  reconfigure(peer: PeerConfig): { needsRefresh: boolean } {
    (this.settings as { peer: PeerConfig }).peer = peer;
    if (!this.inRib) return { needsRefresh: false };
    const rib = this.host.rib;
    const id = this.address;
    rib.setExportPolicy(
      id,
      peer.exportFilters?.length ? compileFilters(peer.exportFilters, "export").policy : undefined,
    );
    const r = rib.setImportPolicy(
      id,
      peer.importFilters?.length ? compileFilters(peer.importFilters, "import").policy : undefined,
    );
    this.host.changed();
    if (r.needsRefresh) this.requestRefresh();
    return r;
  }

  private closeOut(): void {
    this.outQueue?.close();
    this.outQueue = undefined;
    if (this.inRib) this.host.rib.stopExport(this.address);
  }

  /**
   * RFC 9687: arms the send hold timer when the socket did not take a write;
   * 'drain' disarms it, and so does progress (the peer read some of what was
   * queued) when it fires.
   */
  private watchSend(conn: Conn, ok: boolean): void {
    if (ok || conn.sendHold || conn.closed) return;
    const p = this.settings.peer;
    const hold = this.negotiated?.holdTime ?? p.holdTime;
    const seconds = p.sendHoldTime ?? Math.max(480, 2 * hold);
    if (seconds <= 0) return;
    const arm = (queued: number) => {
      conn.sendHold = setTimeout(
        () =>
          this.guard("send hold timer", conn, () => {
            conn.sendHold = undefined;
            const now = conn.socket.writableLength;
            if (now === 0) return; // everything left: 'drain' is on its way
            if (now < queued) arm(now);
            else this.sendHoldExpired(conn);
          }),
        seconds * 1000,
      );
      conn.sendHold.unref?.();
    };
    arm(conn.socket.writableLength);
    conn.socket.once("drain", () => {
      clearTimeout(conn.sendHold);
      conn.sendHold = undefined;
    });
  }

  /** RFC 9687 §4: the peer read nothing for the send hold time: NOTIFICATION 8, close. */
  private sendHoldExpired(conn: Conn): void {
    const owner = this.ownerOf(conn);
    if (!owner || conn.closed) return;
    this.emit("warning", `send hold timer expired: ${this.address} stopped reading (RFC 9687)`);
    this.dispatch(owner, {
      type: "AutomaticStop",
      notification: { code: ErrorCode.SendHoldTimerExpired, subcode: 0, data: new Uint8Array(0) },
    });
    // The NOTIFICATION cannot get through a socket the peer does not read: close it now.
    conn.closed = true;
    conn.socket.destroy();
  }

  private attach(socket: Socket, direction: "outgoing" | "incoming"): Conn {
    const conn: Conn = {
      socket,
      direction,
      framer: new Framer(),
      ctx: DEFAULT_CONTEXT,
      closed: false,
    };
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.guard("data", conn, () => this.onData(conn, chunk)));
    const closed = () => {
      if (conn.closed) return;
      conn.closed = true;
      const owner = this.ownerOf(conn);
      if (owner) this.dispatch(owner, { type: "TcpConnectionFails" });
    };
    socket.on("close", () => this.guard("close", conn, closed));
    socket.on("end", () => this.guard("end", conn, closed));
    socket.on("error", () => this.guard("socket error", conn, closed));
    const p = this.settings.peer;
    if (p.ttlSecurity !== undefined) applyMinTtl(socket, 256 - p.ttlSecurity);
    return conn;
  }

  private ownerOf(conn: Conn): Runner | undefined {
    if (this.main.conn === conn) return this.main;
    if (this.second?.conn === conn) return this.second;
    return undefined;
  }

  private startCompanion(conn: Conn): void {
    const r = companion(this.main.fsm, conn.direction, this.host.now());
    this.second = { fsm: r.state, conn };
    this.perform(this.second, r.actions);
    this.rearm();
  }

  /**
   * One read: messages are taken one at a time, so each is handled before the
   * next header is looked at — a message processed first may raise the
   * maximum length (Extended Message once Established, RFC 8654), and a broken
   * header after complete messages is answered after them.
   */
  private onData(conn: Conn, chunk: Buffer): void {
    conn.framer.feed(chunk);
    for (;;) {
      const owner = this.ownerOf(conn);
      if (!owner || conn.closed) return;
      conn.framer.maxLength = maxMessageLength(conn.ctx);
      let decoded: DecodedMessage;
      try {
        const bytes = conn.framer.next();
        if (!bytes) return;
        decoded = decodeMessage(bytes, conn.ctx);
      } catch (e) {
        // A BgpDecodeError is the peer's: the FSM answers it. Anything else is ours.
        const event = errorEvent(e);
        if (!event) throw e;
        this.dispatch(owner, event);
        return;
      }
      this.received[COUNTER_OF[decoded.message.type]]++;
      this.onMessage(owner, decoded);
    }
  }

  /**
   * Runs `fn`; a throw is contained here: counted, reported as a
   * "session-error" event (and a warning), and the session ends with a Cease /
   * Out of Resources (RFC 4486 §4, event AutomaticStop of RFC 4271 §8.1.2) —
   * the speaker and its other sessions go on. A throw while doing that only
   * drops the connections.
   */
  private guard(where: string, conn: Conn | undefined, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.contain(where, conn, e);
    }
  }

  private contain(where: string, conn: Conn | undefined, e: unknown): void {
    this.internalErrors++;
    const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
    this.report({ where, message: text, ended: true });
    if (this.failing || this.destroyed) {
      this.dropAll();
      return;
    }
    this.failing = true;
    try {
      const owner = (conn && this.ownerOf(conn)) ?? this.main;
      this.dispatch(owner, {
        type: "AutomaticStop",
        notification: cease(CeaseSubcode.OutOfResources),
      });
      // The throw may have come between an FSM step and its "drop" action: a
      // runner already Idle (or a connection no runner owns) keeps no socket.
      for (const r of [this.main, this.second]) {
        if (r?.conn && r.fsm.state === "Idle") {
          r.conn.closed = true;
          r.conn.socket.destroy();
          r.conn = undefined;
        }
      }
      if (conn && !this.ownerOf(conn) && !conn.closed) {
        conn.closed = true;
        conn.socket.destroy();
      }
      this.settle(this.main.fsm);
      this.rearm();
    } catch (again) {
      this.internalErrors++;
      const t = again instanceof Error ? (again.stack ?? again.message) : String(again);
      this.report({ where: `${where} (ending the session)`, message: t, ended: true });
      this.dropAll();
    } finally {
      this.failing = false;
    }
  }

  /** Last resort after a contained error: close every connection; the FSM sees them fail. */
  private dropAll(): void {
    for (const c of [this.main.conn, this.second?.conn]) {
      if (!c) continue;
      c.closed = true;
      c.socket.destroy();
    }
    this.pendingOut?.destroy();
    this.pendingOut = undefined;
    try {
      this.main.conn = undefined;
      this.second = undefined;
      if (!this.destroyed) {
        const res = step(this.main.fsm, { type: "TcpConnectionFails" }, this.host.now());
        this.main.fsm = res.state;
        this.rearm();
        // The routes learned from the peer go, and the speaker hears of it.
        for (const a of res.actions) if (a.type === "session-down") this.onDown(a.reason);
      }
    } catch {
      // Nothing more can be done safely; the timer (if armed) retries later.
    }
  }

  /** Emits "session-error" and a warning; a throwing listener is not allowed to escape. */
  private report(info: SessionErrorInfo): void {
    try {
      this.emit("session-error", info);
      this.emit(
        "warning",
        `internal error (${info.where}) in the session with ${this.address}: ${info.message}`,
      );
    } catch {
      // A listener's own failure: nothing to report it to.
    }
  }

  private onMessage(owner: Runner, d: DecodedMessage): void {
    const m = d.message;
    switch (m.type) {
      case "open":
        this.onOpen(owner, m);
        return;
      case "keepalive":
        this.dispatch(owner, { type: "KeepAliveMsg" });
        return;
      case "notification":
        this.dispatch(owner, {
          type: "NotifMsg",
          notification: { code: m.code, subcode: m.subcode, data: m.data },
        });
        return;
      case "update":
        this.dispatch(owner, { type: "UpdateMsg", update: d });
        return;
      case "route-refresh":
        if (owner.fsm.state === "Established") {
          if (owner === this.main) this.onRouteRefresh(m.afi, m.safi, m.subtype);
        } else if (owner.fsm.state === "OpenSent" || owner.fsm.state === "OpenConfirm") {
          // RFC 6608 §4: a ROUTE-REFRESH before Established is an unexpected
          // message — FSM Error, subcode by state, data the message type (5).
          // RFC 4271 §8 has no event for it, so the session asks the FSM to
          // stop the connection with that NOTIFICATION (rather than leaving
          // the peer waiting until the hold timer).
          const sub =
            owner.fsm.state === "OpenSent"
              ? FsmSubcode.UnexpectedMessageInOpenSent
              : FsmSubcode.UnexpectedMessageInOpenConfirm;
          this.dispatch(owner, {
            type: "AutomaticStop",
            notification: fsmError(sub, MessageType.RouteRefresh),
          });
        }
        return;
    }
  }

  private onOpen(owner: Runner, open: OpenMessage): void {
    const desc = openDescriptor(open);
    const other = owner === this.main ? this.second : this.main;
    if (other?.conn) {
      const outcome = detectCollision(owner.fsm, other.fsm, desc);
      if (outcome === "dump-receiving") {
        this.dispatch(owner, { type: "OpenCollisionDump" });
        return;
      }
      // If the main connection loses, settle() makes the companion the session.
      if (outcome === "dump-other") this.dispatch(other, { type: "OpenCollisionDump" });
    }
    const target = owner.conn ? this.ownerOf(owner.conn) : undefined;
    if (target) this.dispatch(target, { type: "BGPOpen", open: desc });
  }

  private onRouteRefresh(afi: number, safi: number, subtype: number): void {
    if (subtype !== RouteRefreshSubtype.Normal) return; // BoRR/EoRR from the peer: nothing to do here
    // RFC 2918 §4: a family not negotiated for this session is ignored (no
    // BoRR/EoRR, no re-send). RFC 7313 §5: so is an unknown subtype (above).
    const negotiated = this.negotiated?.capabilities.families ?? [];
    if (!negotiated.some((f) => f.afi === afi && f.safi === safi)) return;
    const fam = familyName({ afi, safi });
    this.emit("route-refresh", fam);
    const conn = this.main.conn!;
    const q = this.outQueue;
    const out = this.host.rib.adjRibOut(this.address);
    if (!q || !out) return;
    const enhanced = !!this.negotiated?.capabilities.enhancedRouteRefresh;
    // RFC 7313 §4: BoRR, the full Adj-RIB-Out of the family, EoRR. Changes
    // already pending go out first, so BoRR starts a clean re-advertisement.
    if (enhanced) {
      q.flush();
      this.write(conn, { type: "route-refresh", afi, safi, subtype: RouteRefreshSubtype.BoRR });
    }
    out.resendAll();
    q.flush();
    if (enhanced)
      q.whenIdle(() =>
        this.write(conn, { type: "route-refresh", afi, safi, subtype: RouteRefreshSubtype.EoRR }),
      );
  }

  /** Steps one runner's FSM with an event and performs its actions. */
  private dispatch(r: Runner, event: FsmEvent): void {
    if (this.destroyed) return;
    const before = r.fsm;
    const res = step(r.fsm, event, this.host.now());
    r.fsm = res.state;
    this.perform(r, res.actions);
    if (r === this.main && before.state !== r.fsm.state)
      this.emit("state", before.state, r.fsm.state);
    this.settle(r === this.main ? before : this.main.fsm);
    this.rearm();
  }

  /**
   * After a step: forget a companion that reached Idle, and when the main
   * connection failed while a companion still runs (the peer closed our
   * connection to settle a collision its way, RFC 4271 §6.8), the companion
   * becomes the session, keeping the peer's back-off state.
   */
  private settle(mainBefore: Fsm): void {
    const second = this.second;
    if (second) {
      if (second.fsm.state === "Idle" || !second.conn) {
        this.second = undefined;
      } else if (this.main.fsm.state === "Idle") {
        const from = this.main.fsm.state;
        this.main = { ...second, fsm: promote(second.fsm, mainBefore) };
        this.second = undefined;
        this.emit("state", from, this.main.fsm.state);
      } else if (second.fsm.state === "Established") {
        // The companion's connection came up first: the main one loses the
        // collision (RFC 4271 §6.8); dumping it promotes the companion.
        this.dispatch(this.main, { type: "OpenCollisionDump" });
        return;
      }
    }
    if (this.syncPending && this.main.fsm.state === "Established") this.initialSync();
  }

  private perform(r: Runner, actions: readonly FsmAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case "connect":
          this.connect();
          break;
        case "drop":
        case "reject":
          if (r.conn) {
            r.conn.closed = true;
            r.conn.socket.destroySoon(); // flushes a NOTIFICATION written just before
            r.conn = undefined;
          }
          if (r === this.main && this.pendingOut) {
            this.pendingOut.destroy();
            this.pendingOut = undefined;
          }
          break;
        case "send-open":
          if (r.conn) {
            r.sentOpen = buildOpen(
              this.localCaps(),
              this.settings.peer.holdTime,
              this.host.routerId,
            );
            this.write(r.conn, r.sentOpen);
          }
          break;
        case "send-keepalive":
          if (r.conn) this.write(r.conn, KEEPALIVE);
          break;
        case "send-notification":
          // Cut to fit: the data of a reply may be a whole over-long message (RFC 7313 §5).
          if (r.conn) this.write(r.conn, notificationReply(a.notification, r.conn.ctx));
          break;
        case "session-up":
          this.onUp(r, a.session);
          break;
        case "session-down":
          this.onDown(a.reason);
          break;
        case "process-update":
          this.onUpdate(r, a.update as DecodedMessage | undefined);
          break;
        case "release":
          break;
      }
    }
    // Failures before Established are recorded too (status shows why a peer never comes up).
    if (r === this.main && r.fsm.lastError) this.recordError(r.fsm.lastError);
  }

  private seenError: SessionError | undefined;

  private recordError(err: SessionError): void {
    if (this.seenError === err) return;
    this.seenError = err;
    this.lastErr = {
      event: err.event,
      state: err.state,
      at: Math.round(err.at + this.wallOffset),
      ...(err.reason ? { reason: err.reason } : {}),
      ...(err.sent ? { sent: notificationInfo(err.sent) } : {}),
      ...(err.received ? { received: notificationInfo(err.received) } : {}),
    };
  }

  private connect(): void {
    if (this.pendingOut || this.destroyed) return;
    const p = this.settings.peer;
    const internal = this.settings.peerAs === this.localAs || this.settings.peerAs === "internal";
    const ttl = p.ttlSecurity !== undefined ? 255 : (p.multihop ?? (internal ? 64 : 1));
    let sock: Socket;
    try {
      sock = connectTcp({
        remoteAddress: p.address,
        remotePort: p.port,
        ...(p.localAddress ? { localAddress: p.localAddress } : {}),
        ttl,
        ...(p.ttlSecurity !== undefined ? { minTtl: 256 - p.ttlSecurity } : {}),
        ...(p.password ? { md5: p.password } : {}),
        ...(this.host.netns ? { netns: this.host.netns } : {}),
      });
    } catch (e) {
      this.emit("warning", `cannot connect to ${p.address}: ${(e as Error).message}`);
      queueMicrotask(() =>
        this.guard("connect", undefined, () =>
          this.dispatch(this.main, { type: "TcpConnectionFails" }),
        ),
      );
      return;
    }
    this.pendingOut = sock;
    const fail = () =>
      this.guard("connect", undefined, () => {
        if (this.pendingOut !== sock) return;
        this.pendingOut = undefined;
        sock.destroy();
        if (!this.main.conn) this.dispatch(this.main, { type: "TcpConnectionFails" });
      });
    // `on`, not `once`: a second "error" with no listener would throw out of the socket.
    sock.on("error", fail);
    sock.once("close", fail);
    sock.once("connect", () => this.guard("connect", undefined, () => this.connected(sock, fail)));
  }

  private connected(sock: Socket, fail: () => void): void {
    if (this.pendingOut !== sock) return;
    this.pendingOut = undefined;
    sock.off("error", fail);
    sock.off("close", fail);
    const policy = connectionPolicy(this.main.fsm);
    if (policy === "refuse" || (policy === "track" && this.second)) {
      sock.on("error", () => {});
      sock.destroy();
      return;
    }
    const conn = this.attach(sock, "outgoing");
    if (policy === "use") {
      this.main.conn = conn;
      this.dispatch(this.main, { type: "Tcp_CR_Acked" });
    } else this.startCompanion(conn);
  }

  private onUp(r: Runner, session: NegotiatedSession): void {
    this.negotiated = session;
    this.restarting = false; // R only in the first OPEN after our restart
    if (this.staleCount()) this.peerReturned(session);
    this.learnedAs = session.peerAs;
    if (r.conn) r.conn.ctx = contextOf(session);
    this.maxPrefixWarned = false;
    this.registerWithRib(session, r.conn);
    this.emit("up", sessionInfo(session));
    // The routes go out once this runner is the session (see afterStep): a
    // companion that reaches Established is promoted first.
    this.syncPending = true;
  }

  private syncPending = false;

  /** RFC 4271 §9.4: the whole Adj-RIB-Out, then End-of-RIB per family (RFC 4724 §2). */
  private initialSync(): void {
    const conn = this.main.conn;
    const session = this.negotiated;
    this.syncPending = false;
    if (!conn || !session || !this.inRib) return;
    this.closeOut();
    const out = this.host.rib.startExport(this.address);
    const q = new OutQueue(out, conn.socket, conn.ctx, this.host.updateDelayMs, {
      open: () => !conn.closed && this.main.conn === conn,
      carries: (p) => this.carries(p),
      sent: (n, ok) => {
        this.sent.update += n;
        this.main.fsm = updateSent(this.main.fsm, this.host.now());
        this.watchSend(conn, ok);
      },
      guard: (where, fn) => this.guard(where, conn, fn),
    });
    this.outQueue = q;
    q.flush();
    q.whenIdle(() => {
      for (const f of session.capabilities.families) this.write(conn, endOfRib(f.afi, f.safi));
      this.rearm();
    });
  }

  private onDown(reason: SessionError): void {
    this.flaps++;
    this.syncPending = false;
    this.recordError(reason);
    const gr = this.negotiated?.capabilities.gracefulRestart;
    this.closeOut();
    if (!this.destroyed && keepsRoutes(gr, reason) && gr!.restartTime > 0) {
      this.keepStale(gr!);
    } else {
      this.sweepStale(undefined, "down");
      if (this.inRib && this.host.rib.pathCount(this.address) > 0) {
        const withdrawn: string[] = [];
        if (this.listenerCount("routes") > 0)
          for (const { prefix, path } of this.host.rib.routes({
            peer: this.address,
            bestOnly: false,
          }))
            withdrawn.push(routeKey(prefixText(prefix), path.pathId || undefined));
        this.host.rib.flushPeer(this.address);
        if (withdrawn.length)
          this.emit("routes", { announced: [], withdrawn, treatedAsWithdraw: false });
      }
    }
    this.host.changed();
    this.emit("down", this.lastErr!);
    this.negotiated = undefined;
  }

  private onUpdate(r: Runner, d: DecodedMessage | undefined): void {
    const conn = r.conn;
    if (d?.message.type !== "update" || !conn || !this.inRib) return;
    const msg = d.message;
    const eor = endOfRibFamily(msg);
    if (eor) {
      const fam = familyName(eor);
      this.emit("end-of-rib", fam);
      // RFC 4724 §4.2: End-of-RIB ends the wait; what is still stale goes.
      if (this.staleCount()) this.sweepStale(fam, "end-of-rib");
      return;
    }
    const rib = this.host.rib;
    const id = this.address;
    // The "routes" event (what this UPDATE changed in the peer's Adj-RIB-In)
    // is worked out only when someone listens: a full table costs nothing extra.
    const listening = this.listenerCount("routes") > 0;
    const gone: string[] = [];
    if (listening) {
      for (const p of withdrawnPrefixes(msg, d.action === "treat-as-withdraw"))
        if (rib.hasPath(id, p)) gone.push(routeKey(prefixText(p), p.pathId));
    }
    const res = applyUpdate(rib, id, msg, d.action);
    for (const a of res.announced) {
      if (a.infeasible)
        this.emit("warning", `route(s) from ${id} treated as withdrawn: ${a.infeasible.message}`);
    }
    if (listening) {
      const changes = routesFromUpdate(msg, conn.ctx, d.action);
      const nlri = announcedPrefixes(msg);
      const announced = changes.announced.filter((_, i) => {
        const p = nlri[i];
        return p !== undefined && rib.hasPath(id, p);
      });
      if (announced.length || gone.length || changes.treatedAsWithdraw) {
        this.emit("routes", {
          announced,
          withdrawn: gone,
          treatedAsWithdraw: changes.treatedAsWithdraw,
        });
      }
    }
    this.host.changed();
    if (res.maxPrefix) this.onMaxPrefix(res.maxPrefix);
  }

  /** Max-prefix reached (RFC 4486 §4): warn once, or Cease/1 and restart later if configured. */
  private onMaxPrefix(state: "warn" | "exceeded"): void {
    const mp = this.settings.peer.maxPrefix;
    if (!mp) return;
    const count = this.routeCount();
    if (state === "warn" || mp.action === "warn") {
      if (!this.maxPrefixWarned)
        this.emit("warning", `max-prefix: ${this.address} sent ${count} routes, limit ${mp.limit}`);
      this.maxPrefixWarned = true;
      return;
    }
    this.emit(
      "warning",
      `max-prefix: ${this.address} exceeded the limit of ${mp.limit} routes: Cease / Maximum Number of Prefixes Reached`,
    );
    // RFC 4486 §4: the data field may carry AFI, SAFI and the limit; we send the limit's family-less form (none).
    this.dispatch(this.main, {
      type: "ManualStop",
      notification: cease(CeaseSubcode.MaximumPrefixesReached),
    });
    if (mp.restartAfterSec !== undefined) {
      clearTimeout(this.maxPrefixTimer);
      this.maxPrefixTimer = setTimeout(() => {
        this.maxPrefixTimer = undefined;
        if (!this.destroyed) this.start();
      }, mp.restartAfterSec * 1000);
      this.maxPrefixTimer.unref?.();
    }
  }

  private write(conn: Conn, msg: BgpMessage): void {
    if (conn.closed) return;
    const ok = conn.socket.write(encodeMessage(msg, conn.ctx));
    this.sent[COUNTER_OF[msg.type]]++;
    if (msg.type === "update" && conn === this.main.conn)
      this.main.fsm = updateSent(this.main.fsm, this.host.now());
    this.watchSend(conn, ok);
  }

  /** Arms one timer for the earliest FSM deadline of either runner. */
  private rearm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.destroyed) return;
    const a = nextDeadline(this.main.fsm)?.at;
    const b = this.second ? nextDeadline(this.second.fsm)?.at : undefined;
    const at = a === undefined ? b : b === undefined ? a : Math.min(a, b);
    if (at === undefined) return;
    const delay = Math.max(0, at - this.host.now());
    this.timer = setTimeout(
      () => this.guard("timer", undefined, () => this.onTimer()),
      Math.ceil(delay),
    );
    this.timer.unref?.();
  }

  private onTimer(): void {
    this.timer = undefined;
    const now = this.host.now();
    const mainBefore = this.main.fsm;
    for (const r of [this.main, this.second]) {
      if (!r) continue;
      const before = r.fsm.state;
      const res = fireDue(r.fsm, now);
      r.fsm = res.state;
      this.perform(r, res.actions);
      if (r === this.main && before !== r.fsm.state) this.emit("state", before, r.fsm.state);
    }
    this.settle(mainBefore);
    this.rearm();
  }
}

/** `a.b.c.d/len` (or IPv6 text) of a prefix, without a temporary buffer for IPv4. */
function prefixText(p: Prefix): string {
  if (p.afi !== 1) return formatPrefix(p);
  const b = p.bytes;
  return `${b[0] ?? 0}.${b[1] ?? 0}.${b[2] ?? 0}.${b[3] ?? 0}/${p.length}`;
}

function withPathId(p: Prefix, pathId: number): Prefix {
  return pathId === 0 ? p : { ...p, pathId };
}

/** The prefixes an UPDATE withdraws (all it names under treat-as-withdraw, RFC 7606 §2). */
function withdrawnPrefixes(msg: UpdateMessage, all: boolean): Prefix[] {
  const out: Prefix[] = [...msg.withdrawn];
  for (const a of msg.attributes) if (a.type === "mp-unreach") out.push(...a.withdrawn);
  if (all) out.push(...announcedPrefixes(msg));
  return out;
}

/** The prefixes an UPDATE announces, NLRI field first, in `routesFromUpdate` order. */
function announcedPrefixes(msg: UpdateMessage): Prefix[] {
  const out: Prefix[] = [...msg.nlri];
  for (const a of msg.attributes) if (a.type === "mp-reach") out.push(...a.nlri);
  return out;
}

/** Strips the IPv4-mapped prefix that dual-stack sockets report. */
export function normalise(addr: string): string {
  return addr.startsWith("::ffff:") && addr.includes(".") ? addr.slice(7) : addr;
}

function sessionInfo(s: NegotiatedSession): SessionInfo {
  const c = s.capabilities;
  return {
    peerAs: s.peerAs,
    peerRouterId: formatBgpId(s.peerBgpId),
    internal: s.internal,
    holdTime: s.holdTime,
    keepaliveTime: s.keepaliveTime,
    families: c.families.map(familyName),
    fourOctetAs: c.fourOctetAs,
    extendedMessage: c.extendedMessage,
    routeRefresh: c.routeRefresh,
    enhancedRouteRefresh: c.enhancedRouteRefresh,
    addPath: c.addPath.map((a) => ({ family: familyName(a), send: a.send, receive: a.receive })),
    gracefulRestart: c.gracefulRestart !== undefined,
    ...(c.peerFqdn ? { peerHostname: c.peerFqdn.hostname } : {}),
  };
}

/** GTSM on an accepted socket: drop segments with TTL below `minTtl` (RFC 5082 §3). */
function applyMinTtl(socket: Socket, minTtl: number): void {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) return;
  try {
    setMinTtl(fd, normalise(socket.remoteAddress ?? "").includes(":") ? 6 : 4, minTtl);
  } catch {
    // the socket may already be closed
  }
}
