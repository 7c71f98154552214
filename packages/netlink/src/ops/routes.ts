// Route operations — each the equivalent of an `ip route` command, plus
// batches (what `ip -batch` does, several hundred routes per sendto).
import { NetlinkError } from "../errors.js";
import type { BatchOptions, BatchResult, Connection } from "../socket/connection.js";
import {
  AddressFamily,
  NlmFlags,
  RouteFlags,
  RouteProtocol,
  RouteTable,
  RouteType,
  Rtm,
  Scope,
} from "../wire/constants.js";
import { parseIP } from "../wire/ip.js";
import type { Message } from "../wire/message.js";
import type { Nexthop, Route } from "../wire/route.js";
import {
  type IndexResolver,
  type LinkRef,
  type RouteTypeRef,
  routeTypeNumber,
  type ScopeRef,
  scopeNumber,
} from "./common.js";

/** One next hop of an ECMP route (`nexthop via GW dev D weight W [onlink]`). */
export interface NexthopSpec {
  /** Gateway of the route's family. */
  readonly gateway?: string;
  /** A gateway of the other family (`via inet6 ADDR`). */
  readonly via?: string;
  /** Outgoing interface. */
  readonly dev?: LinkRef;
  /** 1–256 (default 1). */
  readonly weight?: number;
  /** Gateway is on-link. */
  readonly onlink?: boolean;
}

/** A route to add, replace, append or delete. */
export interface RouteSpec {
  /** Destination: "198.51.100.0/24", "2001:db8:1::/48", or "default" (with `family`). */
  readonly dst: string;
  /** 4 or 6; inferred from dst or gateway when omitted. */
  readonly family?: 4 | 6;
  /** Table id (default main, 254). */
  readonly table?: number;
  /** RTPROT_* (default boot, as `ip route add`; use RouteProtocol.tortie for Tortie's). */
  readonly protocol?: number;
  /** `metric N`. */
  readonly metric?: number;
  /** Default: host for local, link for a gateway-less unicast, else universe. */
  readonly scope?: ScopeRef;
  /** Default unicast; "blackhole", "unreachable", "prohibit", "local", … */
  readonly type?: RouteTypeRef;
  /** `via GW` (same family). */
  readonly gateway?: string;
  /** `via inet6 GW` for an IPv4 route (or `via inet GW` for IPv6). */
  readonly via?: string;
  /** `dev X`. */
  readonly dev?: LinkRef;
  /** `src ADDR`. */
  readonly prefsrc?: string;
  /** `onlink`. */
  readonly onlink?: boolean;
  /** ECMP next hops. */
  readonly nexthops?: readonly NexthopSpec[];
  /** `tos N` (IPv4). */
  readonly tos?: number;
}

/** Filter of {@link Routes.list}. */
export interface RouteFilter {
  /** Table id, or "all" (default main, like `ip route show`). */
  readonly table?: number | "all";
  /** Only routes of this protocol (`proto N`). */
  readonly protocol?: number;
  /** 4 or 6 (default both). */
  readonly family?: 4 | 6;
  /** Only routes through this interface (`dev X`). */
  readonly dev?: LinkRef;
  /** Only this type (`type blackhole`…). */
  readonly type?: RouteTypeRef;
}

/** What a batch does to each route. */
export type RouteOp = "add" | "replace" | "append" | "delete";

const OP_FLAGS: Record<RouteOp, number> = {
  add: NlmFlags.create | NlmFlags.excl,
  replace: NlmFlags.create | NlmFlags.replace,
  append: NlmFlags.create | NlmFlags.append,
  delete: 0,
};

function familyNumber(f: 4 | 6): number {
  return f === 4 ? AddressFamily.inet : AddressFamily.inet6;
}

function inferFamily(s: RouteSpec): number {
  if (s.family) return familyNumber(s.family);
  if (s.dst !== "default") return s.dst.includes(":") ? AddressFamily.inet6 : AddressFamily.inet;
  const gw = s.gateway ?? s.nexthops?.find((n) => n.gateway)?.gateway;
  if (gw) return gw.includes(":") ? AddressFamily.inet6 : AddressFamily.inet;
  return AddressFamily.inet;
}

/** The `ip route` words for a spec (for error messages). */
export function describeRoute(op: RouteOp, s: RouteSpec): string {
  const parts = [`ip route ${op}`];
  if (s.type && s.type !== "unicast") parts.push(String(s.type));
  parts.push(s.dst);
  if (s.gateway) parts.push(`via ${s.gateway}`);
  if (s.via) parts.push(`via ${s.via.includes(":") ? "inet6" : "inet"} ${s.via}`);
  if (s.dev !== undefined) parts.push(`dev ${s.dev}`);
  for (const n of s.nexthops ?? []) {
    parts.push(
      `nexthop${n.gateway ? ` via ${n.gateway}` : ""}${n.dev !== undefined ? ` dev ${n.dev}` : ""}`,
    );
  }
  if (s.onlink) parts.push("onlink");
  if (s.table !== undefined) parts.push(`table ${s.table}`);
  if (s.protocol !== undefined) parts.push(`proto ${s.protocol}`);
  if (s.metric !== undefined) parts.push(`metric ${s.metric}`);
  return parts.join(" ");
}

