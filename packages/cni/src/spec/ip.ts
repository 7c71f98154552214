// Address helpers for results and configuration: which family a textual IP
// address or CIDR prefix belongs to (RFC 4632 section 3.1 prefix notation,
// RFC 4291 section 2.2 and 2.3 for IPv6 text forms).

import { Address4, Address6 } from "ip-address";

/** An address family as results of spec 0.3.0–0.4.0 name it in `ips[].version`. */
export type IpFamily = "4" | "6";

/** A parsed CIDR: family, the address as written (canonical form) and prefix length. */
export interface Cidr {
  readonly family: IpFamily;
  readonly address: string;
  readonly prefixLength: number;
}

/** The family of a bare IP address, or undefined when `s` is not one. */
export function ipFamily(s: string): IpFamily | undefined {
  if (s.includes("/")) return undefined;
  if (!s.includes(":")) return Address4.isValid(s) && /^[\d.]+$/.test(s) ? "4" : undefined;
  return Address6.isValid(s) ? "6" : undefined;
}

/** Parses "address/prefix"; undefined when `s` is not a valid CIDR. */
export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf("/");
  if (slash < 0) return undefined;
  const addr = s.slice(0, slash);
  const len = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(len)) return undefined;
  const prefixLength = Number(len);
  const family = ipFamily(addr);
  if (family === undefined) return undefined;
  if (prefixLength > (family === "4" ? 32 : 128)) return undefined;
  const address = family === "4" ? addr : new Address6(addr).correctForm();
  return { family, address, prefixLength };
}

/** The family of a CIDR; throws a TypeError when `s` is not a CIDR. */
export function cidrFamily(s: string): IpFamily {
  const c = parseCidr(s);
  if (!c) throw new TypeError(`not a CIDR: ${s}`);
  return c.family;
}
