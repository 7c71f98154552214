// Small address helpers for the RIB and policy: IPv4 text to a number,
// containment of an address in a prefix, and address classes that RFC 4271
// §6.3 and RFC 1122 §3.2.1.3 say are not usable as a next hop.
import { parseAddress } from "../wire/address.js";

/** Dotted-quad IPv4 text to an unsigned 32-bit number (0 for anything else). */
export function ipv4ToNumber(s: string): number {
  let n = 0;
  let part = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      n = n * 256 + part;
      part = 0;
      dots++;
    } else part = part * 10 + (c - 48);
  }
  return dots === 3 ? n * 256 + part : 0;
}

/** Address text to bytes, or undefined if it is not an address. */
export function tryParseAddress(s: string): Uint8Array | undefined {
  try {
    return parseAddress(s);
  } catch {
    return undefined;
  }
}

/** Whether the first `length` bits of `a` and `b` agree. */
export function samePrefixBits(a: Uint8Array, b: Uint8Array, length: number): boolean {
  const whole = length >> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false;
  const rest = length & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((a[whole] ?? 0) & mask) === ((b[whole] ?? 0) & mask);
}

/** A parsed `address/length` subnet. */
export interface Subnet {
  readonly bytes: Uint8Array;
  readonly length: number;
}

/** Parses `"192.0.2.0/24"`; throws on bad input. */
export function parseSubnet(text: string): Subnet {
  const slash = text.indexOf("/");
  const bytes = tryParseAddress(slash < 0 ? text : text.slice(0, slash));
  const length = slash < 0 ? (bytes?.length ?? 0) * 8 : Number(text.slice(slash + 1));
  if (!bytes || !Number.isInteger(length) || length < 0 || length > bytes.length * 8) {
    throw new RangeError(`not a subnet: ${JSON.stringify(text)}`);
  }
  return { bytes, length };
}

/** Whether `addr` lies in `subnet` (same family). */
export function inSubnet(addr: Uint8Array, subnet: Subnet): boolean {
  return addr.length === subnet.bytes.length && samePrefixBits(addr, subnet.bytes, subnet.length);
}

/** Why an address cannot be a next hop, or undefined if it can (RFC 4271 §6.3; RFC 1122 §3.2.1.3; RFC 4291 §2.7). */
export function unusableNextHop(addr: Uint8Array): string | undefined {
  if (addr.length === 4) {
    const a = addr[0]!;
    if (a === 0) return "next hop in 0.0.0.0/8";
    if (a === 127) return "next hop is a loopback address";
    if (a >= 224 && a < 240) return "next hop is a multicast address";
    if (a >= 240) return "next hop is a class E (reserved) address";
    return undefined;
  }
  let zero = true;
  for (let i = 0; i < 15; i++) if (addr[i] !== 0) zero = false;
  if (zero && (addr[15] === 0 || addr[15] === 1)) return "next hop is :: or ::1";
  if (addr[0] === 0xff) return "next hop is a multicast address";
  return undefined;
}

/** Whether an IPv6 address is link-local, fe80::/10 (RFC 4291 §2.5.6). */
export function isLinkLocal6(addr: Uint8Array): boolean {
  return addr.length === 16 && addr[0] === 0xfe && (addr[1]! & 0xc0) === 0x80;
}

/** Whether two addresses are equal byte for byte. */
export function sameAddress(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
