// Desired routes, and the conflicts between them. Several sources (the
// block-affinity blackholes, the per-pod /32s of the CNI, routes learned over
// BGP) may want a route to the same destination in the same table; the one
// with the lowest `priority` number wins (ties go to the source whose name
// sorts first), like Felix's route classes. Pure: no I/O, no time.
import { AddressFamily, RouteTable, type RouteTypeName } from "../wire/constants.js";
import { NetlinkInputError } from "../wire/errors.js";
import { formatIP, formatPrefix, parseIP, parsePrefix } from "../wire/ip.js";

/** One next hop of a desired ECMP route. */
export interface DesiredNexthop {
  /** Gateway of the route's family. */
  readonly gateway?: string;
  /** Gateway of the other family. */
  readonly via?: string;
  /** Interface name. */
  readonly dev?: string;
  /** ECMP weight 1–256 (default 1). */
  readonly weight?: number;
  /** Gateway is on-link. */
  readonly onlink?: boolean;
}

/** A route the caller wants in the kernel. Interfaces are named, not indexed. */
export interface DesiredRoute {
  /** Destination prefix, "198.51.100.0/26" or "2001:db8:1::/64". */
  readonly dst: string;
  /** Table id (default main). */
  readonly table?: number;
  /** Default unicast. */
  readonly type?: Extract<RouteTypeName, "unicast" | "blackhole" | "unreachable" | "prohibit">;
  /** Gateway of the route's family. */
  readonly gateway?: string;
  /** Gateway of the other family (an IPv6 next hop for an IPv4 route). */
  readonly via?: string;
  /** Interface name. */
  readonly dev?: string;
  /** Gateway is on-link. */
  readonly onlink?: boolean;
  /** Route metric (default 0 for IPv4, 1024 for IPv6, as the kernel does). */
  readonly metric?: number;
  /** Preferred source address. */
  readonly prefsrc?: string;
  /** ECMP next hops. */
  readonly nexthops?: readonly DesiredNexthop[];
  /** Conflict priority among sources wanting the same destination: lower wins (default 100). */
  readonly priority?: number;
}

/** The key of a route in the reconciler: table and canonical destination. */
export function routeKey(table: number, dst: string): string {
  return `${table}|${dst}`;
}

const canonIP = (s: string): string => formatIP(parseIP(s));

/** A desired route with canonical text forms and defaults filled in. */
export interface CanonicalRoute extends DesiredRoute {
  /** AF_INET or AF_INET6. */
  readonly family: number;
  readonly table: number;
  readonly type: NonNullable<DesiredRoute["type"]>;
  readonly metric: number;
  readonly priority: number;
}

/** Canonicalises addresses and fills defaults; throws NetlinkInputError on bad input. */
export function canonical(r: DesiredRoute): CanonicalRoute {
  const p = parsePrefix(r.dst, true);
  const family = p.family;
  const sameFamily = (s: string | undefined, what: string): string | undefined => {
    if (s === undefined) return undefined;
    const a = parseIP(s);
    if ((a.length === 4) !== (family === AddressFamily.inet)) {
      throw new NetlinkInputError(`${what} ${s} is not of the family of ${r.dst} (use "via")`);
    }
    return formatIP(a);
  };
  // One object shape for every canonical route (fields always present).
  return {
    dst: formatPrefix(p.addr, p.len),
    family,
    table: r.table ?? RouteTable.main,
    type: r.type ?? "unicast",
    gateway: sameFamily(r.gateway, "gateway"),
    via: r.via !== undefined ? canonIP(r.via) : undefined,
    dev: r.dev,
    onlink: r.onlink,
    metric: r.metric ?? (family === AddressFamily.inet6 ? 1024 : 0),
    prefsrc: sameFamily(r.prefsrc, "prefsrc"),
    nexthops: r.nexthops?.map((n) => ({
      ...n,
      ...(n.gateway !== undefined ? { gateway: sameFamily(n.gateway, "gateway") } : {}),
      ...(n.via !== undefined ? { via: canonIP(n.via) } : {}),
    })),
    priority: r.priority ?? 100,
  };
}

