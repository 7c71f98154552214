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
// What the session does with routes (the peer in the RIB, UPDATEs in, the
// Adj-RIB-Out out, stale routes) is peer-rib.ts; what its configuration
// means for the FSM and the OPEN is session-options.ts.
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
  fireDue,
  fsmError,
  type NegotiatedSession,
  nextDeadline,
  promote,
  type SessionError,
  type SessionState,
  step,
  updateSent,
} from "../fsm/index.js";
import {
  CeaseSubcode,
  ErrorCode,
  FsmSubcode,
  MessageType,
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
  Framer,
  KEEPALIVE,
  maxMessageLength,
  type OpenMessage,
  shutdownNotification,
} from "../wire/index.js";
import type { PeerConfig } from "./config.js";
import { keepsRoutes, type LocalGracefulRestart } from "./graceful-restart.js";
import {
  buildOpen,
  contextOf,
  familyName,
  type LocalCapabilities,
  openDescriptor,
} from "./open-map.js";
import { PeerRib } from "./peer-rib.js";
import { ReadTurns } from "./read-turns.js";
import { errorEvent, notificationReply } from "./replies.js";
import { SendHoldTimer, sendHoldSeconds } from "./send-hold.js";
import { applyTtl, lastError, normalise, peerStatus, sessionInfo } from "./session-info.js";
import {
  fsmOptions,
  localCapabilities,
  localGracefulRestart,
  sessionLocalAs,
} from "./session-options.js";
import {
  COUNTER_OF,
  type LastError,
  type PeerStatus,
  type SessionErrorInfo,
  type SessionEvents,
  type SessionHost,
  type SessionSettings,
  zeroCounters,
} from "./session-types.js";
import { connectTcp } from "./transport.js";

export { normalise } from "./session-info.js";
export type {
  LastError,
  MessageCounters,
  NotificationInfo,
  PeerStatus,
  SessionErrorInfo,
  SessionEvents,
  SessionHost,
  SessionInfo,
  SessionSettings,
} from "./session-types.js";

interface Conn {
  readonly socket: Socket;
  readonly direction: "outgoing" | "incoming";
  readonly framer: Framer;
  ctx: CodecContext;
  closed: boolean;
  /** RFC 9687 send hold timer: armed while the socket does not take our writes. */
  readonly sendHold: SendHoldTimer;
  /** Messages handled per turn of the event loop (read-turns.ts). */
  readonly turns: ReadTurns;
}

interface Runner {
  fsm: Fsm;
  conn?: Conn;
  /** The OPEN we sent on this connection (for the codec context). */
  sentOpen?: OpenMessage;
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
  /** When the armed `timer` fires (ms on the host clock). */
  private timerAt = 0;
  private readonly sent = zeroCounters();
  private readonly received = zeroCounters();
  /** The peer's routes in the speaker's RIB: UPDATEs in, Adj-RIB-Out out, stale routes. */
  private readonly routes: PeerRib;
  /** Max-prefix restart timer (RFC 4486 Cease/1 then `restartAfterSec`). */
  private maxPrefixTimer: NodeJS.Timeout | undefined;
  private flaps = 0;
  private negotiated: NegotiatedSession | undefined;
  private lastErr: LastError | undefined;
  private learnedAs: number | undefined;
  private destroyed = false;
  private readonly wallOffset: number;
  private internalErrors = 0;
  /** Set while a contained error is being handled (a second one then only drops the connections). */
  private failing = false;
  /** The R bit is set on the first session after a restart only. */
  private restarting: boolean;

  constructor(
    private readonly host: SessionHost,
    readonly settings: SessionSettings,
  ) {
    super();
    this.address = settings.peer.address;
    this.wallOffset = Date.now() - host.now();
    this.restarting = !!host.restarting;
    this.main = {
      fsm: createFsm(fsmOptions(settings, host, this.localCaps(), false), host.now()),
    };
    this.routes = new PeerRib(host, this.address, {
      routes: (changes) => this.emit("routes", changes),
      listening: () => this.listenerCount("routes") > 0,
      endOfRib: (family) => this.emit("end-of-rib", family),
      stale: (keys, restartTime) => this.emit("stale", { keys, restartTime }),
      warning: (m) => this.emit("warning", m),
      guard: (where, fn) => this.guard(where, undefined, fn),
    });
  }

  /** Our graceful-restart settings for this session (the peer's override, or the speaker's). */
  private get localGr(): LocalGracefulRestart | undefined {
    return localGracefulRestart(this.settings, this.host);
  }

  private get localAs(): number {
    return sessionLocalAs(this.settings, this.host);
  }

  private localCaps(): LocalCapabilities {
    return localCapabilities(this.settings, this.host, this.restarting);
  }

  /** Current FSM state. */
  get state(): SessionState {
    return this.main.fsm.state;
  }

