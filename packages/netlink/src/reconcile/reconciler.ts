// The route reconciler's edge: it owns the routes of one protocol number
// (Tortie's 84 unless told otherwise) in the tables it manages, and keeps
// them equal to the desired set — desired routes in, the difference applied,
// nothing else touched. The decisions are made by the pure planReconcile();
// this class dumps, subscribes to notifications, runs timers and writes.
//
// - resync(): full — dump the managed tables, plan every key, apply.
// - resyncInterface(name): partial — on a link event, dump only that
//   interface's routes (kernel-side RTA_OIF filter) and plan its keys.
// - apply(): incremental — plan only the keys changed since the last run,
//   against the cached picture of the kernel (no dump).
// - start(): link and route notifications, a periodic full resync, the grace
//   timer, and retries with exponential backoff after transient errors.
import { setTimeout as delay, setImmediate as yieldTurn } from "node:timers/promises";
import type { NetlinkError } from "../errors.js";
import type { Netlink } from "../netlink.js";
import type { EventStream } from "../socket/events.js";
import { RouteProtocol, RouteTable, Rtm } from "../wire/constants.js";
import type { Route } from "../wire/route.js";
import { KernelRoutes } from "./cache.js";
import { type CanonicalRoute, type DesiredRoute, DesiredSet, routeKey } from "./desired.js";
import { type Plan, planSteps, toKernelRoute } from "./plan.js";

/** Options of {@link RouteReconciler}. */
export interface ReconcilerOptions {
  /** Route protocol number owned (default RouteProtocol.tortie, 84). */
  readonly protocol?: number;
  /** Tables managed (default [main]). */
  readonly tables?: readonly number[];
  /** Families managed (default both). */
  readonly families?: readonly (4 | 6)[];
  /** Tortie's own interfaces (e.g. `(n) => n.startsWith("cali")`): unknown routes on them get a grace period. */
  readonly ownInterface?: (name: string) => boolean;
  /** Grace period before deleting unknown routes on own interfaces (default 10 s). */
  readonly graceMs?: number;
  /** Periodic full resync when started (default 90 s, as Felix). 0 disables. */
  readonly resyncIntervalMs?: number;
  /** First retry delay after a transient error (default 100 ms, doubling to 30 s). */
  readonly retryMs?: number;
  /** Clock (default Date.now). */
  readonly now?: () => number;
  /** Called with errors of background runs (default: ignored; they are retried). */
  readonly onError?: (e: unknown) => void;
}

/** One change the kernel refused. */
export interface ApplyFailure {
  /** What was attempted. */
  readonly op: "replace" | "delete";
  /** The route, in kernel form. */
  readonly route: Route;
  /** The kernel's refusal (retried later when transient). */
  readonly error: NetlinkError;
}

/** What a run did. */
export interface ApplyResult {
  /** Routes installed or changed. */
  readonly replaced: number;
  /** Routes deleted. */
  readonly deleted: number;
  /** Desired keys waiting for their interface. */
  readonly pending: readonly string[];
  /** Unknown routes on own interfaces still in their grace period. */
  readonly waiting: readonly string[];
  /** Changes the kernel refused. */
  readonly failures: readonly ApplyFailure[];
  /** Time spent dumping, planning, writing (ms). */
  readonly timings: {
    /** Dumping and rebuilding the kernel picture. */
    readonly dumpMs: number;
    /** The diff. */
    readonly planMs: number;
    /** Writing the changes. */
    readonly applyMs: number;
  };
}

/** errno names worth retrying: the condition may clear by itself. */
const TRANSIENT = new Set([
  "ENETUNREACH",
  "ENODEV",
  "ENOBUFS",
  "EBUSY",
  "EAGAIN",
  "EINTR",
  "ENOMEM",
]);

