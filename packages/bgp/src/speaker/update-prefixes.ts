// The prefixes of a decoded UPDATE, and their text, for a session's "routes"
// events (RFC 4271 §4.3 Withdrawn Routes and NLRI, RFC 4760 MP_REACH_NLRI /
// MP_UNREACH_NLRI).
import { ipv4Fields, type UpdateMessage } from "../wire/messages/update.js";
import { formatPrefix, type Prefix } from "../wire/prefix.js";

/** `a.b.c.d/len` (or IPv6 text) of a prefix, without a temporary buffer for IPv4. */
export function prefixText(p: Prefix): string {
  if (p.afi !== 1) return formatPrefix(p);
  const b = p.bytes;
  return `${b[0] ?? 0}.${b[1] ?? 0}.${b[2] ?? 0}.${b[3] ?? 0}/${p.length}`;
}

export function withPathId(p: Prefix, pathId: number): Prefix {
  return pathId === 0 ? p : { ...p, pathId };
}

/** The prefixes an UPDATE withdraws (all it names under treat-as-withdraw, RFC 7606 §2). */
export function withdrawnPrefixes(msg: UpdateMessage, all: boolean): Prefix[] {
  const out: Prefix[] = [...msg.withdrawn];
  for (const a of msg.attributes) if (a.type === "mp-unreach") out.push(...a.withdrawn);
  if (all) out.push(...announcedPrefixes(msg));
  return out;
}

/** The prefixes an UPDATE announces, NLRI field first, in `routesFromUpdate` order. */
export function announcedPrefixes(msg: UpdateMessage): Prefix[] {
  const out: Prefix[] = [...msg.nlri];
  for (const a of msg.attributes) if (a.type === "mp-reach") out.push(...a.nlri);
  return out;
}

/**
 * Indices, in {@link announcedPrefixes} order, of the announced prefixes the
 * peer has a path for after the RIB took the UPDATE: those `held` says, or —
 * without `held`, when no prefix was refused (no treat-as-withdraw, import
 * rejection or max-prefix teardown) — every one except MP_REACH_NLRI prefixes
 * without a next hop, which `applyUpdate` does not announce.
 */
export function heldIndices(msg: UpdateMessage, held?: (p: Prefix) => boolean): readonly number[] {
  const out: number[] = [];
  let i = 0;
  const v4 = held ? undefined : ipv4Fields(msg);
  if (v4 && !msg.attributes.some((a) => a.type === "mp-reach")) {
    // Every prefix, all from the NLRI field: 0 … n-1, made only if read.
    const n = v4.nlri.length >> 1;
    return lazyArray(n, () => Array.from({ length: n }, (_, k) => k));
  }
  if (v4) {
    // Decoded as numbers: every NLRI-field prefix is held, no objects needed.
    for (const n = v4.nlri.length >> 1; i < n; i++) out.push(i);
  } else {
    for (const p of msg.nlri) {
      if (!held || held(p)) out.push(i);
      i++;
    }
  }
  for (const a of msg.attributes) {
    if (a.type !== "mp-reach") continue;
    for (const p of a.nlri) {
      if (held ? held(p) : a.nextHop !== undefined) out.push(i);
      i++;
    }
  }
  return out;
}

/**
 * A read-only array of `length` elements made by `make` the first time an
 * element (or anything but its length) is read: a session's "routes" event
 * is built for every UPDATE, but its per-route objects only when a listener
 * looks at them. `make` must return exactly `length` elements.
 */
export function lazyArray<T>(length: number, make: () => T[]): readonly T[] {
  let real: T[] | undefined;
  const get = (): T[] => {
    real ??= make();
    return real;
  };
  return new Proxy<T[]>([], {
    get: (_t, k) => (k === "length" && real === undefined ? length : Reflect.get(get(), k)),
    has: (_t, k) => Reflect.has(get(), k),
    ownKeys: () => Reflect.ownKeys(get()),
    getOwnPropertyDescriptor: (_t, k) => Reflect.getOwnPropertyDescriptor(get(), k),
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}
