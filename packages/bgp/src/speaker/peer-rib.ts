// One peer's side of the speaker's RIB — everything a session does with
// routes, kept out of the session (session.ts: sockets, FSM, timers):
//
//   register(session)     the peer in the RIB (addPeer, or setSession when back)
//   update(decoded)       an UPDATE into its Adj-RIB-In (applyUpdate) + the "routes" event,
//                         End-of-RIB (RFC 4724), max-prefix warnings (RFC 4486)
//   startSending(link)    its Adj-RIB-Out: initial export, then changes (OutQueue),
//                         End-of-RIB per family when the initial export is out
//   resend(...)           ROUTE-REFRESH from the peer: the Adj-RIB-Out again (RFC 2918, 7313)
//   down(keep)            session down: its routes kept stale (RFC 4724) or withdrawn
//   remove()              peer removed: out of the RIB
//
// The session owns the connection and tells this object what happened on
// it; this object never writes to a socket itself except through the
// OutQueue it is given a link for.
import type { Socket } from "node:net";
import { formatBgpId, type NegotiatedSession } from "../fsm/index.js";
import type { Rib } from "../rib/rib.js";
import { applyUpdate } from "../rib/update.js";
import type { CodecContext, DecodedMessage, Prefix } from "../wire/index.js";
import { endOfRibFamily } from "../wire/index.js";
import type { MaxPrefixConfig, PeerConfig } from "./config.js";
import { GrHelper } from "./gr-helper.js";
import { localSubnets } from "./local-subnets.js";
import { familyName } from "./open-map.js";
import { OutQueue } from "./out-queue.js";
import { peerPolicies, ribPeerConfig } from "./rib-peer.js";
import { type RouteChanges, routeKey, routesFromUpdate } from "./routes.js";
import type { SessionHost } from "./session-types.js";
import { heldIndices, lazyArray, prefixText, withdrawnPrefixes } from "./update-prefixes.js";

type PeerGr = NonNullable<NegotiatedSession["capabilities"]["gracefulRestart"]>;

/** What a peer's RIB side tells its session (which turns it into events). */
export interface PeerRibEvents {
  /** The peer's Adj-RIB-In changed (the session's "routes" event). */
  readonly routes: (changes: RouteChanges) => void;
  /** Whether anyone listens to "routes" (no per-route objects are made otherwise). */
  readonly listening: () => boolean;
  /** The peer sent End-of-RIB for a family (RFC 4724 §2). */
  readonly endOfRib: (family: string) => void;
  /** Routes are now kept stale (RFC 4724 §4.2). */
  readonly stale: (keys: string[], restartTime: number) => void;
  readonly warning: (message: string) => void;
  /** Runs a callback in the session's containment guard. */
  readonly guard: (where: string, fn: () => void) => void;
}

/** The Established connection the Adj-RIB-Out is sent on. */
export interface SendLink {
  readonly socket: Socket;
  readonly ctx: CodecContext;
  /** The connection is still the session's and open. */
  readonly open: () => boolean;
  /** UPDATEs were written (`ok`: what write() returned). */
  readonly sent: (messages: number, ok: boolean) => void;
  /** The initial export is out: End-of-RIB per family (the session writes them). */
  readonly synced: () => void;
  /** Runs a callback in the session's containment guard (for this connection). */
  readonly guard: (where: string, fn: () => void) => void;
}

/** One peer's routes in the speaker's RIB: in (UPDATEs), out (Adj-RIB-Out), stale (GR). */
export class PeerRib {
  /** Registered with the RIB (from the first Established until removed). */
  #registered = false;
  #out: OutQueue | undefined;
  /** Max-prefix: the warning was given (once per session). */
  #maxPrefixWarned = false;
  /** Families the current session negotiated (routes of others are not sent). */
  #families: NegotiatedSession["capabilities"]["families"] = [];
  /** Graceful restart, helper role: the peer's stale routes and their timers (RFC 4724 §4.2). */
  readonly gr: GrHelper;

  constructor(
    private readonly host: SessionHost,
    /** The peer's id in the RIB (its address). */
    readonly id: string,
    private readonly events: PeerRibEvents,
  ) {
    this.gr = new GrHelper({
      rib: host.rib,
      id,
      registered: () => this.#registered,
      routesGone: (withdrawn) =>
        events.routes({ announced: [], withdrawn, treatedAsWithdraw: false }),
      stale: (keys, restartTime) => events.stale(keys, restartTime),
      warning: (m) => events.warning(m),
      changed: () => host.changed(),
      guard: (where, fn) => events.guard(where, fn),
      now: () => host.now(),
    });
  }