/** Keeps the kernel's routes of one protocol equal to a desired set. */
export class RouteReconciler {
  /** Desired routes by source, with conflicts resolved by priority. */
  readonly desired = new DesiredSet();
  private readonly kernel = new KernelRoutes();
  private readonly links = new Map<string, number>();
  private readonly own = new Set<number>();
  private unknownSince = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private readonly protocol: number;
  private readonly tables: readonly number[];
  private readonly families: readonly (4 | 6)[];
  private readonly graceMs: number;
  private readonly now: () => number;
  private synced = false;
  private running: Promise<unknown> = Promise.resolve();
  private events?: EventStream;
  private timers: NodeJS.Timeout[] = [];
  private retryDelay: number;
  private stopped = true;
  /** Kernel forms of desired routes, valid while the interface map is unchanged. */
  private forms = new WeakMap<CanonicalRoute, Route | null>();

  constructor(
    private readonly nl: Netlink,
    private readonly opts: ReconcilerOptions = {},
  ) {
    this.protocol = opts.protocol ?? RouteProtocol.tortie;
    this.tables = opts.tables ?? [RouteTable.main];
    this.families = opts.families ?? [4, 6];
    this.graceMs = opts.graceMs ?? 10_000;
    this.now = opts.now ?? Date.now;
    this.retryDelay = opts.retryMs ?? 100;
  }

  /** Replaces every route `source` wants (e.g. "blocks", "pods", "bgp"). Applied by the next run. */
  setRoutes(source: string, routes: readonly DesiredRoute[]): void {
    for (const k of this.desired.setSource(source, routes)) this.dirty.add(k);
    this.devs = undefined;
    this.kick();
  }

  /** Adds or changes one route of `source`. */
  upsert(source: string, route: DesiredRoute): void {
    this.dirty.add(this.desired.upsert(source, route));
    this.devs = undefined;
    this.kick();
  }

  /** Withdraws one route of `source`. */
  remove(source: string, dst: string, table?: number): void {
    this.dirty.add(this.desired.remove(source, dst, table));
    this.devs = undefined;
    this.kick();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.running.then(fn, fn);
    this.running = p.catch(() => undefined);
    return p;
  }

  private async loadLinks(): Promise<void> {
    const before = new Map(this.links);
    this.links.clear();
    this.own.clear();
    for (const l of await this.nl.links.list()) this.noteLink(l.name, l.index);
    let same = before.size === this.links.size;
    for (const [n, i] of this.links) if (before.get(n) !== i) same = false;
    if (!same) this.forms = new WeakMap();
  }

  private noteLink(name: string | undefined, index: number): void {
    if (name === undefined) return;
    this.links.set(name, index);
    if (this.opts.ownInterface?.(name)) this.own.add(index);
  }

  private async dump(filter: { dev?: number } = {}): Promise<Route[]> {
    const out: Route[] = [];
    for (const table of this.tables) {
      for (const family of this.families) {
        const got = await this.nl.routes.list({
          table,
          family,
          protocol: this.protocol,
          ...(filter.dev !== undefined ? { dev: filter.dev } : {}),
        });
        // (no push(...got): a million arguments would overflow the stack)
        for (const r of got) out.push(r);
      }
    }
    return out;
  }

  /** Full resync: dump, plan every key, apply. */
  resync(): Promise<ApplyResult> {
    return this.serial(() => this.runFull());
  }

  /** Partial resync of one interface (after it appeared or changed). */
  resyncInterface(name: string): Promise<ApplyResult> {
    return this.serial(async () => {
      if (!this.synced) return this.runFull();
      const t0 = performance.now();
      const link = await this.nl.links.find(name);
      const old = this.links.get(name);
      if (old !== undefined) {
        this.links.delete(name);
        this.forms = new WeakMap();
        this.own.delete(old);
        for (const k of this.kernel.dropInterface(old)) this.dirty.add(k);
      }
      if (link) this.noteLink(link.name, link.index);
      this.forms = new WeakMap();
      const keys = new Set<string>(this.keysOfInterface(name));
      let observed: Route[] = [];
      if (link) {
        observed = await this.dump({ dev: link.index });
        for (const r of observed) keys.add(routeKey(r.table, r.dst));
        this.kernel.loadKeys(keys, observed);
      }
      const dumpMs = performance.now() - t0;
      return this.run(this.kernel.get(keys), keys, dumpMs);
    });
  }

