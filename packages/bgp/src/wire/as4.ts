// Interworking between NEW (4-octet AS) and OLD (2-octet) speakers,
// RFC 6793 §4.2.2 (sending to an OLD speaker) and §4.2.3 (rebuilding the
// 4-octet path from AS_PATH + AS4_PATH received from an OLD speaker).
import type { AsPathSegment } from "./attributes/segments.js";
import type { PathAttribute } from "./attributes/table.js";
import { AS_TRANS, AsPathSegmentType } from "./constants.js";

const isConfed = (s: AsPathSegment) =>
  s.type === AsPathSegmentType.ConfedSequence || s.type === AsPathSegmentType.ConfedSet;

/** Path length as RFC 4271 §9.1.2.2 counts it: an AS_SET is 1, confederation segments 0. */
export function asPathLength(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) {
    if (s.type === AsPathSegmentType.AsSequence) n += s.asns.length;
    else if (s.type === AsPathSegmentType.AsSet) n += 1;
  }
  return n;
}

/**
 * Merges a 2-octet AS_PATH with an AS4_PATH (RFC 6793 §4.2.3): when the
 * AS_PATH is at least as long, its leading `len(AS_PATH) - len(AS4_PATH)`
 * ASes are kept and the AS4_PATH follows; otherwise the AS4_PATH is ignored.
 * Confederation segments in AS4_PATH are discarded.
 */
export function mergeAs4Path(
  asPath: readonly AsPathSegment[],
  as4Path: readonly AsPathSegment[],
): AsPathSegment[] {
  const as4 = as4Path.filter((s) => !isConfed(s));
  let budget = asPathLength(asPath) - asPathLength(as4);
  if (budget < 0) return [...asPath];
  const out: AsPathSegment[] = [];
  for (const s of asPath) {
    if (isConfed(s)) {
      out.push(s);
      continue;
    }
    if (budget === 0) break;
    if (s.type === AsPathSegmentType.AsSet) {
      out.push(s);
      budget -= 1;
    } else {
      const take = Math.min(budget, s.asns.length);
      out.push(take === s.asns.length ? s : { type: s.type, asns: s.asns.slice(0, take) });
      budget -= take;
    }
  }
  return [...out, ...as4];
}

/**
 * The attributes of an UPDATE received from an OLD speaker with the 4-octet
 * values restored (RFC 6793 §4.2.3): AS_PATH merged with AS4_PATH, AGGREGATOR
 * taken from AS4_AGGREGATOR; AS4_PATH and AS4_AGGREGATOR removed. If
 * AGGREGATOR carries an AS other than AS_TRANS, both AS4 attributes are ignored.
 */
export function reconstructAs4(attributes: readonly PathAttribute[]): PathAttribute[] {
  let as4Path: readonly AsPathSegment[] | undefined;
  let as4Agg: { asn: number; address: string } | undefined;
  let aggAsn: number | undefined;
  for (const a of attributes) {
    if (a.type === "as4-path") as4Path = a.segments;
    else if (a.type === "as4-aggregator") as4Agg = a;
    else if (a.type === "aggregator") aggAsn = a.asn;
  }
  const ignore = aggAsn !== undefined && aggAsn !== AS_TRANS;
  const out: PathAttribute[] = [];
  for (const a of attributes) {
    if (a.type === "as4-path" || a.type === "as4-aggregator") continue;
    if (a.type === "as-path" && as4Path && !ignore) {
      out.push({ ...a, segments: mergeAs4Path(a.segments, as4Path) });
    } else if (a.type === "aggregator" && as4Agg && !ignore) {
      out.push({ ...a, asn: as4Agg.asn, address: as4Agg.address });
    } else out.push(a);
  }
  return out;
}

/**
 * The attributes to send to an OLD speaker (RFC 6793 §4.2.2): when AS_PATH
 * or AGGREGATOR hold an AS above 65535, AS4_PATH (without confederation
 * segments) and AS4_AGGREGATOR are added; the 2-octet encoder writes AS_TRANS
 * in their place. Existing AS4 attributes are replaced.
 */
export function splitAs4(attributes: readonly PathAttribute[]): PathAttribute[] {
  const out: PathAttribute[] = [];
  const extra: PathAttribute[] = [];
  for (const a of attributes) {
    if (a.type === "as4-path" || a.type === "as4-aggregator") continue;
    out.push(a);
    if (a.type === "as-path" && a.segments.some((s) => s.asns.some((x) => x > 0xffff))) {
      const segments = a.segments.filter((s) => !isConfed(s));
      if (segments.length > 0) extra.push({ type: "as4-path", segments });
    } else if (a.type === "aggregator" && a.asn > 0xffff) {
      extra.push({ type: "as4-aggregator", asn: a.asn, address: a.address });
    }
  }
  return [...out, ...extra];
}
