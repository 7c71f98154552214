// IPv4 unicast NLRI (RFC 4271 §4.3 Withdrawn Routes and NLRI fields, no
// ADD-PATH) decoded straight into numbers: a full table is a million
// prefixes, and one object plus one Uint8Array per prefix is most of what the
// garbage collector then has to do. The same checks and errors as
// `decodePrefixes` (./prefix.ts): RFC 4271 §6.3 / RFC 7606 §5.3, a length
// over 32 or a prefix overrunning the field resets the session; bits past
// the length are cleared as there.
import { Afi, ErrorCode } from "./constants.js";
import { BgpDecodeError } from "./errors.js";
import type { Prefix } from "./prefix.js";

/**
 * IPv4 prefixes as numbers: entry `i` is the address `a[2i]` (unsigned
 * 32-bit, host bits cleared) with length `a[2i + 1]`.
 */
export type Ipv4Nlri = Uint32Array;

let scratch = new Uint32Array(2048);
const NONE = new Uint32Array(0);

/**
 * Decodes the NLRI-encoded IPv4 prefixes in `b[start..end)` (no Path
 * Identifiers). Throws the same `session-reset` {@link BgpDecodeError}
 * (code 3, `subcode`) as `decodePrefixes` does on the same bytes.
 */
export function decodeIpv4Nlri(
  b: Uint8Array,
  start: number,
  end: number,
  subcode: number,
): Ipv4Nlri {
  if (start >= end) return NONE;
  // Every prefix takes at least one octet.
  if (scratch.length < 2 * (end - start)) scratch = new Uint32Array(4 * (end - start));
  const out = scratch;
  let n = 0;
  let i = start;
  while (i < end) {
    const length = b[i++]!;
    if (length > 32) throw nlriError(`prefix length ${length} exceeds 32`, subcode);
    const k = (length + 7) >> 3;
    if (i + k > end) throw nlriError("prefix overruns the NLRI field", subcode);
    let addr = 0;
    if (k > 0) addr = b[i]! << 24;
    if (k > 1) addr |= b[i + 1]! << 16;
    if (k > 2) addr |= b[i + 2]! << 8;
    if (k > 3) addr |= b[i + 3]!;
    i += k;
    // Bits past the length are cleared, as `decodePrefixes` does.
    out[n++] = length === 0 ? 0 : (addr & (-1 << (32 - length))) >>> 0;
    out[n++] = length;
  }
  return out.slice(0, n);
}

/** Number of prefixes in an {@link Ipv4Nlri}. */
export function ipv4NlriCount(a: Ipv4Nlri): number {
  return a.length >> 1;
}

/** The prefixes of an {@link Ipv4Nlri} as objects (what `decodePrefixes` gives). */
export function ipv4NlriPrefixes(a: Ipv4Nlri): Prefix[] {
  const out: Prefix[] = [];
  for (let j = 0; j < a.length; j += 2) {
    const addr = a[j]!;
    const length = a[j + 1]!;
    const k = (length + 7) >> 3;
    const bytes = new Uint8Array(k);
    for (let x = 0; x < k; x++) bytes[x] = (addr >>> (24 - 8 * x)) & 255;
    out.push({ afi: Afi.Ipv4, length, bytes });
  }
  return out;
}

function nlriError(message: string, subcode: number): BgpDecodeError {
  return new BgpDecodeError(message, {
    code: ErrorCode.UpdateMessage,
    subcode,
    action: "session-reset",
  });
}