  private async runFull(): Promise<ApplyResult> {
    const t0 = performance.now();
    await this.loadLinks();
    const observed = await this.dump();
    // Rebuild the picture in steps, with event-loop turns in between.
    this.kernel.load([]);
    let slice = performance.now();
    for (let i = 0; i < observed.length; i++) {
      this.kernel.push(observed[i]!);
      if ((i & 1023) === 0 && performance.now() - slice > 4) {
        await yieldTurn();
        slice = performance.now();
      }
    }
    this.synced = true;
    this.dirty.clear();
    return this.run([], undefined, performance.now() - t0, this.kernel.byKeyView());
  }

  /** Incremental run: plans the keys changed since the last run against the cached kernel picture. */
  apply(): Promise<ApplyResult> {
    return this.serial(async () => {
      if (!this.synced) return this.runFull();
      const keys = new Set(this.dirty);
      for (const k of this.unknownSince.keys()) keys.add(k);
      this.dirty.clear();
      return this.run(this.kernel.get(keys), keys, 0);
    });
  }

  private async run(
    observed: readonly Route[],
    keys: ReadonlySet<string> | undefined,
    dumpMs: number,
    observedByKey?: ReadonlyMap<string, readonly Route[]>,
  ): Promise<ApplyResult> {
    const t1 = performance.now();
    let desired: ReadonlyMap<string, CanonicalRoute>;
    if (keys) {
      const some = new Map<string, CanonicalRoute>();
      for (const k of keys) {
        const w = this.desired.winner(k);
        if (w) some.set(k, w);
      }
      desired = some;
    } else desired = this.desired.winners();
    const steps = planSteps({
      desired,
      observed,
      links: this.links,
      own: this.own,
      protocol: this.protocol,
      now: this.now(),
      graceMs: this.graceMs,
      unknownSince: this.unknownSince,
      ...(keys ? { only: (k: string) => keys.has(k) } : {}),
      ...(observedByKey ? { observedByKey } : {}),
      kernelForm: (d) => {
        let r = this.forms.get(d);
        if (r === undefined) {
          r = toKernelRoute(d, this.links, this.protocol) ?? null;
          this.forms.set(d, r);
        }
        return r ?? undefined;
      },
    });
    // The diff is pure and synchronous; run it in steps with event-loop turns between.
    let plan: Plan;
    let slice = performance.now();
    for (;;) {
      const r = steps.next();
      if (r.done) {
        plan = r.value;
        break;
      }
      if (performance.now() - slice > 4) {
        await yieldTurn();
        slice = performance.now();
      }
    }
    this.unknownSince = plan.unknownSince;
    const t2 = performance.now();
    const failures: ApplyFailure[] = [];
    if (plan.replace.length) {
      const r = await this.nl.routes.batchRoutes("replace", plan.replace);
      const bad = new Set(r.failures.map((f) => f.index));
      for (const f of r.failures)
        failures.push({ op: "replace", route: plan.replace[f.index]!, error: f.error });
      plan.replace.forEach((route, i) => {
        if (!bad.has(i)) this.kernel.add(route);
      });
    }
    if (plan.delete.length) {
      const victims = plan.delete.map(({ unknown: _, ...k }) => k);
      const r = await this.nl.routes.batchRoutes("delete", victims);
      const bad = new Set<number>();
      for (const f of r.failures) {
        // Already gone is what we wanted.
        if (f.error.code === "ESRCH") continue;
        bad.add(f.index);
        failures.push({ op: "delete", route: victims[f.index]!, error: f.error });
      }
      victims.forEach((route, i) => {
        if (!bad.has(i)) this.kernel.remove(route);
      });
    }
    for (const f of failures) this.dirty.add(routeKey(f.route.table, f.route.dst));
    if (plan.nextDeadline !== undefined && !this.stopped) {
      this.after(Math.max(0, plan.nextDeadline - this.now()), () => this.apply());
    }
    if (failures.length && !this.stopped) {
      const transient = failures.some((f) => TRANSIENT.has(f.error.code));
      const wait = transient ? this.retryDelay : Math.max(this.retryDelay, 5_000);
      this.retryDelay = Math.min(this.retryDelay * 2, 30_000);
      this.after(wait, () => this.apply());
    } else if (!failures.length) {
      this.retryDelay = this.opts.retryMs ?? 100;
    }
    return {
      replaced: plan.replace.length - failures.filter((f) => f.op === "replace").length,
      deleted: plan.delete.length - failures.filter((f) => f.op === "delete").length,
      pending: plan.pending,
      waiting: plan.waiting,
      failures,
      timings: { dumpMs, planMs: t2 - t1, applyMs: performance.now() - t2 },
    };
  }

