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
