// Validating many originated routes at once, the way a full table is
// originated: routes with equal attributes form one group whose attributes
// are validated once (the first route, through the full configuration
// schema), and whose prefixes are held compactly — IPv4 as numbers
// (address × 64 + length), others as parsed prefixes. A prefix in the
// plain canonical form ("198.18.0.1/32", host bits clear, no leading
// zeros) is checked by a small scanner; anything else goes through the
// schema too, so what is accepted and every error message are the
// schema's. Pure.
import { type Prefix, parsePrefix } from "../wire/prefix.js";
import {
  ConfigError,
  type OriginateConfig,
  type OriginateConfigInput,
  parseOriginateConfig,
} from "./config.js";

/** Routes sharing one attribute set. */
export interface OriginateGroup {
  /** The group's first route, validated in full: its attributes are every route's. */
  readonly route: OriginateConfig;
  /** IPv4 prefixes as address × 64 + length (no object per prefix). */
  readonly v4: number[];
  /** Other prefixes (IPv6). */
  readonly other: Prefix[];
}

/** A batch of routes to originate, grouped by attribute set. */
export interface OriginateBatch {
  readonly groups: readonly OriginateGroup[];
  /** Number of routes (prefixes) in the batch. */
  readonly size: number;
}

const DOT = 46;
const SLASH = 47;
const ZERO = 48;

/**
 * `text` as address × 64 + length when it is an IPv4 prefix in canonical
 * form with its host bits clear; -1 otherwise (the caller then asks the
 * schema, which accepts or explains).
 */
export function canonicalV4(text: string): number {
  const n = text.length;
  if (n < 9 || n > 18) return -1;
  let addr = 0;
  let i = 0;
  for (let part = 0; part < 4; part++) {
    const start = i;
    let v = 0;
    while (i < n) {
      const c = text.charCodeAt(i) - ZERO;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || v > 255 || (digits > 1 && text.charCodeAt(start) === ZERO))
      return -1;
    addr = addr * 256 + v;
    if (i >= n || text.charCodeAt(i) !== (part < 3 ? DOT : SLASH)) return -1;
    i++;
  }
  const start = i;
  let len = 0;
  while (i < n) {
    const c = text.charCodeAt(i) - ZERO;
    if (c < 0 || c > 9) return -1;
    len = len * 10 + c;
    i++;
  }
  const digits = i - start;
  if (digits === 0 || digits > 2 || len > 32 || (digits > 1 && text.charCodeAt(start) === ZERO))
    return -1;
  // Host bits must be clear (the schema refuses "198.51.100.1/26").
  if (len < 32 && addr % 2 ** (32 - len) !== 0) return -1;
  return addr * 64 + len;
}

/** The attributes of a route (everything but its prefix) as a grouping key; "" for none. */
function attributesKey(r: Record<string, unknown>): string {
  let only = true;
  for (const k in r)
    if (k !== "prefix") {
      only = false;
      break;
    }
  if (only) return "";
  const { prefix: _p, ...rest } = r;
  return JSON.stringify(rest);
}

/**
 * Validates `routes` (each as the configuration's `originate:` entries) and
 * groups them by attributes. Throws {@link ConfigError} naming the first bad
 * route as `at.<index>` (and nothing is kept).
 */
export function parseOriginateBatch(
  routes: readonly OriginateConfigInput[],
  at = "",
): OriginateBatch {
  const byKey = new Map<string, { group: OriginateGroup; raw: Record<string, unknown> }>();
  let size = 0;
  const fail = (i: number, e: unknown): never => {
    if (!(e instanceof ConfigError)) throw e;
    const base = at ? `${at}.${i}` : String(i);
    throw new ConfigError(
      e.issues.map((x) => ({ ...x, path: x.path ? `${base}.${x.path}` : base })),
    );
  };
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i] as unknown;
    if (typeof r !== "object" || r === null || Array.isArray(r)) {
      try {
        parseOriginateConfig(r);
      } catch (e) {
        fail(i, e);
      }
      continue;
    }
    const raw = r as Record<string, unknown>;
    const key = attributesKey(raw);
    let g = byKey.get(key);
    if (!g) {
      let route: OriginateConfig;
      try {
        route = parseOriginateConfig(raw);
      } catch (e) {
        return fail(i, e);
      }
      g = { group: { route, v4: [], other: [] }, raw };
      byKey.set(key, g);
    }
    const text = raw.prefix;
    const v = typeof text === "string" ? canonicalV4(text) : -1;
    if (v >= 0) g.group.v4.push(v);
    else {
      // The schema decides (and explains): the group's attributes with this prefix.
      let one: OriginateConfig;
      try {
        one = parseOriginateConfig(g.raw === raw ? raw : { ...g.raw, prefix: text });
      } catch (e) {
        return fail(i, e);
      }
      const p = parsePrefix(one.prefix);
      if (p.afi === 1) g.group.v4.push(v4Number(p));
      else g.group.other.push(p);
    }
    size++;
  }
  return { groups: [...byKey.values()].map((g) => g.group), size };
}

/**
 * Validates `prefixes` sharing the attributes `attributes` (an `originate`
 * route without its prefix): the attributes once, each prefix as in
 * {@link parseOriginateBatch}. Errors name `prefixes.<index>` or the attribute.
 */
export function parsePrefixBatch(
  prefixes: readonly string[],
  attributes: Omit<OriginateConfigInput, "prefix">,
): OriginateBatch {
  if (typeof attributes !== "object" || attributes === null || Array.isArray(attributes))
    throw new ConfigError([{ path: "attributes", message: "must be an object" }]);
  if ("prefix" in attributes)
    throw new ConfigError([{ path: "attributes.prefix", message: "give prefixes in the list" }]);
  if (prefixes.length === 0) return { groups: [], size: 0 };
  const attrs = attributes as Record<string, unknown>;
  const check = (prefix: unknown, i: number): OriginateConfig => {
    try {
      return parseOriginateConfig({ ...attrs, prefix });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      throw new ConfigError(
        e.issues.map((x) => ({
          ...x,
          path:
            x.path === "prefix" ? `prefixes.${i}` : x.path ? `attributes.${x.path}` : "attributes",
        })),
      );
    }
  };
  const group: OriginateGroup = { route: check(prefixes[0], 0), v4: [], other: [] };
  for (let i = 0; i < prefixes.length; i++) {
    const text = prefixes[i];
    const v = typeof text === "string" ? canonicalV4(text) : -1;
    if (v >= 0) {
      group.v4.push(v);
      continue;
    }
    const p = parsePrefix(check(text, i).prefix);
    if (p.afi === 1) group.v4.push(v4Number(p));
    else group.other.push(p);
  }
  return { groups: [group], size: prefixes.length };
}

/** An IPv4 prefix as address × 64 + length. */
export function v4Number(p: Prefix): number {
  const b = p.bytes;
  return (
    (((b[0] ?? 0) * 0x1000000 + ((b[1] ?? 0) << 16) + ((b[2] ?? 0) << 8) + (b[3] ?? 0)) >>> 0) *
      64 +
    p.length
  );
}

/** The IPv4 prefix of address × 64 + length. */
export function v4FromNumber(v: number): Prefix {
  const length = v % 64;
  const addr = (v - length) / 64;
  const n = (length + 7) >> 3;
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = (addr >>> (24 - 8 * i)) & 255;
  return { afi: 1, length, bytes };
}

/** The text of address × 64 + length ("198.18.0.1/32"). */
export function v4Text(v: number): string {
  const length = v % 64;
  const a = (v - length) / 64;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${length}`;
}
