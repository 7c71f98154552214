// Graceful restart, helper role (RFC 4724 §4.2), for one peer: its paths in
// the speaker's RIB are marked stale when its session ends without a
// NOTIFICATION (`Rib.markStale`), swept per family after its End-of-RIB, when
// it returns without the F bit or the family, or when a timer runs out
// (restart time while it is away, stale time once it is back). The decisions
// are in graceful-restart.ts; the stale flags live in the RIB; this file
// holds the timer and says what went, by route key, for the session's events.
//
//   Established ──(TCP failure / hold timer, no NOTIFICATION)──► keep()
//   restart timer fires ─► sweep(all)
//   peer back: peerReturned() ─► sweep(families without F bit / gone)
//   End-of-RIB (family) or stale timer ─► sweep(family)
import type { NegotiatedSession } from "../fsm/index.js";
import type { Rib } from "../rib/rib.js";
import type { Prefix } from "../wire/prefix.js";
import { familiesToFlush } from "./graceful-restart.js";
import { familyName } from "./open-map.js";
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

type PeerGr = NonNullable<NegotiatedSession["capabilities"]["gracefulRestart"]>;

/** One peer's graceful-restart helper state. */
export class GrHelper {
  /** The families of the capability of the session whose routes are stale. */
  #families: readonly { afi: number; safi: number }[] = [];
  /** Restart timer (peer gone), then stale timer (peer back, no End-of-RIB yet). */
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly host: GrHelperHost) {}

  /** Number of the peer's stale paths. */
  staleCount(): number {
    return this.host.registered() ? this.host.rib.staleCount(this.host.id) : 0;
  }

  /** Keys of the peer's stale routes. */
  staleRoutes(): string[] {
    return this.#stalePaths().map((x) => x.key);
  }

  #stalePaths(family?: string): { key: string; prefix: Prefix }[] {
    const out: { key: string; prefix: Prefix }[] = [];
    if (this.staleCount() === 0) return out;
    for (const { prefix, path } of this.host.rib.routes({ peer: this.host.id, bestOnly: false })) {
      if (!path.stale) continue;
      if (family !== undefined && familyOf(prefix) !== family) continue;
      out.push({ key: routeKey(prefixText(prefix), path.pathId || undefined), prefix });
    }
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
    // Routes already stale from an earlier restart stay stale.
    rib.markStale(id, this.host.now(), gr.restartTime);
    this.#families = gr.families;
    const keys = this.staleRoutes();
    if (keys.length) this.host.stale(keys, gr.restartTime);
    this.#arm(gr.restartTime, "restart-time");
  }

  /** The peer is back: flush what it no longer preserves, wait for End-of-RIB (or `staleTime` seconds). */
  peerReturned(session: NegotiatedSession, staleTime: number): void {
    for (const f of familiesToFlush(session.capabilities.gracefulRestart, this.#families))
      this.sweep(familyName(f), "no-forwarding-state");
    // Families no longer negotiated will never see an End-of-RIB.
    for (const f of this.#families)
      if (!session.capabilities.families.some((g) => g.afi === f.afi && g.safi === f.safi))
        this.sweep(familyName(f), "family-gone");
    if (this.staleCount()) this.#arm(staleTime, "stale-time");
  }

  /** Withdraws the stale routes of one family (or all) from the RIB and says so. */
  sweep(family: string | undefined, why: string): void {
    const stale = this.#stalePaths(family);
    if (stale.length)
      this.host.rib.withdraw(
        this.host.id,
        stale.map((x) => x.prefix),
      );
    if (!this.staleCount()) {
      this.stopTimer();
      if (this.host.registered()) this.host.rib.endOfRib(this.host.id);
    }
    if (stale.length) {
      this.host.routesGone(stale.map((x) => x.key));
      this.host.warning(`graceful restart: ${stale.length} stale route(s) withdrawn (${why})`);
      this.host.changed();
    }
  }

  /** Stops the timer (the session is destroyed). */
  stopTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(seconds: number, why: string): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () =>
        this.host.guard("gr timer", () => {
          this.#timer = undefined;
          this.sweep(undefined, why);
        }),
      seconds * 1000,
    );
    this.#timer.unref?.();
  }
}

function familyOf(p: Prefix): string {
  return p.afi === 2 ? "ipv6-unicast" : "ipv4-unicast";
}
