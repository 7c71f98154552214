// IPv4 and IPv6 address text <-> bytes, for next hops, BGP Identifiers and
// prefixes. IPv6 text follows the canonical form of RFC 5952 §4.
import { BgpEncodeError } from "./errors.js";

/** Formats 4 bytes at `o` as dotted-quad IPv4 text. */
export function formatIpv4(b: Uint8Array, o = 0): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** Formats 16 bytes at `o` as canonical IPv6 text (RFC 5952 §4). */
export function formatIpv6(b: Uint8Array, o = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[o + i]! << 8) | b[o + i + 1]!);
  // RFC 5952 §4.2.3: shorten the longest run of two or more zero groups, the first if tied.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** Formats a 4- or 16-byte address. */
export function formatAddress(b: Uint8Array): string {
  return b.length === 4 ? formatIpv4(b) : formatIpv6(b);
}

function parseIpv4Into(s: string, out: Uint8Array, o: number): boolean {
  const parts = s.split(".");
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return false;
    const v = Number(p);
    if (v > 255) return false;
    out[o + i] = v;
  }
  return true;
}

function parseIpv6(s: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  let text = s;
  // An embedded IPv4 tail (RFC 4291 §2.2, form 3) stands for the last two groups.
  const lastColon = s.lastIndexOf(":");
  if (s.indexOf(".", lastColon) > 0) {
    if (!parseIpv4Into(s.slice(lastColon + 1), out, 12)) return undefined;
    text = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const words = (h: string): number[] | undefined => {
    if (h === "") return [];
    const ws: number[] = [];
    for (const x of h.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(x)) return undefined;
      ws.push(Number.parseInt(x, 16));
    }
    return ws;
  };
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1 ? head.length !== 8 : head.length + tail.length > 7) return undefined;
  const v4 = out.slice(12);
  const put = (ws: number[], at: number) => {
    for (let i = 0; i < ws.length; i++) {
      out[at + i * 2] = ws[i]! >> 8;
      out[at + i * 2 + 1] = ws[i]! & 0xff;
    }
  };
  out.fill(0);
  put(head, 0);
  put(tail, 16 - tail.length * 2);
  if (text !== s) out.set(v4, 12);
  return out;
}

/** Parses IPv4 or IPv6 text into 4 or 16 bytes; throws {@link BgpEncodeError} if invalid. */
export function parseAddress(s: string): Uint8Array {
  if (s.includes(":")) {
    const b = parseIpv6(s);
    if (b) return b;
  } else {
    const b = new Uint8Array(4);
    if (parseIpv4Into(s, b, 0)) return b;
  }
  throw new BgpEncodeError(`not an IP address: ${JSON.stringify(s)}`);
}

/** Parses IPv4 text into 4 bytes; throws {@link BgpEncodeError} if it is not IPv4. */
export function parseIpv4(s: string): Uint8Array {
  const b = new Uint8Array(4);
  if (!parseIpv4Into(s, b, 0))
    throw new BgpEncodeError(`not an IPv4 address: ${JSON.stringify(s)}`);
  return b;
}
