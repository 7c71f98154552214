// Route keys: the compact strings `prefixKey` (../wire/prefix.ts) makes —
// AFI and length as char codes, the significant octets, then `#<pathId>` with
// ADD-PATH — turned back into prefixes when a RIB walk needs the object.
import type { Prefix } from "../wire/prefix.js";

/** The prefix a `prefixKey` string stands for (with its Path Identifier if the key has one). */
export function prefixFromKey(key: string): Prefix {
  const afi = key.charCodeAt(0);
  const length = key.charCodeAt(1);
  const n = (length + 7) >> 3;
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = key.charCodeAt(2 + i);
  if (key.length > 2 + n && key.charCodeAt(2 + n) === 35) {
    return { afi, length, bytes, pathId: Number(key.slice(3 + n)) };
  }
  return { afi, length, bytes };
}

/** The key of a prefix with an explicit Path Identifier. */
export function withPathId(key: string, pathId: number): string {
  return `${key}#${pathId}`;
}

/**
 * The Loc-RIB key of a prefix: exactly `prefixKey(p, false)`, built with one
 * string allocation (this runs once per received prefix).
 */
export function ribKey(p: Prefix): string {
  const b = p.bytes;
  switch ((p.length + 7) >> 3) {
    case 0:
      return String.fromCharCode(p.afi, p.length);
    case 1:
      return String.fromCharCode(p.afi, p.length, b[0]!);
    case 2:
      return String.fromCharCode(p.afi, p.length, b[0]!, b[1]!);
    case 3:
      return String.fromCharCode(p.afi, p.length, b[0]!, b[1]!, b[2]!);
    case 4:
      return String.fromCharCode(p.afi, p.length, b[0]!, b[1]!, b[2]!, b[3]!);
    default: {
      const n = (p.length + 7) >> 3;
      const codes = new Array<number>(n + 2);
      codes[0] = p.afi;
      codes[1] = p.length;
      for (let i = 0; i < n; i++) codes[i + 2] = b[i]!;
      return String.fromCharCode(...codes);
    }
  }
}
