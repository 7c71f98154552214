// BGPFilters compiled into a `RoutePolicy` for the RIB, with the semantics
// of the BIRD configuration Calico's confd generates for them:
//
//   - Each filter becomes one function per direction and family; a peer's
//     import (export) filter calls the functions of its filters in order.
//     Within a function each rule is `if (<all conditions>) then { <ops>
//     accept|reject; }`, so across all of a peer's filters the first matching
//     rule decides (first match wins) and the route is not looked at further.
//   - No rule matched: import accepts (Calico: "we used import all" before
//     BGPFilters existed); export falls through to Calico's own export rules,
//     here the caller's `exportDefault` (default accept).
//   - Conditions (BIRD expressions in comments):
//       cidr + matchOperator: Equal `net = C`, NotEqual `net != C`,
//         In `net ~ C` (inside C, C itself included), NotIn `net !~ C`;
//         with prefixLength: `net ~ [ C{min,max} ]` where min defaults to C's
//         length (and is never below it) and max to 32/128;
//       source RemotePeers: `source ~ [RTS_BGP]` — learned, not ours;
//       interface: `ifname ~ "<pattern>"` (shell-like `*` and `?`);
//       peerType: iBGP when the peer's AS is ours, else eBGP;
//       communities: `(aa,nn) ~ bgp_community` / `(aa,nn,mm) ~ bgp_large_community`;
//       asPathPrefix: `bgp_path ~ [= a b * =]` — the path starts with a b;
//       priority: `krt_metric = N` (a route without a priority does not match).
//   - Operations on Accept, in order: addCommunity, prependASPath (the path
//     then starts with exactly the listed ASes), setPriority.
//   - IPv4 routes see the V4 rules only, IPv6 routes the V6 rules only.
import { parseSubnet, type Subnet, samePrefixBits } from "../rib/addr.js";
import type {
  PolicyPeer,
  PolicyRoute,
  PolicyVerdict,
  RouteModification,
  RoutePolicy,
} from "../rib/policy-hook.js";
import { Afi, AsPathSegmentType } from "../wire/constants.js";
import { parseCommunity } from "./parse.js";
import type { BgpFilter, FilterRule } from "./types.js";

/** Import or export. */
export type Direction = "import" | "export";

/** Where a verdict came from. */
export interface FilterMatch {
  /** The filter's name, or undefined for the default. */
  readonly filter: string | undefined;
  /** The rule's index in its list (`importV4` etc.), or undefined for the default. */
  readonly rule: number | undefined;
  /** The verdict. */
  readonly verdict: PolicyVerdict;
}

interface CompiledRule {
  readonly filter: string;
  readonly index: number;
  /** The rule has no condition: it matches every route of its family. */
  readonly unconditional: boolean;
  readonly match: (route: PolicyRoute, peer: PolicyPeer) => boolean;
  readonly verdict: PolicyVerdict;
}

/** Whether `text` matches a BIRD string pattern (`*` any run, `?` one character). */
export function patternMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === "?" || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}

/** Whether the route's AS path starts with `asns` (AS_SEQUENCE members, in order). */
export function asPathStartsWith(route: PolicyRoute, asns: readonly number[]): boolean {
  let i = 0;
  for (const s of route.attrs.asPath) {
    if (i === asns.length) return true;
    if (s.type === AsPathSegmentType.ConfedSequence || s.type === AsPathSegmentType.ConfedSet)
      continue;
    if (s.type !== AsPathSegmentType.AsSequence) return false;
    for (const a of s.asns) {
      if (i === asns.length) return true;
      if (a !== asns[i]) return false;
      i++;
    }
  }
  return i === asns.length;
}

function cidrMatcher(
  rule: FilterRule,
  family: 4 | 6,
): ((route: PolicyRoute) => boolean) | undefined {
  if (rule.cidr === undefined || rule.matchOperator === undefined) return undefined;
  const c: Subnet = parseSubnet(rule.cidr);
  const maxLen = family === 4 ? 32 : 128;
  const lo = rule.prefixLength ? Math.max(c.length, rule.prefixLength.min ?? 0) : c.length;
  const hi = rule.prefixLength ? Math.min(maxLen, rule.prefixLength.max ?? maxLen) : maxLen;
  const inside = (r: PolicyRoute) =>
    r.prefix.length >= lo &&
    r.prefix.length <= hi &&
    samePrefixBits(r.prefix.bytes, c.bytes, c.length);
  const equal = (r: PolicyRoute) =>
    r.prefix.length === c.length && samePrefixBits(r.prefix.bytes, c.bytes, c.length);
  switch (rule.matchOperator) {
    case "Equal":
      return equal;
    case "NotEqual":
      return (r) => !equal(r);
    case "In":
      return inside;
    case "NotIn":
      return (r) => !inside(r);
  }
}