  /** Number of routes from this peer in the RIB (its Adj-RIB-In after import filters). */
  routeCount(): number {
    return this.routes.routeCount();
  }

  /** Number of routes kept stale from this peer (RFC 4724 §4.2). */
  staleCount(): number {
    return this.routes.staleCount();
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
      this.routes.gr.sweep(undefined, "stopped");
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
    clearTimeout(this.maxPrefixTimer);
    this.maxPrefixTimer = undefined;
    this.routes.remove();
    this.pendingOut?.destroy();
    this.pendingOut = undefined;
    // stop()'s "drop" already closed (flushing its NOTIFICATION) what the FSM knew of.
    for (const c of [this.main.conn, this.second?.conn]) c?.socket.destroy();
    this.main.conn = undefined;
    this.second = undefined;
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
    this.routes.scheduleOut();
  }

  /** Changes waiting in this peer's Adj-RIB-Out, and whether its socket pushes back. */
  outState(): { pending: number; blocked: boolean } {
    return this.routes.outState();
  }

  /** The status of this peer. */
  status(): PeerStatus {
    const conn = this.main.conn;
    return peerStatus({
      peer: this.settings.peer,
      settings: this.settings,
      asn: this.learnedAs ?? this.settings.peerAs,
      localAsn: this.localAs,
      fsm: this.main.fsm,
      now: this.host.now(),
      wallOffset: this.wallOffset,
      ...(conn && !conn.closed
        ? { connection: { direction: conn.direction, socket: conn.socket } }
        : {}),
      ...(this.negotiated ? { negotiated: this.negotiated } : {}),
      messages: { sent: { ...this.sent }, received: { ...this.received } },
      prefixes: {
        received: this.routeCount(),
        advertised: this.routes.advertisedCount(),
        stale: this.staleCount(),
      },
      flaps: this.flaps,
      internalErrors: this.internalErrors,
      ...(this.lastErr ? { lastError: this.lastErr } : {}),
    });
  }

  /** Routes kept from the restarting peer (keys), not yet refreshed. */
  staleRoutes(): string[] {
    return this.routes.staleRoutes();
  }

  // ---- the edge ---------------------------------------------------------

  /** Applies a changed import/export configuration (route refresh on policy change). */
  reconfigure(peer: PeerConfig): { needsRefresh: boolean } {
    (this.settings as { peer: PeerConfig }).peer = peer;
    const r = this.routes.applyPolicies(peer);
    if (r.needsRefresh) this.requestRefresh();
    return r;
  }

  /** RFC 9687: after a write that the socket did not take, the send hold timer runs. */
  private watchSend(conn: Conn, ok: boolean): void {
    if (ok || conn.closed) return;
    const p = this.settings.peer;
    conn.sendHold.wrote(
      ok,
      sendHoldSeconds(p.sendHoldTime, this.negotiated?.holdTime ?? p.holdTime),
    );
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
      sendHold: new SendHoldTimer(
        socket,
        (fn) => this.guard("send hold timer", conn, fn),
        () => this.sendHoldExpired(conn),
      ),
      turns: new ReadTurns(socket),
    };
    socket.once("close", () => conn.sendHold.stop());
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
    // An outgoing socket got these before its SYN (connect()).
    if (direction === "incoming") applyTtl(socket, this.ttl(), this.minTtl());
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

  /** One read: its messages are handled, a turn's worth at a time (read-turns.ts). */
  private onData(conn: Conn, chunk: Buffer): void {
    conn.framer.feed(chunk);
    conn.turns.read();
    this.handleMessages(conn);
  }

  /** The rest of what `conn` read waits for its turn among the held sessions (read-turns.ts). */
  private later(conn: Conn): void {
    conn.turns.endTurn(() =>
      this.guard("data", conn, () => {
        conn.turns.turn();
        this.handleMessages(conn);
      }),
    );
  }

