// The diff at the heart of the reconciler: desired routes against the routes
// the kernel holds with Tortie's protocol number, giving the changes to make.
// Pure: the caller passes the kernel's routes, the interface names it knows,
// the time, and the state carried between runs (when each unknown route was
// first seen). Routes of other protocols never reach this function, so they
// are never touched.
//
// Rules (after Felix's routetable):
// - a desired route missing or different in the kernel is replaced
//   (RTM_NEWROUTE with NLM_F_CREATE|NLM_F_REPLACE: atomic in the kernel);
// - a desired route whose interface does not exist yet is pending, not an
//   error (the CNI plugin will create it; a link event triggers a resync);
// - a kernel route of ours that nobody wants is deleted at once, unless it
//   goes through one of Tortie's own interfaces (e.g. cali*): then it is
//   deleted only after a grace period, so that the agent never races the
//   CNI plugin that has just added it;
// - extra kernel routes for a desired key (another metric) are deleted after
//   the desired one is in place.
import { AddressFamily, RouteFlags, RouteType } from "../wire/constants.js";
import type { Nexthop, Route } from "../wire/route.js";
import { type CanonicalRoute, routeKey } from "./desired.js";

/** What {@link planReconcile} needs. */
export interface PlanInput {
  /** Winning desired route per key. */
  readonly desired: ReadonlyMap<string, CanonicalRoute>;
  /** Kernel routes with Tortie's protocol in the managed tables. */
  readonly observed: readonly Route[];
  /**
   * The same routes already grouped by key, when the caller has them (then
   * `observed` is ignored); saves building the keys again on a full resync.
   */
  readonly observedByKey?: ReadonlyMap<string, readonly Route[]>;
  /** Interface name → ifindex, as the kernel has them now. */
  readonly links: ReadonlyMap<string, number>;
  /** ifindexes of Tortie's own interfaces (grace period applies to them). */
  readonly own: ReadonlySet<number>;
  /** The protocol number routes are installed with. */
  readonly protocol: number;
  /** Current time (ms). */
  readonly now: number;
  /** Grace period for unknown routes on own interfaces (ms). */
  readonly graceMs: number;
  /** Key → when first seen unknown, from the previous run. */
  readonly unknownSince: ReadonlyMap<string, number>;
  /** Limit the plan to keys for which this returns true (partial resync). */
  readonly only?: (key: string) => boolean;
  /** The kernel form of a desired route (default {@link toKernelRoute}; callers may memoise it). */
  readonly kernelForm?: (d: CanonicalRoute) => Route | undefined;
}

/** The changes to make. */
export interface Plan {
  /** Routes to install with replace semantics. */
  readonly replace: readonly Route[];
  /** Kernel routes to delete. */
  readonly delete: readonly Route[];
  /** Desired keys that wait for their interface. */
  readonly pending: readonly string[];
  /** Unknown routes on own interfaces still in their grace period. */
  readonly waiting: readonly string[];
  /** The state for the next run. */
  readonly unknownSince: Map<string, number>;
  /** Earliest time a waiting route's grace period ends (for a timer), if any. */
  readonly nextDeadline?: number;
}

/** Builds the kernel form of a desired route; undefined when an interface is missing. */
export function toKernelRoute(
  d: CanonicalRoute,
  links: ReadonlyMap<string, number>,
  protocol: number,
): Route | undefined {
  let oif: number | undefined;
  if (d.dev !== undefined) {
    oif = links.get(d.dev);
    if (oif === undefined) return undefined;
  }
  let multipath: Nexthop[] | undefined;
  if (d.nexthops?.length) {
    multipath = [];
    for (const n of d.nexthops) {
      let o = 0;
      if (n.dev !== undefined) {
        const i = links.get(n.dev);
        if (i === undefined) return undefined;
        o = i;
      }
      const nh: { -readonly [K in keyof Nexthop]: Nexthop[K] } = {
        oif: o,
        weight: n.weight ?? 1,
        flags: n.onlink ? RouteFlags.onlink : 0,
      };
      if (n.gateway !== undefined) nh.gateway = n.gateway;
      if (n.via !== undefined) nh.via = n.via;
      multipath.push(nh);
    }
  }
  const type = RouteType[d.type];
  const direct = type === RouteType.unicast && !d.gateway && !d.via && !multipath;
  // Same field order as decodeRoute(): one object shape for every route.
  return {
    family: d.family,
    dst: d.dst,
    src: undefined,
    tos: 0,
    table: d.table,
    protocol,
    scope: direct && d.family === AddressFamily.inet ? 253 : 0,
    type,
    flags: d.onlink ? RouteFlags.onlink : 0,
    priority: d.metric,
    gateway: d.gateway,
    via: d.via,
    oif,
    iif: undefined,
    prefsrc: d.prefsrc,
    multipath,
    unknown: undefined,
  };
}

const metricOf = (r: Route) => r.priority ?? (r.family === AddressFamily.inet6 ? 1024 : 0);
const onlinkOf = (flags: number | undefined) => (flags ?? 0) & RouteFlags.onlink;

