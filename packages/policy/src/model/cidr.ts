// Addresses and CIDRs as bigint ranges (parsed with ip-address), and the
// interval arithmetic the renderer needs for nftables interval sets, whose
// elements must not overlap (nft(8) "SETS", flags interval).
import { Address4, Address6 } from "ip-address";

/** An IP address family. */
export type Family = 4 | 6;

/** An address as a number, with its family. */
export interface Ip {
  readonly family: Family;
  readonly value: bigint;
}

/** A CIDR as the inclusive range of addresses it covers. */
export interface Cidr {
  readonly family: Family;
  readonly start: bigint;
  readonly end: bigint;
  readonly prefix: number;
}

/** Text that is not an address or a CIDR. */
export class AddressError extends Error {
  override readonly name = "AddressError";
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses "192.0.2.1" or "2001:db8::1" (a "/len" suffix is refused). */
export function parseIp(text: string): Ip {
  // Fast path for dotted quads (flows are evaluated by the hundred thousand).
  const m = DOTTED.exec(text);
  if (m) {
    const o = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
    if (o.every((x) => x <= 255) && o.every((x, i) => String(x) === m[i + 1])) {
      return {
        family: 4,
        value: BigInt(((o[0]! << 24) >>> 0) + (o[1]! << 16) + (o[2]! << 8) + o[3]!),
      };
    }
  }
  if (text.includes("/")) throw new AddressError(`not a single address: ${text}`);
  const c = parseCidr(text);
  return { family: c.family, value: c.start };
}

/**
 * Parses a CIDR ("198.51.100.0/24", "2001:db8::/32") or a bare address (a
 * host route). Host bits are cleared, as Calico does when it normalises nets.
 */
export function parseCidr(text: string): Cidr {
  const v6 = text.includes(":");
  const [addr, len, extra] = text.split("/");
  const max = v6 ? 128 : 32;
  if (extra !== undefined || !addr) throw new AddressError(`not a CIDR: ${text}`);
  if (len !== undefined && !/^\d{1,3}$/.test(len))
    throw new AddressError(`bad prefix length: ${text}`);
  const prefix = len === undefined ? max : Number(len);
  if (prefix > max) throw new AddressError(`prefix length over ${max}: ${text}`);
  let value: bigint;
  if (v6) {
    if (!Address6.isValid(addr) || addr.includes("%"))
      throw new AddressError(`not an IPv6 address: ${text}`);
    value = new Address6(addr).bigInt();
  } else {
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(addr) || !Address4.isValid(addr)) {
      throw new AddressError(`not an IPv4 address: ${text}`);
    }
    value = new Address4(addr).bigInt();
  }
  const host = (1n << BigInt(max - prefix)) - 1n;
  const start = value & ~host;
  return { family: v6 ? 6 : 4, start, end: start | host, prefix };
}

/** Canonical text of an address. */
export function formatIp(family: Family, value: bigint): string {
  return family === 4
    ? Address4.fromBigInt(value).correctForm()
    : Address6.fromBigInt(value).correctForm();
}

/** Canonical text of a CIDR ("192.0.2.0/24"; a full-length prefix prints as the bare address). */
export function formatCidr(c: Cidr): string {
  const a = formatIp(c.family, c.start);
  return c.prefix === (c.family === 4 ? 32 : 128) ? a : `${a}/${c.prefix}`;
}

/** True when the CIDR holds the address. */
export function cidrContains(c: Cidr, ip: Ip): boolean {
  return c.family === ip.family && ip.value >= c.start && ip.value <= c.end;
}

/** An inclusive address range. */
export interface Range {
  readonly start: bigint;
  readonly end: bigint;
}

/** Sorts and merges overlapping or adjacent ranges (for interval sets). */
export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: { start: bigint; end: bigint }[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end + 1n) {
      if (r.end > last.end) last.end = r.end;
    } else out.push({ start: r.start, end: r.end });
  }
  return out;
}

/** nft element text of a range: an address, a CIDR when it is one, else "a-b". */
export function formatRange(family: Family, r: Range): string {
  if (r.start === r.end) return formatIp(family, r.start);
  const size = r.end - r.start + 1n;
  if ((size & (size - 1n)) === 0n && (r.start & (size - 1n)) === 0n) {
    const bits = size.toString(2).length - 1;
    return `${formatIp(family, r.start)}/${(family === 4 ? 32 : 128) - bits}`;
  }
  return `${formatIp(family, r.start)}-${formatIp(family, r.end)}`;
}
