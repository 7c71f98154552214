// Prefixes and the NLRI encoding shared by the UPDATE NLRI/Withdrawn Routes
// fields and MP_REACH/MP_UNREACH (RFC 4271 §4.3, RFC 4760 §5), with the
// optional ADD-PATH Path Identifier (RFC 7911 §3):
//
//   +--------------------------------+
//   | Path Identifier (4 octets)     |  only if ADD-PATH applies
//   +--------------------------------+
//   | Length (1 octet, in bits)      |
//   +--------------------------------+
//   | Prefix (ceil(Length/8) octets) |
//   +--------------------------------+
//
// A prefix is a small plain object holding the significant bytes only, so
// decoding 1,000,000 prefixes formats no strings; `formatPrefix` and
// `parsePrefix` convert to and from text when a person needs it.
import { formatIpv4, formatIpv6, parseAddress } from "./address.js";
import type { ByteWriter } from "./bytes.js";
import { Afi, ErrorCode } from "./constants.js";
import { BgpDecodeError, BgpEncodeError } from "./errors.js";

/** An IP prefix as carried in NLRI. */
export interface Prefix {
  /** {@link Afi.Ipv4} or {@link Afi.Ipv6}. */
  readonly afi: number;
  /** Prefix length in bits (0–32 or 0–128). */
  readonly length: number;
  /** The `ceil(length / 8)` significant octets, bits past `length` zero. */
  readonly bytes: Uint8Array;
  /** ADD-PATH Path Identifier (RFC 7911), when the session uses ADD-PATH for the family. */
  readonly pathId?: number;
}

/** Maximum prefix length of an AFI (32 for IPv4, 128 for IPv6). */
export function maxPrefixLength(afi: number): number {
  return afi === Afi.Ipv6 ? 128 : 32;
}

/**
 * Parses `"198.51.100.0/24"` or `"2001:db8::/32"` (host bits are cleared).
 * Throws {@link BgpEncodeError} on bad input.
 */
export function parsePrefix(text: string, pathId?: number): Prefix {
  const slash = text.indexOf("/");
  if (slash < 0) throw new BgpEncodeError(`prefix without length: ${JSON.stringify(text)}`);
  const addr = parseAddress(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  const length = Number(lenText);
  if (!/^\d{1,3}$/.test(lenText) || length > addr.length * 8) {
    throw new BgpEncodeError(`bad prefix length: ${JSON.stringify(text)}`);
  }
  const n = (length + 7) >> 3;
  const bytes = addr.slice(0, n);
  if (length & 7) bytes[n - 1]! &= 0xff << (8 - (length & 7));
  const afi = addr.length === 4 ? Afi.Ipv4 : Afi.Ipv6;
  return pathId === undefined ? { afi, length, bytes } : { afi, length, bytes, pathId };
}

/** Formats a prefix as `address/length` text (without its Path Identifier). */
export function formatPrefix(p: Prefix): string {
  const full = new Uint8Array(p.afi === Afi.Ipv6 ? 16 : 4);
  full.set(p.bytes.subarray(0, full.length));
  return `${p.afi === Afi.Ipv6 ? formatIpv6(full) : formatIpv4(full)}/${p.length}`;
}

/**
 * Decodes NLRI-encoded prefixes in `b[start..end)` and appends them to `out`.
 * Throws a `session-reset` {@link BgpDecodeError} (RFC 7606 §5.3) with the
 * given UPDATE subcode if a length is too long or a prefix overruns the field.
 */
export function decodePrefixes(
  b: Uint8Array,
  start: number,
  end: number,
  afi: number,
  addPath: boolean,
  out: Prefix[],
  subcode: number,
): void {
  const max = afi === Afi.Ipv6 ? 128 : 32;
  let i = start;
  while (i < end) {
    let pathId = 0;
    if (addPath) {
      if (i + 4 > end) throw nlriError("Path Identifier overruns the NLRI field", subcode);
      pathId = b[i]! * 0x1000000 + ((b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!);
      i += 4;
    }
    const length = b[i++]!;
    if (length > max) throw nlriError(`prefix length ${length} exceeds ${max}`, subcode);
    const n = (length + 7) >> 3;
    if (i + n > end) throw nlriError("prefix overruns the NLRI field", subcode);
    const bytes = new Uint8Array(n);
    for (let k = 0; k < n; k++) bytes[k] = b[i + k]!;
    if (length & 7) bytes[n - 1]! &= 0xff << (8 - (length & 7));
    i += n;
    out.push(addPath ? { afi, length, bytes, pathId } : { afi, length, bytes });
  }
}

function nlriError(message: string, subcode: number): BgpDecodeError {
  return new BgpDecodeError(message, {
    code: ErrorCode.UpdateMessage,
    subcode,
    action: "session-reset",
  });
}

/** Encodes prefixes in NLRI form, with Path Identifiers when `addPath` (missing ids are 0). */
export function encodePrefixes(w: ByteWriter, prefixes: readonly Prefix[], addPath: boolean): void {
  for (const p of prefixes) {
    const n = (p.length + 7) >> 3;
    if (p.length > maxPrefixLength(p.afi) || p.bytes.length < n) {
      throw new BgpEncodeError(`malformed prefix object (length ${p.length})`);
    }
    w.ensure(5 + n);
    if (addPath) w.u32(p.pathId ?? 0);
    w.buf[w.pos++] = p.length;
    for (let k = 0; k < n; k++) w.buf[w.pos++] = p.bytes[k]!;
  }
}

/**
 * A compact string identifying a prefix (AFI, length, significant octets and,
 * unless `withPathId` is false, the Path Identifier): a fast `Map` key for a
 * RIB, with no address formatting. Not meant for display; see {@link formatPrefix}.
 */
export function prefixKey(p: Prefix, withPathId = true): string {
  let s = String.fromCharCode(p.afi, p.length);
  const n = (p.length + 7) >> 3;
  for (let i = 0; i < n; i++) s += String.fromCharCode(p.bytes[i]!);
  return withPathId && p.pathId !== undefined ? `${s}#${p.pathId}` : s;
}
