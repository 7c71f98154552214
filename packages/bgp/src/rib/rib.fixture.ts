// Builders shared by the RIB and policy unit tests: attribute lists in a
// line, prefixes from text. Test-only; not exported from the package.
import type { PathAttribute } from "../wire/attributes/table.js";
import { type Prefix, parsePrefix } from "../wire/prefix.js";
import type { AttrSetInit } from "./attrs.js";

/** Options of {@link attrs}. */
export interface AttrsSpec {
  path?: number[];
  origin?: number;
  nextHop?: string;
  med?: number;
  localPref?: number;
  communities?: number[];
  originatorId?: string;
  clusterList?: string[];
  extra?: PathAttribute[];
  linkLocal?: string;
}

/** An `AttrSetInit` with ORIGIN, AS_PATH, NEXT_HOP and the optional fields given. */
export function attrs(spec: AttrsSpec = {}): AttrSetInit {
  const a: PathAttribute[] = [
    { type: "origin", origin: spec.origin ?? 0 },
    {
      type: "as-path",
      segments: spec.path?.length ? [{ type: 2, asns: spec.path }] : [],
    },
  ];
  if (spec.med !== undefined) a.push({ type: "med", med: spec.med });
  if (spec.localPref !== undefined) a.push({ type: "local-pref", localPref: spec.localPref });
  if (spec.communities) a.push({ type: "communities", communities: spec.communities });
  if (spec.originatorId) a.push({ type: "originator-id", originatorId: spec.originatorId });
  if (spec.clusterList) a.push({ type: "cluster-list", clusterIds: spec.clusterList });
  if (spec.extra) a.push(...spec.extra);
  return {
    attributes: a,
    ...(spec.nextHop !== undefined ? { nextHop: spec.nextHop } : {}),
    ...(spec.linkLocal !== undefined ? { linkLocalNextHop: spec.linkLocal } : {}),
  };
}

/** Prefixes from text. */
export function pfx(...texts: string[]): Prefix[] {
  return texts.map((t) => parsePrefix(t));
}

/** The i-th /24 in 198.18.0.0/15 (benchmark range). */
export function nthPrefix(i: number, len = 24): Prefix {
  const a = 0xc6120000 + i * 2 ** (32 - len);
  return {
    afi: 1,
    length: len,
    bytes: Uint8Array.of(a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255).subarray(
      0,
      (len + 7) >> 3,
    ),
  };
}
