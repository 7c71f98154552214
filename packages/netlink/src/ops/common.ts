// Helpers shared by the operation classes: interface references, and
// turning names of route types/scopes into numbers.
import { RouteType, type RouteTypeName, Scope, type ScopeName } from "../wire/constants.js";
import { NetlinkInputError } from "../wire/errors.js";

/** An interface by name ("eth0") or by ifindex. */
export type LinkRef = string | number;

/** Resolves interface names to ifindexes (looked up per operation: names can be re-created). */
export type IndexResolver = (ref: LinkRef) => Promise<number>;

/** A route type by name or RTN_* number. */
export type RouteTypeRef = RouteTypeName | number;
/** A scope by name or RT_SCOPE_* number. */
export type ScopeRef = ScopeName | number;

/** The RTN_* number of a type reference. */
export function routeTypeNumber(t: RouteTypeRef): number {
  if (typeof t === "number") return t;
  const n = RouteType[t];
  if (n === undefined) throw new NetlinkInputError(`unknown route type "${t}"`);
  return n;
}

/** The RT_SCOPE_* number of a scope reference. */
export function scopeNumber(s: ScopeRef): number {
  if (typeof s === "number") return s;
  const n = Scope[s];
  if (n === undefined) throw new NetlinkInputError(`unknown scope "${s}"`);
  return n;
}