  /**
   * Handles the messages read so far, one at a time, so each is handled
   * before the next header is looked at — a message processed first may
   * raise the maximum length (Extended Message once Established, RFC 8654),
   * and a broken header after complete messages is answered after them.
   * When the turn's share is spent, the rest waits for the next turn of the
   * event loop and the socket reads nothing meanwhile.
   */
  private handleMessages(conn: Conn): void {
    for (;;) {
      const owner = this.ownerOf(conn);
      if (!owner || conn.closed) return;
      conn.framer.maxLength = maxMessageLength(conn.ctx);
      let decoded: DecodedMessage;
      let spent: boolean;
      try {
        const bytes = conn.framer.next();
        if (!bytes) {
          conn.turns.drained();
          return;
        }
        spent = conn.turns.spend(bytes.length);
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
      if (spent) {
        // The turn's share is spent: the rest waits for the session's next turn.
        this.later(conn);
        return;
      }
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
    const enhanced = !!this.negotiated?.capabilities.enhancedRouteRefresh;
    // RFC 7313 §4: BoRR, the full Adj-RIB-Out of the family, EoRR.
    const rr = (subtype: number) => () =>
      this.write(conn, { type: "route-refresh", afi, safi, subtype });
    this.routes.resend(
      enhanced
        ? { borr: rr(RouteRefreshSubtype.BoRR), eorr: rr(RouteRefreshSubtype.EoRR) }
        : undefined,
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
    // Settling a connection collision (Cease/7, RFC 4271 §6.8; RFC 4486 §4)
    // closes one of two connections by design: it is not why a peer is not up,
    // and recording it would hide the cause that is (a refused AS, a bad id).
    if (isCollisionCease(err.sent) || isCollisionCease(err.received)) return;
    this.lastErr = lastError(err, this.wallOffset);
  }

  /** TTL of our packets: 255 for GTSM (RFC 5082 §3), else the multihop count, 64 iBGP, 1 eBGP. */
  private ttl(): number {
    const p = this.settings.peer;
    const internal = this.settings.peerAs === this.localAs || this.settings.peerAs === "internal";
    return p.ttlSecurity !== undefined ? 255 : (p.multihop ?? (internal ? 64 : 1));
  }

  /** GTSM: the lowest TTL accepted from a peer at most `ttlSecurity` hops away (RFC 5082 §3). */
  private minTtl(): number | undefined {
    const hops = this.settings.peer.ttlSecurity;
    return hops === undefined ? undefined : 256 - hops;
  }

  private connect(): void {
    if (this.pendingOut || this.destroyed) return;
    const p = this.settings.peer;
    const ttl = this.ttl();
    const minTtl = this.minTtl();
    let sock: Socket;
    try {
      sock = connectTcp({
        remoteAddress: p.address,
        remotePort: p.port,
        ...(p.localAddress ? { localAddress: p.localAddress } : {}),
        ttl,
        ...(minTtl !== undefined ? { minTtl } : {}),
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
    if (this.staleCount()) this.routes.gr.peerReturned(session, this.localGr?.staleTime ?? 360);
    this.learnedAs = session.peerAs;
    if (r.conn) r.conn.ctx = contextOf(session);
    this.routes.register(session, {
      peer: this.settings.peer,
      socketAddress: normalise(r.conn?.socket.localAddress ?? ""),
      ...(this.localAs !== this.host.asn ? { localAs: this.localAs } : {}),
    });
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
    if (!conn || !session) return;
    this.routes.startSending({
      socket: conn.socket,
      ctx: conn.ctx,
      open: () => !conn.closed && this.main.conn === conn,
      sent: (n, ok) => {
        this.sent.update += n;
        this.main.fsm = updateSent(this.main.fsm, this.host.now());
        this.watchSend(conn, ok);
      },
      synced: () => {
        for (const f of session.capabilities.families) this.write(conn, endOfRib(f.afi, f.safi));
        this.rearm();
      },
      guard: (where, fn) => this.guard(where, conn, fn),
    });
  }

  private onDown(reason: SessionError): void {
    this.flaps++;
    this.syncPending = false;
    this.recordError(reason);
    const gr = this.negotiated?.capabilities.gracefulRestart;
    const keep = !this.destroyed && keepsRoutes(gr, reason) && gr!.restartTime > 0;
    this.routes.down(keep ? gr : undefined);
    this.host.changed();
    this.emit("down", this.lastErr!);
    this.negotiated = undefined;
  }

  private onUpdate(r: Runner, d: DecodedMessage | undefined): void {
    const conn = r.conn;
    if (!d || !conn) return;
    if (this.routes.update(d, conn.ctx, this.settings.peer.maxPrefix)) this.onMaxPrefix();
  }

  /** Max-prefix exceeded with action teardown (RFC 4486 §4): Cease/1, and restart later if configured. */
  private onMaxPrefix(): void {
    const mp = this.settings.peer.maxPrefix!;
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
    const a = this.destroyed ? undefined : nextDeadline(this.main.fsm)?.at;
    const b = this.second && !this.destroyed ? nextDeadline(this.second.fsm)?.at : undefined;
    const at = a === undefined ? b : b === undefined ? a : Math.min(a, b);
    // A timer already armed to fire no later than needed is kept: at worst it
    // wakes the session early (onTimer fires only what is due, then re-arms).
    // Every received message moves the hold timer on (RFC 4271 §8.2.2), so
    // this is one timer per hold period instead of one per UPDATE.
    if (at !== undefined && this.timer !== undefined && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (at === undefined) return;
    this.timerAt = at;
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

/** A NOTIFICATION Cease, subcode Connection Collision Resolution (RFC 4486 §4). */
function isCollisionCease(n: { code: number; subcode: number } | undefined): boolean {
  return n?.code === ErrorCode.Cease && n.subcode === CeaseSubcode.ConnectionCollisionResolution;
}
