// The reconciler's picture of the kernel: Tortie's routes per key, kept from
// the last dump and updated from the reconciler's own writes and from route
// notifications. Pure data structure.
import type { Route } from "../wire/route.js";
import { routeKey } from "./desired.js";

const metricOf = (r: Route) => r.priority ?? (r.family === 10 ? 1024 : 0);

/** Kernel routes of one protocol, by key. */
export class KernelRoutes {
  private readonly byKey = new Map<string, Route[]>();

  /** Replaces the whole picture (after a full dump). */
  load(routes: readonly Route[]): void {
    this.byKey.clear();
    for (const r of routes) this.push(r);
  }

  /**
   * Adds a route of a fresh dump. A dump holds each (key, metric) once, so
   * unlike {@link KernelRoutes.add} this does not look for one to replace.
   */
  push(r: Route): void {
    const k = routeKey(r.table, r.dst);
    const list = this.byKey.get(k);
    if (list) list.push(r);
    else this.byKey.set(k, [r]);
  }

  /** Replaces the picture of some keys (after a partial dump). */
  loadKeys(keys: Iterable<string>, routes: readonly Route[]): void {
    for (const k of keys) this.byKey.delete(k);
    for (const r of routes) this.add(r);
  }

  /** Records a route the kernel now has (replacing one of the same metric). */
  add(r: Route): void {
    const k = routeKey(r.table, r.dst);
    const list = (this.byKey.get(k) ?? []).filter((x) => metricOf(x) !== metricOf(r));
    list.push(r);
    this.byKey.set(k, list);
  }

  /** Records that the kernel dropped the route of this key and metric. */
  remove(r: Route): void {
    const k = routeKey(r.table, r.dst);
    const list = this.byKey.get(k);
    if (!list) return;
    const rest = list.filter((x) => metricOf(x) !== metricOf(r));
    if (rest.length) this.byKey.set(k, rest);
    else this.byKey.delete(k);
  }

  /** Drops every route through an interface (the kernel flushes them with it). */
  dropInterface(ifindex: number): string[] {
    const keys: string[] = [];
    for (const [k, list] of this.byKey) {
      const rest = list.filter(
        (r) => r.oif !== ifindex && !(r.multipath?.some((n) => n.oif === ifindex) ?? false),
      );
      if (rest.length !== list.length) keys.push(k);
      if (rest.length) this.byKey.set(k, rest);
      else this.byKey.delete(k);
    }
    return keys;
  }

  /** Routes of some keys. */
  get(keys: Iterable<string>): Route[] {
    const out: Route[] = [];
    for (const k of keys) out.push(...(this.byKey.get(k) ?? []));
    return out;
  }

  /** Every route. */
  all(): Route[] {
    return [...this.byKey.values()].flat();
  }

  /** The routes grouped by key (a live view). */
  byKeyView(): ReadonlyMap<string, readonly Route[]> {
    return this.byKey;
  }

  /** Every key. */
  keys(): IterableIterator<string> {
    return this.byKey.keys();
  }

  /** Number of keys. */
  get size(): number {
    return this.byKey.size;
  }
}