  get #rib(): Rib {
    return this.host.rib;
  }

  /** The peer is registered with the RIB. */
  get registered(): boolean {
    return this.#registered;
  }

  /** Routes from the peer in the RIB (its Adj-RIB-In after import policy). */
  routeCount(): number {
    return this.#registered ? this.#rib.pathCount(this.id) : 0;
  }

  /** Routes kept stale from the peer (RFC 4724 §4.2). */
  staleCount(): number {
    return this.#registered ? this.#rib.staleCount(this.id) : 0;
  }

  /** Routes advertised to the peer. */
  advertisedCount(): number {
    return this.#registered ? (this.#rib.adjRibOut(this.id)?.size ?? 0) : 0;
  }

  /** Routes kept from the restarting peer (keys), not yet refreshed. */
  staleRoutes(): string[] {
    return this.#registered ? this.gr.staleRoutes() : [];
  }

  /**
   * Registers the peer with the RIB for a session that just came up, or
   * updates what its new session negotiated.
   */
  register(
    session: NegotiatedSession,
    opts: {
      readonly peer: PeerConfig;
      /** Our address on the connection (next hop self, shared subnets). */
      readonly socketAddress: string;
      /** The session's local AS when it is not the speaker's. */
      readonly localAs?: number;
    },
  ): void {
    const rib = this.#rib;
    const id = this.id;
    this.#families = session.capabilities.families;
    this.#maxPrefixWarned = false;
    // A peer with no paths left is registered anew (its local address may have changed).
    if (this.#registered && rib.pathCount(id) === 0) {
      rib.removePeer(id);
      this.#registered = false;
    }
    if (!this.#registered) {
      const link = localSubnets(opts.socketAddress, this.host.netns);
      rib.addPeer(
        ribPeerConfig({
          address: id,
          peer: opts.peer,
          session,
          ...(opts.localAs !== undefined ? { localAs: opts.localAs } : {}),
          socketAddress: opts.socketAddress,
          sharedSubnets: link.subnets,
          ...(link.iface !== undefined ? { interface: link.iface } : {}),
          ...(link.address6 !== undefined ? { interfaceAddress6: link.address6 } : {}),
        }),
      );
      this.#registered = true;
    } else {
      const c = session.capabilities;
      rib.setSession(id, {
        routerId: formatBgpId(session.peerBgpId),
        fourOctetAs: c.fourOctetAs,
        addPathSend: c.addPath.some((a) => a.send),
      });
    }
  }

  /** New import/export policies (route refresh on policy change); whether the peer must be asked to resend. */
  applyPolicies(peer: PeerConfig): { needsRefresh: boolean } {
    if (!this.#registered) return { needsRefresh: false };
    const rib = this.#rib;
    const { importPolicy, exportPolicy } = peerPolicies(peer);
    rib.setExportPolicy(this.id, exportPolicy);
    const r = rib.setImportPolicy(this.id, importPolicy);
    this.host.changed();
    return r;
  }

  /**
   * Starts sending the Adj-RIB-Out on an Established connection (RFC 4271
   * §9.4): the initial export, fed from the Loc-RIB as the socket takes it,
   * then `link.synced()` (End-of-RIB, RFC 4724 §2), then changes as they come.
   */
  startSending(link: SendLink): void {
    if (!this.#registered) return;
    this.stopSending();
    const rib = this.#rib;
    const id = this.id;
    const out = rib.startExport(id, { incremental: true });
    const q = new OutQueue(out, link.socket, link.ctx, this.host.updateDelayMs, {
      feed: (max) => rib.feedExport(id, max),
      feeding: () => rib.exportFeeding(id),
      open: link.open,
      carries: (p) => this.#carries(p),
      sent: link.sent,
      guard: link.guard,
    });
    this.#out = q;
    q.flush();
    q.whenIdle(link.synced);
  }

  /** Stops sending (the connection is gone): the Adj-RIB-Out is forgotten. */
  stopSending(): void {
    this.#out?.close();
    this.#out = undefined;
    if (this.#registered) this.#rib.stopExport(this.id);
  }

  /** The RIB has changes for the peer: send them after the coalescing delay (or on 'drain'). */
  scheduleOut(): void {
    this.#out?.schedule();
  }

  /** Changes waiting in the Adj-RIB-Out, and whether the socket pushes back. */
  outState(): { pending: number; blocked: boolean } {
    return { pending: this.#out?.pending ?? 0, blocked: this.#out?.blocked ?? false };
  }

  /**
   * The peer asked for the family again (ROUTE-REFRESH, RFC 2918 §4): every
   * advertised route is queued again. With Enhanced Route Refresh (RFC 7313
   * §4) the changes already pending go out first, then `borr()`, the routes,
   * and `eorr()` once everything is written.
   */
  resend(enhanced: { borr: () => void; eorr: () => void } | undefined): void {
    const q = this.#out;
    const out = this.#rib.adjRibOut(this.id);
    if (!q || !out) return;
    if (enhanced) {
      q.flush();
      enhanced.borr();
    }
    out.resendAll();
    q.flush();
    if (enhanced) q.whenIdle(enhanced.eorr);
  }

  /**
   * An UPDATE from the peer (decoded, with its RFC 7606 action): into the
   * Adj-RIB-In, the "routes" event, End-of-RIB handling, max-prefix (a
   * warning once). Returns true when the peer went over its max-prefix
   * limit with action teardown: the session must end (RFC 4486 §4).
   */
  update(d: DecodedMessage, ctx: CodecContext, maxPrefix?: MaxPrefixConfig): boolean {
    if (d.message.type !== "update" || !this.#registered) return false;
    const msg = d.message;
    const eor = endOfRibFamily(msg);
    if (eor) {
      const fam = familyName(eor);
      this.events.endOfRib(fam);
      // RFC 4724 §4.2: End-of-RIB ends the wait; what is still stale goes.
      if (this.staleCount()) this.gr.sweep(fam, "end-of-rib");
      return false;
    }
    const rib = this.#rib;
    const id = this.id;
    // The "routes" event (what this UPDATE changed in the peer's Adj-RIB-In).
    // Which prefixes it names is settled now (before and after the RIB took
    // the UPDATE); the route objects and their text are made only if a
    // listener reads them (lazyArray): the speaker always listens, but a
    // full table nobody looks at costs no per-route objects.
    let gone: Prefix[] | undefined;
    if (this.events.listening()) {
      gone = [];
      for (const p of withdrawnPrefixes(msg, d.action === "treat-as-withdraw"))
        if (rib.hasPath(id, p)) gone.push(p);
    }
    const res = applyUpdate(rib, id, msg, d.action);
    let allHeld = true;
    for (const a of res.announced) {
      if (a.infeasible)
        this.events.warning(`route(s) from ${id} treated as withdrawn: ${a.infeasible.message}`);
      if (a.infeasible || a.rejected > 0 || a.maxPrefix?.state === "exceeded") allHeld = false;
    }
    if (gone) {
      const treated = d.action === "treat-as-withdraw";
      // Indices (in announcedPrefixes order) of the announced prefixes the peer now has a path for.
      const held = treated ? [] : heldIndices(msg, allHeld ? undefined : (p) => rib.hasPath(id, p));
      if (held.length || gone.length || treated) {
        const action = d.action;
        const withdrawnNow = gone;
        this.events.routes({
          announced: lazyArray(held.length, () => {
            const all = routesFromUpdate(msg, ctx, action).announced;
            return held.map((i) => all[i]!);
          }),
          withdrawn: lazyArray(withdrawnNow.length, () =>
            withdrawnNow.map((p) => routeKey(prefixText(p), p.pathId)),
          ),
          treatedAsWithdraw: treated,
        });
      }
    }
    this.host.changed();
    return res.maxPrefix !== undefined && this.#maxPrefix(res.maxPrefix, maxPrefix);
  }

  /** Max-prefix reached (RFC 4486 §4): warn once, or true when the session must end. */
  #maxPrefix(state: "warn" | "exceeded", mp: MaxPrefixConfig | undefined): boolean {
    if (!mp) return false;
    if (state === "warn" || mp.action === "warn") {
      if (!this.#maxPrefixWarned)
        this.events.warning(
          `max-prefix: ${this.id} sent ${this.routeCount()} routes, limit ${mp.limit}`,
        );
      this.#maxPrefixWarned = true;
      return false;
    }
    this.events.warning(
      `max-prefix: ${this.id} exceeded the limit of ${mp.limit} routes: Cease / Maximum Number of Prefixes Reached`,
    );
    return true;
  }

  /**
   * The session went down. With `keep` (the peer's graceful-restart
   * capability, when its routes are to be kept, RFC 4724 §4.2) they stay,
   * stale; otherwise every route of the session is withdrawn (RFC 4271
   * §8.2.2).
   */
  down(keep: PeerGr | undefined): void {
    this.stopSending();
    if (keep) {
      this.gr.keep(keep);
      return;
    }
    this.gr.sweep(undefined, "down");
    if (!this.#registered || this.#rib.pathCount(this.id) === 0) return;
    // The route keys are made only if a listener reads them (lazyArray), from
    // the compact list the RIB hands back — no text or prefix object per
    // route of a full table that nobody looks at.
    const gone = this.#rib.dropPeer(this.id);
    if (gone.length > 0 && this.events.listening())
      this.events.routes({
        announced: [],
        withdrawn: lazyArray(gone.length, () => {
          const keys = new Array<string>(gone.length);
          for (let i = 0; i < gone.length; i++) {
            const p = gone.prefix(i);
            keys[i] = routeKey(prefixText(p), p.pathId);
          }
          return keys;
        }),
        treatedAsWithdraw: false,
      });
  }

  /** The peer is removed: its routes go and it leaves the RIB. */
  remove(): void {
    this.gr.stopTimer();
    this.gr.sweep(undefined, "peer removed");
    this.stopSending();
    if (!this.#registered) return;
    this.#registered = false;
    const rib = this.#rib;
    if (rib.pathCount(this.id) > 0) rib.dropPeer(this.id);
    rib.removePeer(this.id);
    this.host.changed();
  }

  /** Whether the session negotiated the family of a prefix (unicast). */
  #carries(p: Prefix): boolean {
    return this.#families.some((x) => x.afi === p.afi && x.safi === 1);
  }
}
