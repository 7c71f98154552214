// The prefixes of a decoded UPDATE, and their text, for a session's "routes"
// events (RFC 4271 §4.3 Withdrawn Routes and NLRI, RFC 4760 MP_REACH_NLRI /
// MP_UNREACH_NLRI).
import type { UpdateMessage } from "../wire/messages/update.js";
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
