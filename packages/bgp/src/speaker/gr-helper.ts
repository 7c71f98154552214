// Graceful restart, helper role (RFC 4724 §4.2), for one peer: the I/O edge
// of what the RIB keeps. The stale flags, the per-family sweep and the
// deadline are the RIB's (`Rib.markStale`, `Rib.endOfRib`,
// `Rib.expireStale`); this file holds one timer that drives
// `rib.expireStale` at the peer's deadline, and says what went, by route
// key, for the session's events. The decisions (keep? flush which families?)
// are in graceful-restart.ts.
//
//   Established ──(TCP failure / hold timer, no NOTIFICATION)──► keep():
//     markStale(now, peer's Restart Time)
//   deadline reached (timer) ─► expireStale: every stale path goes
//   peer back: peerReturned() ─► endOfRib(families without F bit / gone),
//     then markStale(now, staleTime): the restart timer becomes the stale timer
//   End-of-RIB (family) ─► endOfRib(family)
import type { NegotiatedSession } from "../fsm/index.js";
import type { Rib } from "../rib/rib.js";
import type { Prefix } from "../wire/prefix.js";
import { familiesToFlush } from "./graceful-restart.js";
import { FAMILIES, familyName } from "./open-map.js";
import { routeKey } from "./routes.js";
import { prefixText, withPathId } from "./update-prefixes.js";

/** What the helper needs from its session. */
export interface GrHelperHost {
  readonly rib: Rib;
  /** The peer's id in the RIB. */
  readonly id: string;
  /** The peer is registered with the RIB. */
  readonly registered: () => boolean;
  /** Routes (keys) left the peer's Adj-RIB-In. */
  readonly routesGone: (keys: string[]) => void;
  /** Routes (keys) are now kept stale for up to `restartTime` seconds. */
  readonly stale: (keys: string[], restartTime: number) => void;
  readonly warning: (message: string) => void;
  /** The RIB changed: send to the peers. */
  readonly changed: () => void;
  /** Runs a timer callback in the session's containment guard. */
  readonly guard: (where: string, fn: () => void) => void;
  /** Milliseconds on the speaker's monotonic clock. */
  readonly now: () => number;
}

/** The timer the helper arms (Node's by default; a test passes its own clock's). */
export interface GrTimer {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const nodeTimer: GrTimer = {
  set: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

type NegotiatedCaps = NegotiatedSession["capabilities"];
type PeerGr = NonNullable<NegotiatedCaps["gracefulRestart"]>;

/** One peer's graceful-restart helper state. */
export class GrHelper {
  /** The families of the capability of the session whose routes are stale. */
  #families: readonly { afi: number; safi: number }[] = [];
  /** Fires at the peer's deadline in the RIB: restart time while it is away, stale time once back. */
  #timer: unknown;
  /** What the deadline is, for the log: "restart-time" or "stale-time". */
  #why = "restart-time";

  constructor(
    private readonly host: GrHelperHost,
    private readonly timer: GrTimer = nodeTimer,
  ) {}

  /** Number of the peer's stale paths. */
  staleCount(): number {
    return this.host.registered() ? this.host.rib.staleCount(this.host.id) : 0;
  }

  /** Keys of the peer's stale routes (of one AFI, or all). */
  staleRoutes(afi?: number): string[] {
    const out: string[] = [];
    if (this.staleCount() === 0) return out;
    for (const { prefix, path } of this.host.rib.routes({ peer: this.host.id, bestOnly: false }))
      if (path.stale && (afi === undefined || prefix.afi === afi))
        out.push(routeKey(prefixText(prefix), path.pathId || undefined));
    return out;
  }