  private after(ms: number, fn: () => Promise<unknown>): void {
    const t = setTimeout(() => {
      this.timers = this.timers.filter((x) => x !== t);
      fn().catch((e) => this.opts.onError?.(e));
    }, ms);
    t.unref?.();
    this.timers.push(t);
  }

  private kickPending = false;
  private kick(): void {
    if (this.stopped || this.kickPending) return;
    this.kickPending = true;
    queueMicrotask(() => {
      this.kickPending = false;
      this.apply().catch((e) => this.opts.onError?.(e));
    });
  }

  /**
   * Runs in the background: a full resync now, then link and route
   * notifications (partial resyncs, convergence after hand edits), a periodic
   * full resync, grace timers and retries. Resolves after the first resync.
   */
  async start(): Promise<ApplyResult> {
    this.stopped = false;
    this.events = this.nl.events(["link", "ipv4Route", "ipv6Route"]);
    void this.listen(this.events);
    const first = await this.resync();
    const every = this.opts.resyncIntervalMs ?? 90_000;
    if (every > 0) {
      const loop = async () => {
        while (!this.stopped) {
          await delay(every, undefined, { ref: false });
          if (this.stopped) return;
          await this.resync().catch((e) => this.opts.onError?.(e));
        }
      };
      void loop();
    }
    return first;
  }

  private async listen(events: EventStream): Promise<void> {
    try {
      for await (const e of events) {
        if (this.stopped) return;
        if (e.kind === "overrun") {
          this.resync().catch((err) => this.opts.onError?.(err));
        } else if (e.kind === "link" && e.link.name !== undefined) {
          const name = e.link.name;
          const known = this.links.get(name);
          if (e.header.type === Rtm.delLink) {
            if (known !== undefined) {
              this.links.delete(name);
              this.forms = new WeakMap();
              this.own.delete(known);
              for (const k of this.kernel.dropInterface(known)) this.dirty.add(k);
            }
          } else if (known !== e.link.index || this.wantsInterface(name)) {
            // A new interface, or one of ours changed (came up): re-plan its routes.
            this.resyncInterface(name).catch((err) => this.opts.onError?.(err));
          }
        } else if (e.kind === "route" && this.tables.includes(e.route.table)) {
          const r = e.route;
          const k = routeKey(r.table, r.dst);
          const ours = r.protocol === this.protocol;
          if (!ours && !this.desired.winner(k)) continue;
          if (e.header.type === Rtm.delRoute) {
            if (ours) this.kernel.remove(r);
          } else if (ours) this.kernel.add(r);
          // A foreign route took the place of ours (same key and metric).
          else this.kernel.remove({ ...r, protocol: this.protocol });
          this.dirty.add(k);
          this.kick();
        }
      }
    } catch (e) {
      this.opts.onError?.(e);
    }
  }

  /** Desired keys per interface name; rebuilt lazily after the desired set changed. */
  private devs: Map<string, string[]> | undefined;

  private keysOfInterface(name: string): readonly string[] {
    if (!this.devs) {
      const devs = new Map<string, string[]>();
      const note = (dev: string | undefined, k: string) => {
        if (dev === undefined) return;
        const list = devs.get(dev);
        if (list) list.push(k);
        else devs.set(dev, [k]);
      };
      for (const [k, d] of this.desired.winners()) {
        note(d.dev, k);
        for (const n of d.nexthops ?? []) note(n.dev, k);
      }
      this.devs = devs;
    }
    return this.devs.get(name) ?? [];
  }

  private wantsInterface(name: string): boolean {
    return this.keysOfInterface(name).length > 0;
  }

  /** Stops the background work (notifications, timers). */
  stop(): void {
    this.stopped = true;
    this.events?.close();
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }
}
