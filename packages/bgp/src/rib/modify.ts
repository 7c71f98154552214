// Applying a policy's modifications to an attribute set, producing the input
// of a new (interned) set. BIRD semantics: `bgp_community.add` adds a value
// once (a community list is a set, RFC 1997 §"COMMUNITIES attribute"),
// `bgp_path.prepend` puts ASes in a leading AS_SEQUENCE (RFC 4271 §5.1.2).
import type { LargeCommunity } from "../wire/attributes/large-communities.js";
import type { AsPathSegment } from "../wire/attributes/segments.js";
import type { PathAttribute } from "../wire/attributes/table.js";
import { AsPathSegmentType } from "../wire/constants.js";
import type { AttrSet, AttrSetInit } from "./attrs.js";
import type { RouteModification } from "./policy-hook.js";

/** Puts `asns` in front of an AS path (into the leading AS_SEQUENCE while it has room for 255). */
export function prependAsPath(
  segments: readonly AsPathSegment[],
  asns: readonly number[],
): AsPathSegment[] {
  if (asns.length === 0) return [...segments];
  const first = segments[0];
  if (
    first &&
    first.type === AsPathSegmentType.AsSequence &&
    first.asns.length + asns.length <= 255
  ) {
    return [
      { type: AsPathSegmentType.AsSequence, asns: [...asns, ...first.asns] },
      ...segments.slice(1),
    ];
  }
  return [{ type: AsPathSegmentType.AsSequence, asns: [...asns] }, ...segments];
}

/** The attributes of `set` with `mod` applied (unchanged fields shared). */
export function applyModification(set: AttrSet, mod: RouteModification): AttrSetInit {
  let attributes: PathAttribute[] = [...set.attributes];
  if (mod.addCommunities && mod.addCommunities.length > 0) {
    const have = [...set.communities];
    for (const c of mod.addCommunities) if (!have.includes(c)) have.push(c);
    attributes = replace(attributes, { type: "communities", communities: have });
  }
  if (mod.addLargeCommunities && mod.addLargeCommunities.length > 0) {
    const have: LargeCommunity[] = [...set.largeCommunities];
    for (const c of mod.addLargeCommunities) {
      if (
        !have.some((h) => h.global === c.global && h.local1 === c.local1 && h.local2 === c.local2)
      )
        have.push({ global: c.global, local1: c.local1, local2: c.local2 });
    }
    attributes = replace(attributes, { type: "large-communities", communities: have });
  }
  if (mod.prependAsPath && mod.prependAsPath.length > 0) {
    attributes = replace(attributes, {
      type: "as-path",
      segments: prependAsPath(set.asPath, mod.prependAsPath),
    });
  }
  return {
    attributes,
    ...(set.nextHop !== undefined ? { nextHop: set.nextHop } : {}),
    ...(set.linkLocalNextHop !== undefined ? { linkLocalNextHop: set.linkLocalNextHop } : {}),
    ...(mod.priority !== undefined
      ? { priority: mod.priority }
      : set.priority !== undefined
        ? { priority: set.priority }
        : {}),
    ...(set.interface !== undefined ? { interface: set.interface } : {}),
  };
}

/** `attributes` with the attribute of `a.type` replaced by `a` (or added). */
export function replace(attributes: readonly PathAttribute[], a: PathAttribute): PathAttribute[] {
  const out = attributes.filter((x) => x.type !== a.type);
  out.push(a);
  return out;
}

/** The `AttrSetInit` that reproduces `set` exactly. */
export function initOf(set: AttrSet): AttrSetInit {
  return applyModification(set, {});
}