/** Every interface a spec names. */
function devsOf(s: RouteSpec): LinkRef[] {
  const out: LinkRef[] = [];
  if (s.dev !== undefined) out.push(s.dev);
  for (const n of s.nexthops ?? []) if (n.dev !== undefined) out.push(n.dev);
  return out;
}

/**
 * Turns a spec into the rtmsg the kernel expects, with `ip`'s defaults
 * (protocol boot, table main, scope by type) for add/replace/append and the
 * match-anything defaults of `ip route del` (scope nowhere, any protocol and
 * type) for delete. `indexOf` maps interface references to ifindexes.
 */
export function routeFromSpecSync(
  op: RouteOp,
  s: RouteSpec,
  indexOf: (ref: LinkRef) => number,
): Route {
  const family = inferFamily(s);
  const dst = s.dst === "default" ? (family === AddressFamily.inet6 ? "::/0" : "0.0.0.0/0") : s.dst;
  const type =
    s.type !== undefined ? routeTypeNumber(s.type) : op === "delete" ? 0 : RouteType.unicast;
  let scope: number;
  if (s.scope !== undefined) scope = scopeNumber(s.scope);
  else if (op === "delete") scope = Scope.nowhere;
  else if (type === RouteType.local) scope = Scope.host;
  else if (type === RouteType.unicast && !s.gateway && !s.via && !s.nexthops?.length)
    scope = Scope.link;
  else scope = Scope.universe;
  const multipath: Nexthop[] | undefined = s.nexthops?.length
    ? s.nexthops.map((n) => ({
        ...(n.gateway !== undefined ? { gateway: n.gateway } : {}),
        ...(n.via !== undefined ? { via: n.via } : {}),
        oif: n.dev !== undefined ? indexOf(n.dev) : 0,
        weight: n.weight ?? 1,
        flags: n.onlink ? RouteFlags.onlink : 0,
      }))
    : undefined;
  return {
    family,
    dst,
    tos: s.tos ?? 0,
    table: s.table ?? RouteTable.main,
    protocol: s.protocol ?? (op === "delete" ? 0 : RouteProtocol.boot),
    scope,
    type,
    flags: s.onlink ? RouteFlags.onlink : 0,
    ...(s.metric !== undefined ? { priority: s.metric } : {}),
    ...(s.gateway !== undefined ? { gateway: s.gateway } : {}),
    ...(s.via !== undefined ? { via: s.via } : {}),
    ...(s.dev !== undefined ? { oif: indexOf(s.dev) } : {}),
    ...(s.prefsrc !== undefined ? { prefsrc: s.prefsrc } : {}),
    ...(multipath ? { multipath } : {}),
  };
}

/** Resolves every interface the specs name (each once), for {@link routeFromSpecSync}. */
export async function resolveDevs(
  specs: readonly RouteSpec[],
  resolve: IndexResolver,
): Promise<(ref: LinkRef) => number> {
  const names = new Set<LinkRef>();
  for (const s of specs) for (const d of devsOf(s)) if (typeof d === "string") names.add(d);
  const map = new Map<LinkRef, number>();
  for (const n of names) map.set(n, await resolve(n));
  return (ref) => (typeof ref === "number" ? ref : map.get(ref)!);
}

/** {@link routeFromSpecSync} with interface names resolved through `resolve`. */
export async function routeFromSpec(
  op: RouteOp,
  s: RouteSpec,
  resolve: IndexResolver,
): Promise<Route> {
  return routeFromSpecSync(op, s, await resolveDevs([s], resolve));
}

/** Routes of one namespace. Get it from `Netlink.routes`. */
export class Routes {
  constructor(
    private readonly conn: Connection,
    private readonly resolve: IndexResolver,
  ) {}

  /**
   * Routes (`ip route show [table T|all] [proto P] [dev X] [type T]`,
   * `ip -6 route show …`). Uses the kernel's strict dump filters, and checks
   * again here. Cloned (cache) routes are left out.
   */
  async list(f: RouteFilter = {}): Promise<Route[]> {
    const families = f.family
      ? [familyNumber(f.family)]
      : [AddressFamily.inet, AddressFamily.inet6];
    const table = f.table === "all" ? 0 : (f.table ?? RouteTable.main);
    const oif = f.dev !== undefined ? await this.resolve(f.dev) : undefined;
    const type = f.type !== undefined ? routeTypeNumber(f.type) : 0;
    const out: Route[] = [];
    for (const family of families) {
      let messages: Message[];
      try {
        ({ messages } = await this.conn.dump("ip route show", Rtm.getRoute, {
          kind: "route",
          route: {
            family,
            dst: "",
            table,
            protocol: f.protocol ?? 0,
            scope: 0,
            type,
            ...(oif !== undefined ? { oif } : {}),
          },
        }));
      } catch (e) {
        // A table that does not exist (yet) in this family holds no routes.
        if (e instanceof NetlinkError && e.code === "ENOENT" && table) continue;
        throw e;
      }
      for (const m of messages) {
        if (m.kind !== "route") continue;
        const r = m.route;
        if (r.flags !== undefined && r.flags & RouteFlags.cloned) continue;
        if (table && r.table !== table) continue;
        if (f.protocol !== undefined && r.protocol !== f.protocol) continue;
        if (type && r.type !== type) continue;
        if (oif !== undefined && r.oif !== oif && !r.multipath?.some((n) => n.oif === oif))
          continue;
        out.push(r);
      }
    }
    return out;
  }