function sameNexthops(want: readonly Nexthop[], got: readonly Nexthop[] | undefined): boolean {
  if (!got || got.length !== want.length) return false;
  const key = (n: Nexthop, anyOif: boolean) =>
    `${n.gateway ?? ""}|${n.via ?? ""}|${anyOif ? "*" : (n.oif ?? 0)}|${n.weight ?? 1}|${onlinkOf(n.flags)}`;
  const g = got.map((n) => key(n, false));
  const w = want.map((n) => key(n, false));
  // A desired next hop without an interface matches any interface.
  return w.every((k, i) => {
    const n = want[i]!;
    if (n.oif) return g.includes(k);
    const wk = key(n, true);
    return got.some((x) => key(x, true) === wk);
  });
}

/**
 * True when the kernel route `got` is what `want` asks for. Fields the kernel
 * fills on its own (an interface for a gateway-only route, IPv6's `dev lo` on
 * blackholes, link-down flags) do not count as differences.
 */
export function routeMatches(want: Route, got: Route): boolean {
  if (want.family !== got.family || want.dst !== got.dst || want.table !== got.table) return false;
  if (want.type !== got.type || metricOf(want) !== metricOf(got)) return false;
  if (want.protocol !== got.protocol) return false;
  if (want.type !== RouteType.unicast) return true;
  if (want.family === AddressFamily.inet && want.scope !== got.scope) return false;
  if (onlinkOf(want.flags) !== onlinkOf(got.flags)) return false;
  if ((want.prefsrc ?? got.prefsrc) !== got.prefsrc) return false;
  if (want.multipath) return sameNexthops(want.multipath, got.multipath);
  if (got.multipath) return false;
  if ((want.gateway ?? "") !== (got.gateway ?? "")) return false;
  if ((want.via ?? "") !== (got.via ?? "")) return false;
  if (want.oif !== undefined && want.oif !== got.oif) return false;
  return true;
}

/**
 * Computes the changes that make the kernel match the desired routes, as a
 * generator that pauses every `step` routes so that a caller can give the
 * event loop a turn in between (the work is the same; see {@link planReconcile}).
 */
export function* planSteps(input: PlanInput, step = 5000): Generator<void, Plan> {
  let n = 0;
  const only = input.only ?? (() => true);
  const kernelForm =
    input.kernelForm ?? ((d: CanonicalRoute) => toKernelRoute(d, input.links, input.protocol));
  let observedByKey: ReadonlyMap<string, readonly Route[]>;
  const given = input.observedByKey !== undefined;
  if (input.observedByKey) observedByKey = input.observedByKey;
  else {
    const grouped = new Map<string, Route[]>();
    for (const r of input.observed) {
      if (++n % step === 0) yield;
      if (r.protocol !== input.protocol) continue;
      const k = routeKey(r.table, r.dst);
      if (!only(k)) continue;
      const list = grouped.get(k);
      if (list) list.push(r);
      else grouped.set(k, [r]);
    }
    observedByKey = grouped;
  }
  const ours = (rs: readonly Route[] | undefined): readonly Route[] => {
    if (!rs) return [];
    if (!given) return rs;
    for (const r of rs)
      if (r.protocol !== input.protocol) return rs.filter((x) => x.protocol === input.protocol);
    return rs;
  };
  const replace: Route[] = [];
  const del: Route[] = [];
  const pending: string[] = [];
  const waiting: string[] = [];
  const unknownSince = new Map<string, number>();
  // Keep grace timers of keys outside a partial resync's scope.
  for (const [k, t] of input.unknownSince) if (!only(k)) unknownSince.set(k, t);
  let nextDeadline: number | undefined;

  // Iterating keys (not entries) allocates nothing per route.
  for (const k of input.desired.keys()) {
    if (++n % step === 0) yield;
    if (!only(k)) continue;
    const d = input.desired.get(k)!;
    const want = kernelForm(d);
    const got = ours(observedByKey.get(k));
    if (!want) {
      pending.push(k);
      // Whatever the kernel has for this key is stale; the interface is gone.
      del.push(...got);
      continue;
    }
    let match = -1;
    for (let i = 0; i < got.length; i++) {
      if (routeMatches(want, got[i]!)) {
        match = i;
        break;
      }
    }
    if (match < 0) replace.push(want);
    for (let i = 0; i < got.length; i++) {
      if (i === match) continue;
      // Replace overwrites a route of the same metric in place; others must go.
      if (metricOf(got[i]!) !== metricOf(want) || match >= 0) del.push(got[i]!);
    }
  }
  for (const k of observedByKey.keys()) {
    if (++n % step === 0) yield;
    if (input.desired.has(k) || !only(k)) continue;
    for (const r of ours(observedByKey.get(k))) {
      const onOwn =
        (r.oif !== undefined && input.own.has(r.oif)) ||
        (r.multipath?.some((n) => n.oif !== undefined && input.own.has(n.oif)) ?? false);
      if (!onOwn) {
        del.push(r);
        continue;
      }
      const since = input.unknownSince.get(k) ?? input.now;
      if (input.now - since >= input.graceMs) {
        del.push(r);
      } else {
        unknownSince.set(k, since);
        waiting.push(k);
        const deadline = since + input.graceMs;
        if (nextDeadline === undefined || deadline < nextDeadline) nextDeadline = deadline;
      }
    }
  }
  return {
    replace,
    delete: del,
    pending,
    waiting,
    unknownSince,
    ...(nextDeadline !== undefined ? { nextDeadline } : {}),
  };
}

/** Computes the changes that make the kernel match the desired routes (all at once). */
export function planReconcile(input: PlanInput): Plan {
  const it = planSteps(input);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
  }
}