/** The one source wanting a key. */
interface Holder {
  readonly source: string;
  readonly route: CanonicalRoute;
}

/**
 * Desired routes from several sources, with the winner per (table, dst).
 * A class because it holds state; every method is pure computation.
 */
export class DesiredSet {
  private readonly bySource = new Map<string, Map<string, CanonicalRoute>>();
  /**
   * Who wants each key: one holder (the common case, kept small: a map per
   * key would cost hundreds of bytes times 100,000 routes), or a map of
   * source → route when several sources compete.
   */
  private readonly byKey = new Map<string, Holder | Map<string, CanonicalRoute>>();
  /** Winner per key, kept up to date for the keys each change touches. */
  private readonly won = new Map<string, CanonicalRoute>();

  private hold(k: string, source: string, c: CanonicalRoute): void {
    const h = this.byKey.get(k);
    if (!h || (!(h instanceof Map) && h.source === source)) this.byKey.set(k, { source, route: c });
    else if (h instanceof Map) h.set(source, c);
    else
      this.byKey.set(
        k,
        new Map([
          [h.source, h.route],
          [source, c],
        ]),
      );
  }

  private release(k: string, source: string): void {
    const h = this.byKey.get(k);
    if (!h) return;
    if (!(h instanceof Map)) {
      if (h.source === source) this.byKey.delete(k);
      return;
    }
    h.delete(source);
    if (h.size === 1) {
      const [only] = h;
      this.byKey.set(k, { source: only![0], route: only![1] });
    } else if (h.size === 0) this.byKey.delete(k);
  }

  private refresh(k: string): void {
    const w = this.pick(k);
    if (w) this.won.set(k, w);
    else this.won.delete(k);
  }

  /** Replaces everything `source` wants. Returns the keys whose winner may have changed. */
  setSource(source: string, routes: readonly DesiredRoute[]): Set<string> {
    const touched = new Set<string>();
    const old = this.bySource.get(source);
    for (const k of old?.keys() ?? []) {
      touched.add(k);
      this.release(k, source);
    }
    const next = new Map<string, CanonicalRoute>();
    for (const r of routes) {
      const c = canonical(r);
      const k = routeKey(c.table, c.dst);
      next.set(k, c);
      touched.add(k);
      this.hold(k, source, c);
    }
    if (next.size) this.bySource.set(source, next);
    else this.bySource.delete(source);
    for (const k of touched) this.refresh(k);
    return touched;
  }

  /** Adds or changes one route of `source`. Returns its key. */
  upsert(source: string, route: DesiredRoute): string {
    const c = canonical(route);
    const k = routeKey(c.table, c.dst);
    let mine = this.bySource.get(source);
    if (!mine) {
      mine = new Map();
      this.bySource.set(source, mine);
    }
    mine.set(k, c);
    this.hold(k, source, c);
    this.refresh(k);
    return k;
  }

  /** Removes one route of `source`. Returns its key. */
  remove(source: string, dst: string, table: number = RouteTable.main): string {
    const p = parsePrefix(dst, true);
    const k = routeKey(table, formatPrefix(p.addr, p.len));
    const mine = this.bySource.get(source);
    mine?.delete(k);
    if (mine?.size === 0) this.bySource.delete(source);
    this.release(k, source);
    this.refresh(k);
    return k;
  }

  private pick(key: string): CanonicalRoute | undefined {
    const h = this.byKey.get(key);
    if (!h) return undefined;
    if (!(h instanceof Map)) return h.route;
    let best: [string, CanonicalRoute] | undefined;
    for (const e of h) {
      if (
        !best ||
        e[1].priority < best[1].priority ||
        (e[1].priority === best[1].priority && e[0] < best[0])
      ) {
        best = e;
      }
    }
    return best?.[1];
  }

  /** The winning route for a key: lowest priority, then source name. */
  winner(key: string): CanonicalRoute | undefined {
    return this.won.get(key);
  }

  /** Every key with its winner (a live view: do not keep it across changes). */
  winners(): ReadonlyMap<string, CanonicalRoute> {
    return this.won;
  }

  /** Number of distinct keys. */
  get size(): number {
    return this.byKey.size;
  }
}
