// The routes room's edge: a @tortie/netlink RouteReconciler owning Tortie's
// route protocol (84). Static sources are replaced whole when they change;
// learned routes are upserted/removed per touched prefix, so a BGP update
// costs one prefix's work. Hand edits to our routes are repaired by the
// reconciler (route notifications); routes of other protocols are never
// touched.

import type { DesiredRoute } from "@tortie/netlink";
import { Netlink, RouteReconciler } from "@tortie/netlink";
import { learnedRoute, type StaticRoutes } from "./desired.js";

/** The kernel route of a learned prefix from its interned next-hop key. */
function learnedFromKey(prefix: string, hops: string): DesiredRoute {
  return learnedRoute({ prefix, nextHops: hops.split(",") });
}

/** Options of {@link RoutesApplier}. */
export interface RoutesApplierOptions {
  /** Network namespace (name, or path) to program; default the current one. */
  readonly netns?: string;
  /** Prefix of workload veths (default "cali"): unknown routes on them get a grace period. */
  readonly vethPrefix?: string;
  /** Periodic full resync (default 90 s). */
  readonly resyncIntervalMs?: number;
  readonly onError?: (e: unknown) => void;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Keeps the kernel equal to the desired routes. */
export class RoutesApplier {
  private nl: Netlink | undefined;
  reconciler: RouteReconciler | undefined;
  private last: StaticRoutes = { workloads: [], peers: [], blocks: [] };
  /**
   * Learned routes wanted, by prefix: only their next hops, as one interned
   * string ("192.0.2.12" or "192.0.2.12,192.0.2.13"). The reconciler keeps
   * the routes themselves; with 100,000 learned routes a second copy of
   * each here would cost tens of MB.
   */
  private learned = new Map<string, string>();
  private readonly hopKeys = new Map<string, string>();

  constructor(private readonly opts: RoutesApplierOptions = {}) {}

  /** Opens netlink and runs the first full resync. */
  async start(): Promise<void> {
    this.nl = await Netlink.open(this.opts.netns ? { netns: this.opts.netns } : {});
    const prefix = this.opts.vethPrefix ?? "cali";
    this.reconciler = new RouteReconciler(this.nl, {
      ownInterface: (n) => n.startsWith(prefix),
      ...(this.opts.resyncIntervalMs !== undefined
        ? { resyncIntervalMs: this.opts.resyncIntervalMs }
        : {}),
      ...(this.opts.onError ? { onError: this.opts.onError } : {}),
    });
    // Desired state first, so the first resync deletes nothing we still want.
    this.reconciler.setRoutes("workloads", this.last.workloads);
    this.reconciler.setRoutes("peers", this.last.peers);
    this.reconciler.setRoutes("blocks", this.last.blocks);
    this.reconciler.setRoutes(
      "bgp",
      [...this.learned].map(([dst, hops]) => learnedFromKey(dst, hops)),
    );
    this.reconciler.setRoutes("stale", this.stale);
    await this.reconciler.start();
  }

  /** Sets the static sources; only the sources that changed are handed over. */
  setStatic(s: StaticRoutes): void {
    for (const k of ["workloads", "peers", "blocks"] as const) {
      if (same(this.last[k], s[k])) continue;
      this.reconciler?.setRoutes(k, s[k]);
    }
    this.last = s;
  }

  /** Sets (next hops, ECMP when several) or removes (empty) learned routes by prefix. */
  setLearned(changes: ReadonlyMap<string, readonly string[]>): void {
    for (const [prefix, hops] of changes) {
      const old = this.learned.get(prefix);
      if (!hops.length) {
        if (old === undefined) continue;
        this.learned.delete(prefix);
        this.reconciler?.remove("bgp", prefix);
        continue;
      }
      const joined = hops.join(",");
      let key = this.hopKeys.get(joined);
      if (key === undefined) {
        key = joined;
        this.hopKeys.set(key, key);
      }
      if (old === key) continue;
      this.learned.set(prefix, key);
      this.reconciler?.upsert("bgp", learnedFromKey(prefix, key));
    }
  }

  private stale: readonly DesiredRoute[] = [];

  /** Routes of a previous run, kept at low priority until dropped. */
  setStale(routes: readonly DesiredRoute[]): void {
    this.stale = routes;
    this.reconciler?.setRoutes("stale", routes);
  }

  /** Whether stale routes are held. */
  get hasStale(): boolean {
    return this.stale.length > 0;
  }

  /** Prefixes of learned routes wanted now. */
  learnedPrefixes(): string[] {
    return [...this.learned.keys()];
  }

  /** Number of learned routes wanted in the kernel. */
  get learnedCount(): number {
    return this.learned.size;
  }

  /** Runs an incremental reconcile now and waits for it. */
  async flush() {
    return this.reconciler?.apply();
  }

  /** Stops; kernel routes stay (a restart keeps forwarding). */
  stop(): void {
    this.reconciler?.stop();
    this.nl?.close();
  }
}