  /** The session went down without a NOTIFICATION: keep the peer's routes, stale. */
  keep(gr: PeerGr): void {
    const { rib, id } = this.host;
    if (!this.host.registered()) return;
    // Families the peer did not list in its capability are not preserved.
    const listed = (afi: number) => gr.families.some((g) => g.afi === afi && g.safi === 1);
    const drop: Prefix[] = [];
    for (const { prefix, path } of rib.routes({ peer: id, bestOnly: false }))
      if (!listed(prefix.afi)) drop.push(withPathId(prefix, path.pathId));
    if (drop.length) {
      rib.withdraw(id, drop);
      this.host.routesGone(drop.map((p) => routeKey(prefixText(p), p.pathId)));
    }
    // Routes already stale from an earlier restart stay stale; the deadline
    // is the peer's Restart Time from now.
    rib.markStale(id, this.host.now(), gr.restartTime);
    this.#families = gr.families;
    const keys = this.staleRoutes();
    if (keys.length) this.host.stale(keys, gr.restartTime);
    this.#arm("restart-time");
  }

  /** The peer is back: flush what it no longer preserves, wait for End-of-RIB (or `staleTime` seconds). */
  peerReturned(
    session: { readonly capabilities: Pick<NegotiatedCaps, "families" | "gracefulRestart"> },
    staleTime: number,
  ): void {
    for (const f of familiesToFlush(session.capabilities.gracefulRestart, this.#families))
      this.sweep(familyName(f), "no-forwarding-state");
    // Families no longer negotiated will never see an End-of-RIB.
    for (const f of this.#families)
      if (!session.capabilities.families.some((g) => g.afi === f.afi && g.safi === f.safi))
        this.sweep(familyName(f), "family-gone");
    if (!this.staleCount()) return;
    // The restart timer stops; what is left (all of it the old session's:
    // nothing was received on the new one yet) waits for End-of-RIB up to
    // `staleTime` seconds (RFC 4724 §4.2).
    this.host.rib.markStale(this.host.id, this.host.now(), staleTime);
    this.#arm("stale-time");
  }

  /** Withdraws the stale routes of one family (or all) from the RIB and says so. */
  sweep(family: string | undefined, why: string): void {
    if (!this.staleCount()) {
      this.stopTimer();
      // Nothing stale: the peer's deadline in the RIB ends too.
      if (this.host.registered()) this.host.rib.endOfRib(this.host.id);
      return;
    }
    let afi: number | undefined;
    if (family !== undefined) {
      const f = (FAMILIES as Record<string, { afi: number; safi: number }>)[family];
      // Only unicast families are in the RIB; an End-of-RIB of another has nothing to sweep.
      if (!f) return;
      afi = f.afi;
    }
    const keys = this.staleRoutes(afi);
    this.host.rib.endOfRib(this.host.id, afi);
    if (!this.staleCount()) this.stopTimer();
    this.#gone(keys, why);
  }

  /** Stops the timer (the session is destroyed). */
  stopTimer(): void {
    if (this.#timer !== undefined) this.timer.clear(this.#timer);
    this.#timer = undefined;
  }

  /** The deadline is reached: the RIB removes what is still stale. */
  #expire(): void {
    const { rib, id } = this.host;
    if (!this.host.registered()) return;
    const at = rib.nextDeadline(id);
    if (at === undefined) return;
    const now = this.host.now();
    // A timer may fire a little before the deadline on the speaker's clock.
    if (at > now) {
      this.#arm(this.#why);
      return;
    }
    const keys = this.staleRoutes();
    rib.expireStale(now, id);
    this.#gone(keys, this.#why);
  }

  #gone(keys: string[], why: string): void {
    if (!keys.length) return;
    this.host.routesGone(keys);
    this.host.warning(`graceful restart: ${keys.length} stale route(s) withdrawn (${why})`);
    this.host.changed();
  }

  #arm(why: string): void {
    this.stopTimer();
    this.#why = why;
    const at = this.host.rib.nextDeadline(this.host.id);
    if (at === undefined) return;
    this.#timer = this.timer.set(
      () =>
        this.host.guard("gr timer", () => {
          this.#timer = undefined;
          this.#expire();
        }),
      Math.max(0, at - this.host.now()),
    );
  }
}
