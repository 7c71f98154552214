// IPv4/IPv6 address arithmetic on bigints: parse, format, mask, contain,
// overlap. Parsing goes through the `ip-address` package; the arithmetic is
// plain bigint (addresses are integers, RFC 4291 §2.5 / RFC 791 §3.2).
import { Address4, Address6 } from "ip-address";
import { InvalidAddressError } from "./errors.js";

/** An IP family. */
export type Family = 4 | 6;

/** A parsed address. */
export interface Ip {
  readonly family: Family;
  readonly value: bigint;
}

/** A parsed prefix; `base` has no host bits set. */
export interface Cidr {
  readonly family: Family;
  readonly base: bigint;
  readonly prefix: number;
}

/** Address width of a family in bits. */
export const bitsOf = (f: Family): number => (f === 4 ? 32 : 128);

/** Parses an IPv4 or IPv6 address (no prefix length). */
export function parseIp(s: string): Ip {
  if (typeof s === "string" && !s.includes("/")) {
    if (Address4.isValid(s)) return { family: 4, value: new Address4(s).bigInt() };
    if (s.includes(":") && Address6.isValid(s))
      return { family: 6, value: new Address6(s).bigInt() };
  }
  throw new InvalidAddressError(String(s));
}

const cidrCache = new Map<string, Cidr>();

/** Parses a CIDR; host bits are cleared (192.0.2.7/24 → 192.0.2.0/24). Results are memoised. */
export function parseCidr(s: string): Cidr {
  const hit = cidrCache.get(s);
  if (hit) return hit;
  const c = parseCidrUncached(s);
  if (cidrCache.size > 50_000) cidrCache.clear();
  cidrCache.set(s, c);
  return c;
}

function parseCidrUncached(s: string): Cidr {
  const m = typeof s === "string" ? /^([^/]+)\/(\d{1,3})$/.exec(s) : null;
  if (!m) throw new InvalidAddressError(String(s));
  const ip = parseIp(m[1]!);
  const prefix = Number(m[2]);
  if (prefix > bitsOf(ip.family)) throw new InvalidAddressError(s);
  return { family: ip.family, base: ip.value & maskOf(ip.family, prefix), prefix };
}

/** The network mask of a prefix length. */
export function maskOf(f: Family, prefix: number): bigint {
  const bits = BigInt(bitsOf(f));
  const all = (1n << bits) - 1n;
  return all ^ ((1n << (bits - BigInt(prefix))) - 1n);
}

/** Formats an address in its canonical text form (RFC 5952 for IPv6). */
export function formatIp(f: Family, v: bigint): string {
  return f === 4 ? Address4.fromBigInt(v).correctForm() : Address6.fromBigInt(v).correctForm();
}

/** Formats a CIDR canonically. */
export function formatCidr(c: Cidr): string {
  return `${formatIp(c.family, c.base)}/${c.prefix}`;
}

/** Number of addresses in a prefix. */
export function sizeOf(c: Cidr): bigint {
  return 1n << BigInt(bitsOf(c.family) - c.prefix);
}

/** True when `ip` lies in `c`. */
export function contains(c: Cidr, ip: Ip): boolean {
  return c.family === ip.family && (ip.value & maskOf(c.family, c.prefix)) === c.base;
}

/** True when the two prefixes share an address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const p = Math.min(a.prefix, b.prefix);
  const m = maskOf(a.family, p);
  return (a.base & m) === (b.base & m);
}

/** The prefix of length `prefix` that contains `ip`. */
export function enclosing(ip: Ip, prefix: number): Cidr {
  return { family: ip.family, base: ip.value & maskOf(ip.family, prefix), prefix };
}