  /** The route the kernel would use for an address (`ip route get ADDR [from SRC] [oif X]`). */
  async get(address: string, opts: { table?: number; dev?: LinkRef } = {}): Promise<Route> {
    const a = parseIP(address);
    const family = a.length === 4 ? AddressFamily.inet : AddressFamily.inet6;
    const op = `ip route get ${address}`;
    const replies = await this.conn.request(op, Rtm.getRoute, 0, {
      kind: "route",
      route: {
        family,
        dst: `${address}/${a.length * 8}`,
        table: opts.table ?? 0,
        protocol: 0,
        scope: 0,
        type: 0,
        flags: opts.table !== undefined ? RouteFlags.lookupTable : 0,
        ...(opts.dev !== undefined ? { oif: await this.resolve(opts.dev) } : {}),
      },
    });
    const m = replies.find((x) => x.kind === "route");
    if (m?.kind !== "route") throw new NetlinkError(op, 3, "no route in the reply");
    return m.route;
  }

  private async one(op: RouteOp, s: RouteSpec): Promise<void> {
    const route = await routeFromSpec(op, s, this.resolve);
    await this.conn.request(
      describeRoute(op, s),
      op === "delete" ? Rtm.delRoute : Rtm.newRoute,
      OP_FLAGS[op],
      {
        kind: "route",
        route,
      },
    );
  }

  /** Adds a route (`ip route add …`); EEXIST when one with the same key exists. */
  add(s: RouteSpec): Promise<void> {
    return this.one("add", s);
  }

  /** Adds or replaces a route atomically (`ip route replace …`). */
  replace(s: RouteSpec): Promise<void> {
    return this.one("replace", s);
  }

  /** Adds a route after existing ones of the same key (`ip route append …`). */
  append(s: RouteSpec): Promise<void> {
    return this.one("append", s);
  }

  /** Deletes a route (`ip route del …`); ESRCH when none matches. */
  delete(s: RouteSpec): Promise<void> {
    return this.one("delete", s);
  }

  /**
   * Applies one operation to many routes, many per sendto (what `ip -batch`
   * does, faster). Not atomic: returns the refused ones, the rest are applied.
   */
  async batch(
    op: RouteOp,
    specs: readonly RouteSpec[],
    opts: BatchOptions = {},
  ): Promise<BatchResult> {
    const indexOf = await resolveDevs(specs, this.resolve);
    const type = op === "delete" ? Rtm.delRoute : Rtm.newRoute;
    const flags = OP_FLAGS[op];
    return this.conn.batchOf(
      `ip route ${op}`,
      specs.length,
      (i) => ({
        type,
        flags,
        body: { kind: "route", route: routeFromSpecSync(op, specs[i]!, indexOf) },
      }),
      { describe: (i) => describeRoute(op, specs[i]!), ...opts },
    );
  }

  /** Like {@link Routes.batch} for routes already in kernel form (e.g. from {@link Routes.list}). */
  batchRoutes(
    op: RouteOp,
    routes: readonly Route[],
    opts: BatchOptions = {},
  ): Promise<BatchResult> {
    const type = op === "delete" ? Rtm.delRoute : Rtm.newRoute;
    const flags = OP_FLAGS[op];
    return this.conn.batchOf(
      `ip route ${op}`,
      routes.length,
      (i) => ({ type, flags, body: { kind: "route", route: routes[i]! } }),
      opts,
    );
  }

  /**
   * Deletes every route of a protocol (`ip route flush proto P [table T]`):
   * dumps, then deletes what it found. Returns how many were deleted.
   */
  async flush(f: { protocol: number; table?: number | "all"; family?: 4 | 6 }): Promise<number> {
    const routes = await this.list(f);
    if (routes.length === 0) return 0;
    // Send back only what identifies each route (not cacheinfo and the like).
    const r = await this.batchRoutes(
      "delete",
      routes.map(({ unknown: _, ...k }) => k),
    );
    const lost = r.failures.filter((x) => x.error.code !== "ESRCH");
    if (lost.length) throw lost[0]!.error;
    return routes.length - r.failures.length;
  }
}