function compileRule(filter: string, index: number, rule: FilterRule, family: 4 | 6): CompiledRule {
  const conds: ((route: PolicyRoute, peer: PolicyPeer) => boolean)[] = [];
  const cidr = cidrMatcher(rule, family);
  if (cidr) conds.push(cidr);
  if (rule.source === "RemotePeers") conds.push((r) => r.sourceKind !== "local");
  if (rule.interface !== undefined) {
    const pat = rule.interface;
    conds.push((r) => r.interface !== undefined && patternMatch(pat, r.interface));
  }
  if (rule.peerType === "iBGP") conds.push((_r, p) => p.kind === "ibgp");
  if (rule.peerType === "eBGP") conds.push((_r, p) => p.kind === "ebgp");
  if (rule.communities) {
    const c = parseCommunity(rule.communities.values[0], "communities");
    if (c.kind === "standard") conds.push((r) => r.attrs.communities.includes(c.value));
    else
      conds.push((r) =>
        r.attrs.largeCommunities.some(
          (l) => l.global === c.global && l.local1 === c.local1 && l.local2 === c.local2,
        ),
      );
  }
  if (rule.asPathPrefix && rule.asPathPrefix.length > 0) {
    const asns = rule.asPathPrefix;
    conds.push((r) => asPathStartsWith(r, asns));
  }
  if (rule.priority !== undefined) {
    const pr = rule.priority;
    conds.push((r) => r.attrs.priority === pr);
  }
  let verdict: PolicyVerdict;
  if (rule.action === "Reject") verdict = { accept: false, rule: index };
  else {
    const mod = modification(rule);
    verdict = mod ? { accept: true, modify: mod, rule: index } : { accept: true, rule: index };
  }
  const match =
    conds.length === 0
      ? () => true
      : (route: PolicyRoute, peer: PolicyPeer) => {
          for (const c of conds) if (!c(route, peer)) return false;
          return true;
        };
  return { filter, index, unconditional: conds.length === 0, match, verdict };
}

function modification(rule: FilterRule): RouteModification | undefined {
  if (!rule.operations || rule.operations.length === 0) return undefined;
  const communities: number[] = [];
  const large: { global: number; local1: number; local2: number }[] = [];
  let prepend: number[] = [];
  let priority: number | undefined;
  for (const op of rule.operations) {
    if (op.addCommunity) {
      const c = parseCommunity(op.addCommunity.value, "addCommunity");
      if (c.kind === "standard") communities.push(c.value);
      else large.push({ global: c.global, local1: c.local1, local2: c.local2 });
    } else if (op.prependASPath) prepend = [...op.prependASPath.prefix, ...prepend];
    else if (op.setPriority) priority = op.setPriority.value;
  }
  return {
    ...(communities.length ? { addCommunities: communities } : {}),
    ...(large.length ? { addLargeCommunities: large } : {}),
    ...(prepend.length ? { prependAsPath: prepend } : {}),
    ...(priority !== undefined ? { priority } : {}),
  };
}

/** Options of {@link compileFilters}. */
export interface CompileOptions {
  /** Verdict when no rule matched on export (Calico then applies its own export rules); default accept. */
  readonly exportDefault?:
    | PolicyVerdict
    | ((route: PolicyRoute, peer: PolicyPeer) => PolicyVerdict);
}

const ACCEPT: PolicyVerdict = { accept: true };

/**
 * Compiles a peer's BGPFilters (in the order the peer lists them) for one
 * direction into a {@link RoutePolicy} plus an `explain` that says which
 * filter and rule decided. Filters are assumed valid (see `parseBgpFilter`).
 */
export function compileFilters(
  filters: readonly BgpFilter[],
  direction: Direction,
  opts: CompileOptions = {},
): { policy: RoutePolicy; explain: (route: PolicyRoute, peer: PolicyPeer) => FilterMatch } {
  const v4: CompiledRule[] = [];
  const v6: CompiledRule[] = [];
  for (const f of filters) {
    const name = f.metadata.name;
    const r4 = direction === "import" ? f.spec.importV4 : f.spec.exportV4;
    const r6 = direction === "import" ? f.spec.importV6 : f.spec.exportV6;
    for (const [i, r] of (r4 ?? []).entries()) v4.push(compileRule(name, i, r, 4));
    for (const [i, r] of (r6 ?? []).entries()) v6.push(compileRule(name, i, r, 6));
  }
  const fallback = direction === "import" ? ACCEPT : (opts.exportDefault ?? ACCEPT);
  const explain = (route: PolicyRoute, peer: PolicyPeer): FilterMatch => {
    const rules = route.prefix.afi === Afi.Ipv6 ? v6 : v4;
    for (const r of rules)
      if (r.match(route, peer)) return { filter: r.filter, rule: r.index, verdict: r.verdict };
    return {
      filter: undefined,
      rule: undefined,
      verdict: typeof fallback === "function" ? fallback(route, peer) : fallback,
    };
  };
  const evaluate = (route: PolicyRoute, peer: PolicyPeer): PolicyVerdict => {
    const rules = route.prefix.afi === Afi.Ipv6 ? v6 : v4;
    for (const r of rules) if (r.match(route, peer)) return r.verdict;
    return typeof fallback === "function" ? fallback(route, peer) : fallback;
  };
  // Families every route of which the policy rejects (BIRD's `export none`):
  // the first rule matches everything and rejects, or there is no rule and
  // the fallback is a fixed reject. The RIB skips those without calling it.
  const rejectsAll = (rules: readonly CompiledRule[]): boolean => {
    const first = rules[0];
    if (first) return first.unconditional && !first.verdict.accept;
    return typeof fallback !== "function" && !fallback.accept;
  };
  const rejectsAfi = [...(rejectsAll(v4) ? [Afi.Ipv4] : []), ...(rejectsAll(v6) ? [Afi.Ipv6] : [])];
  const policy: RoutePolicy =
    rejectsAfi.length > 0 ? Object.assign(evaluate, { rejectsAfi }) : evaluate;
  return { policy, explain };
}
