// Text forms of addresses and prefixes as iproute2 prints and accepts them:
// IPv4 dotted quads, IPv6 in RFC 5952 canonical form (§4: lowercase, longest
// run of zero groups shortened with "::", no "::" for one group, embedded
// IPv4 for ::ffff:0:0/96), CIDR prefixes, and link-layer (MAC) addresses.

import { AddressFamily } from "./constants.js";
import { NetlinkInputError } from "./errors.js";

/** An IP prefix in binary form. */
export interface Prefix {
  readonly family: typeof AddressFamily.inet | typeof AddressFamily.inet6;
  /** 4 or 16 bytes. */
  readonly addr: Uint8Array;
  readonly len: number;
}

/** Parses dotted-quad text into out[at..at+4); false when malformed (no leading zeros). */
function parseV4Into(s: string, out: Uint8Array, at: number): boolean {
  let part = 0;
  let digits = 0;
  let value = 0;
  let lead0 = false;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || part > 3 || (lead0 && digits > 1)) return false;
      out[at + part++] = value;
      value = 0;
      digits = 0;
      continue;
    }
    if (c < 48 || c > 57) return false;
    if (digits === 0) lead0 = c === 48;
    value = value * 10 + (c - 48);
    if (++digits > 3 || value > 255) return false;
  }
  return part === 4;
}

/** Parses an IPv4 address, or returns undefined. */
export function tryParseIPv4(s: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  return parseV4Into(s, out, 0) ? out : undefined;
}

/** Parses an IPv6 address (with optional embedded IPv4 tail), or returns undefined. */
export function tryParseIPv6(s: string): Uint8Array | undefined {
  if (s.length < 2 || s.length > 45) return undefined;
  const out = new Uint8Array(16);
  const dbl = s.indexOf("::");
  if (dbl >= 0 && s.indexOf("::", dbl + 1) >= 0) return undefined;
  const head = dbl >= 0 ? s.slice(0, dbl) : s;
  const tail = dbl >= 0 ? s.slice(dbl + 2) : "";
  const parseGroups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const groups: number[] = [];
    const items = part.split(":");
    for (let i = 0; i < items.length; i++) {
      const g = items[i]!;
      if (i === items.length - 1 && g.includes(".")) {
        const v4 = new Uint8Array(4);
        if (!parseV4Into(g, v4, 0)) return undefined;
        groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      groups.push(Number.parseInt(g, 16));
    }
    return groups;
  };
  const h = parseGroups(head);
  const t = parseGroups(tail);
  if (!h || !t) return undefined;
  if (dbl < 0 ? h.length !== 8 : h.length + t.length > 7) return undefined;
  const groups = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  for (let i = 0; i < 8; i++) {
    out[2 * i] = groups[i]! >> 8;
    out[2 * i + 1] = groups[i]! & 0xff;
  }
  return out;
}

/** Parses an IPv4 or IPv6 address; throws {@link NetlinkInputError}. */
export function parseIP(s: string): Uint8Array {
  const r = s.includes(":") ? tryParseIPv6(s) : tryParseIPv4(s);
  if (!r) throw new NetlinkInputError(`not an IP address: "${s}"`);
  return r;
}

/** The address family of a 4- or 16-byte address. */
export function familyOf(addr: Uint8Array): typeof AddressFamily.inet | typeof AddressFamily.inet6 {
  return addr.length === 4 ? AddressFamily.inet : AddressFamily.inet6;
}

/** Formats a 4-byte IPv4 address. */
export function formatIPv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** Formats a 16-byte IPv6 address in RFC 5952 canonical text. */
export function formatIPv6(b: Uint8Array): string {
  // ::ffff:a.b.c.d (RFC 5952 §5)
  let zeros10 = true;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) zeros10 = false;
  if (zeros10 && b[10] === 0xff && b[11] === 0xff) {
    return `::ffff:${formatIPv4(b.subarray(12, 16))}`;
  }
  // The longest run (of two or more) of zero groups, first one on ties (§4.2).
  let bestAt = -1;
  let bestLen = 1;
  let runAt = -1;
  for (let i = 0; i <= 8; i++) {
    const zero = i < 8 && b[2 * i] === 0 && b[2 * i + 1] === 0;
    if (zero) {
      if (runAt < 0) runAt = i;
    } else if (runAt >= 0) {
      if (i - runAt > bestLen) {
        bestAt = runAt;
        bestLen = i - runAt;
      }
      runAt = -1;
    }
  }
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestAt) {
      out += "::";
      i += bestLen - 1;
      continue;
    }
    if (out.length && !out.endsWith(":")) out += ":";
    out += ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16);
  }
  return out;
}

/** Formats the `n`-byte address at `b[at]` without making a view (hot path of dumps). */
export function formatIPAt(b: Uint8Array, at: number, n: number): string {
  if (n === 4) return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  return formatIP(b.subarray(at, at + n));
}

/** Formats a 4- or 16-byte address; other lengths as hex with colons. */
export function formatIP(b: Uint8Array): string {
  if (b.length === 4) return formatIPv4(b);
  if (b.length === 16) return formatIPv6(b);
  return formatMac(b);
}

/**
 * Parses "198.51.100.0/24", "2001:db8::/32", or a bare address (a host
 * prefix). With `strict`, host bits past the length must be zero (the kernel
 * refuses such routes: "Invalid prefix for given prefix length").
 */
export function parsePrefix(s: string, strict = false): Prefix {
  const slash = s.indexOf("/");
  const addr = parseIP(slash < 0 ? s : s.slice(0, slash));
  const max = addr.length * 8;
  let len = max;
  if (slash >= 0) {
    const l = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(l) || Number(l) > max) {
      throw new NetlinkInputError(`bad prefix length in "${s}"`);
    }
    len = Number(l);
  }
  if (strict && !hostBitsZero(addr, len)) {
    throw new NetlinkInputError(`"${s}" has host bits set past /${len}`);
  }
  return { family: familyOf(addr), addr, len };
}

/** True when every bit of `addr` after the first `len` is zero. */
export function hostBitsZero(addr: Uint8Array, len: number): boolean {
  for (let bit = len; bit < addr.length * 8; bit++) {
    if (addr[bit >> 3]! & (0x80 >> (bit & 7))) return false;
  }
  return true;
}

/** Formats a prefix as "addr/len". */
export function formatPrefix(addr: Uint8Array, len: number): string {
  return `${formatIP(addr)}/${len}`;
}

/** Parses "02:00:5e:10:00:01" (six or more colon-separated hex octets). */
export function parseMac(s: string): Uint8Array {
  const parts = s.split(":");
  if (parts.length < 2 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new NetlinkInputError(`not a link-layer address: "${s}"`);
  }
  return Uint8Array.from(parts.map((p) => Number.parseInt(p, 16)));
}

/** Formats link-layer bytes as lowercase colon-separated hex. */
export function formatMac(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += (i ? ":" : "") + b[i]!.toString(16).padStart(2, "0");
  return s;
}
