// Policy state → nftables (one `inet` table owned by Tortie), after Felix's
// rule layout (felix `rules/` and `nftables/`), with mark bits carrying
// "accepted"/"passed" out of policy chains:
//
//   forward (hook)  ct established,related accept · ct invalid drop
//                   iifname vmap @from-ep   → egress chain of the source endpoint
//                   oifname vmap @to-ep     → ingress chain of the destination endpoint
//   e-<h>  endpoint+direction: per tier: clear marks, jump t-<h>, return if ACCEPT;
//          then each profile's chain the same way; then counter drop
//   t-<h>  a tier's policies for one plan: jump p-…; return if ACCEPT or PASS;
//          … then counter drop (defaultAction Deny) or fall out (Pass)
//   p-<h>-i / -e  one policy's rules: Allow → mark ACCEPT, return; Deny → drop;
//          Pass → mark PASS, return; Log → log, go on. Every rule has a counter.
//
// Chains and sets are named by content or key hashes, so endpoints with the
// same plan share chains, and a change rewrites only what depends on it.
// Sets (REAL-PEERS.md: nft apply time grows with the number of sets) are only
// made where a rule needs more than one value, and are shared by name:
//   s-<selector id>-4|6   addresses of endpoints/network sets a selector matches (interval)
//   n-<hash>-4|6          a rule's nets (interval), when more than one
//   o-<hash>              a port list (interval), when more than one
//   q-<hash>-4|6          named ports: address . port of endpoints in scope
import { stableHash } from "@tortie/selector";
import type {
  CompiledPolicy,
  CompiledProfile,
  CompiledRule,
  CompiledSide,
  Direction,
} from "../engine/compiled.js";
import type { EndpointInfo, PolicyState, TierPlan } from "../engine/state.js";
import { type Cidr, type Family, formatRange, mergeRanges } from "../model/cidr.js";
import type { PortSpec } from "../model/ports.js";
import type { NftChain, NftSet, Ruleset } from "./ruleset.js";

/** Mark bit: the packet was accepted by a policy or profile in this direction. */
export const MARK_ACCEPT = 0x10000;
/** Mark bit: a policy passed the packet to the next tier. */
export const MARK_PASS = 0x20000;
const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
const CLEAR = `meta mark set meta mark & ${hex(~(MARK_ACCEPT | MARK_PASS) >>> 0)}`;
const IF_ACCEPT = `meta mark & ${hex(MARK_ACCEPT)} == ${hex(MARK_ACCEPT)}`;
const IF_DECIDED = `meta mark & ${hex(MARK_ACCEPT | MARK_PASS)} != 0x00000000`;

/** Options of the renderer. */
export interface RenderOptions {
  /** Table name (family is always inet). Default `tortie`. */
  readonly table?: string;
  /** IP families to render rules for. Default both. */
  readonly families?: readonly Family[];
  /** Also police traffic between workloads and the node itself (input/output hooks). Default true. */
  readonly hostHooks?: boolean;
}

const short = (s: string) => stableHash(s).slice(0, 12);
const q = (s: string) => `"${s.replace(/["\\]/g, "")}"`;

const NFT_PROTO: Record<number, string> = {
  6: "tcp",
  17: "udp",
  1: "icmp",
  58: "ipv6-icmp",
  132: "sctp",
  136: "udplite",
};
const protoText = (n: number) => NFT_PROTO[n] ?? String(n);

/** Builds the ruleset; `sets` collects what rules reference. */
class Renderer {
  readonly sets = new Map<string, NftSet>();
  readonly chains = new Map<string, NftChain>();
  private readonly families: readonly Family[];
  private readonly policyCache = new Map<string, string>();

  constructor(
    private readonly st: PolicyState,
    opts: RenderOptions,
  ) {
    this.families = opts.families ?? [4, 6];
  }

  private addrType(f: Family) {
    return f === 4 ? "ipv4_addr" : "ipv6_addr";
  }

  private selectorSet(selId: string, f: Family): string {
    const name = `s-${selId}-${f}`;
    if (!this.sets.has(name)) {
      const cidrs: Cidr[] = [];
      for (const item of this.st.index.itemsMatching(selId)) {
        const nets = this.st.endpoint(item)?.nets ?? this.st.networkSet(item)?.nets ?? [];
        for (const c of nets) if (c.family === f) cidrs.push(c);
      }
      this.sets.set(name, {
        decl: `type ${this.addrType(f)}; flags interval;`,
        elements: mergeRanges(cidrs).map((r) => formatRange(f, r)),
      });
    }
    return `@${name}`;
  }

  private netsMatch(nets: readonly Cidr[], f: Family): string {
    const ranges = mergeRanges(nets.filter((c) => c.family === f));
    const els = ranges.map((r) => formatRange(f, r));
    if (els.length === 1) return els[0]!;
    const name = `n-${short(els.join(","))}-${f}`;
    this.sets.set(name, { decl: `type ${this.addrType(f)}; flags interval;`, elements: els });
    return `@${name}`;
  }

  private portsMatch(ports: readonly (PortSpec & { kind: "range" })[]): string {
    const merged = mergeRanges(ports.map((p) => ({ start: BigInt(p.min), end: BigInt(p.max) })));
    const els = merged.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`));
    if (els.length === 1) return els[0]!;
    const name = `o-${short(els.join(","))}`;
    this.sets.set(name, { decl: "type inet_service; flags interval;", elements: els });
    return `@${name}`;
  }

  private namedPortSet(
    side: CompiledSide,
    names: readonly string[],
    proto: number,
    f: Family,
  ): string {
    const name = `q-${short(`${side.namedPortScope.id}|${[...names].sort().join(",")}|${proto}`)}-${f}`;
    if (!this.sets.has(name)) {
      const els = new Set<string>();
      for (const item of this.st.index.itemsMatching(side.namedPortScope.id)) {
        const ep = this.st.endpoint(item);
        if (!ep) continue;
        for (const p of ep.ports) {
          if (p.protocol !== proto || !names.includes(p.name)) continue;
          for (const c of ep.nets)
            if (c.family === f)
              els.add(`${formatRange(f, { start: c.start, end: c.start })} . ${p.port}`);
        }
      }
      this.sets.set(name, {
        decl: `type ${this.addrType(f)} . inet_service;`,
        elements: [...els].sort(),
      });
    }
    return `@${name}`;
  }

  /** Families a rule can match, and whether its text depends on the family. */
  private ruleFamilies(r: CompiledRule): { fams: Family[]; split: boolean } {
    let fams = [...this.families];
    if (r.ipVersion) fams = fams.filter((f) => f === r.ipVersion);
    if (r.protocol === 1) fams = fams.filter((f) => f === 4);
    if (r.protocol === 58) fams = fams.filter((f) => f === 6);
    let split =
      r.ipVersion !== undefined ||
      r.protocol === 1 ||
      r.protocol === 58 ||
      r.icmp !== undefined ||
      r.notICMP !== undefined;
    for (const s of [r.source, r.destination]) {
      if (s.nets.length) fams = fams.filter((f) => s.nets.some((c) => c.family === f));
      if (s.nets.length || s.notNets.length || s.selector || s.notSelector) split = true;
      if ([...s.ports, ...s.notPorts].some((p) => p.kind === "named")) split = true;
    }
    return { fams, split };
  }

  /** Alternatives (OR) of conjunctions for one side. Empty list = cannot match. */
  private sideMatches(
    s: CompiledSide,
    dir: "s" | "d",
    f: Family | undefined,
    proto: number | undefined,
  ): string[][] {
    const ip = f === 6 ? "ip6" : "ip";
    const addr = `${ip} ${dir}addr`;
    const base: string[] = [];
    if (f !== undefined) {
      if (s.nets.length) base.push(`${addr} ${this.netsMatch(s.nets, f)}`);
      if (s.notNets.some((c) => c.family === f))
        base.push(`${addr} != ${this.netsMatch(s.notNets, f)}`);
      if (s.selector) base.push(`${addr} ${this.selectorSet(s.selector.id, f)}`);
      if (s.notSelector) base.push(`${addr} != ${this.selectorSet(s.notSelector.id, f)}`);
    }
    const port = `th ${dir}port`;
    const numeric = (ps: readonly PortSpec[]) =>
      ps.filter((p): p is PortSpec & { kind: "range" } => p.kind === "range");
    const named = (ps: readonly PortSpec[]) =>
      ps.filter((p) => p.kind === "named").map((p) => (p as { name: string }).name);
    const p = proto ?? 6;
    if (s.notPorts.length) {
      const num = numeric(s.notPorts);
      if (num.length) base.push(`${port} != ${this.portsMatch(num)}`);
      const nm = named(s.notPorts);
      if (nm.length && f !== undefined)
        base.push(`${addr} . ${port} != ${this.namedPortSet(s, nm, p, f)}`);
    }
    if (!s.ports.length) return [base];
    const alts: string[][] = [];
    const num = numeric(s.ports);
    if (num.length) alts.push([...base, `${port} ${this.portsMatch(num)}`]);
    const nm = named(s.ports);
    if (nm.length && f !== undefined)
      alts.push([...base, `${addr} . ${port} ${this.namedPortSet(s, nm, p, f)}`]);
    return alts;
  }

  private icmpMatch(r: CompiledRule, f: Family): string[] {
    const kw = f === 4 ? "icmp" : "icmpv6";
    const out: string[] = [];
    if (r.icmp?.type !== undefined) out.push(`${kw} type ${r.icmp.type}`);
    if (r.icmp?.code !== undefined) out.push(`${kw} code ${r.icmp.code}`);
    return out;
  }

  /** nft rule texts for one Calico rule (several when it spans families or ORs named and numeric ports). */
  ruleTexts(r: CompiledRule, label: string): string[] {
    const { fams, split } = this.ruleFamilies(r);
    const variants: (Family | undefined)[] = split
      ? fams
      : fams.length === this.families.length
        ? [undefined]
        : fams;
    const verdict =
      r.action === "Allow"
        ? `meta mark set meta mark | ${hex(MARK_ACCEPT)} return`
        : r.action === "Deny"
          ? "drop"
          : r.action === "Pass"
            ? `meta mark set meta mark | ${hex(MARK_PASS)} return`
            : `log prefix ${q(`tortie ${label.slice(0, 40)}: `)}`;
    const out: string[] = [];
    for (const f of variants) {
      const head: string[] = [];
      if (f !== undefined) head.push(`meta nfproto ${f === 4 ? "ipv4" : "ipv6"}`);
      if (r.protocol !== undefined) head.push(`meta l4proto ${protoText(r.protocol)}`);
      if (r.notProtocol !== undefined) head.push(`meta l4proto != ${protoText(r.notProtocol)}`);
      if (f !== undefined) head.push(...this.icmpMatch(r, f));
      let alts: string[][] = [head];
      if (r.notICMP?.type !== undefined && f !== undefined) {
        // not (type && code) = type differs, or code differs
        const kw = f === 4 ? "icmp" : "icmpv6";
        const ors = [[`${kw} type != ${r.notICMP.type}`]];
        if (r.notICMP.code !== undefined)
          ors.push([`${kw} type ${r.notICMP.type}`, `${kw} code != ${r.notICMP.code}`]);
        alts = alts.flatMap((a) => ors.map((o) => [...a, ...o]));
      }
      for (const side of [
        this.sideMatches(r.source, "s", f, r.protocol),
        this.sideMatches(r.destination, "d", f, r.protocol),
      ]) {
        alts = alts.flatMap((a) => side.map((s) => [...a, ...s]));
      }
      for (const a of alts)
        out.push([...a, "counter", verdict, `comment ${q(label.slice(0, 120))}`].join(" "));
    }
    return out;
  }

  /** The chain of one policy (or profile) in one direction; returns its name. */
  rulesChain(
    prefix: string,
    key: string,
    display: string,
    rules: readonly CompiledRule[],
    dir: Direction,
  ): string {
    const name = `${prefix}-${short(key)}-${dir === "ingress" ? "i" : "e"}`;
    if (!this.chains.has(name)) {
      const texts = rules.flatMap((r) => this.ruleTexts(r, `${display} ${dir} rule ${r.index}`));
      this.chains.set(name, { rules: texts });
    }
    return name;
  }

  policyChain(p: CompiledPolicy, dir: Direction): string {
    const ck = `${p.key}|${dir}`;
    const cached = this.policyCache.get(ck);
    if (cached) return cached;
    const name = this.rulesChain(
      "p",
      p.key,
      `${p.tier}/${p.name}`,
      dir === "ingress" ? p.ingress : p.egress,
      dir,
    );
    this.policyCache.set(ck, name);
    return name;
  }

  profileChain(pr: CompiledProfile, dir: Direction): string {
    return this.rulesChain(
      "r",
      `profile:${pr.name}`,
      `profile ${pr.name}`,
      dir === "ingress" ? pr.ingress : pr.egress,
      dir,
    );
  }

  tierChain(tier: TierPlan[number], dir: Direction): string {
    const rules: string[] = [];
    for (const p of tier.policies) {
      rules.push(`jump ${this.policyChain(p, dir)}`, `${IF_DECIDED} return`);
    }
    if (tier.tier.defaultAction === "Deny") {
      rules.push(`counter drop comment ${q(`end of tier ${tier.tier.name}: no policy matched`)}`);
    }
    const name = `t-${short(rules.join("\n"))}`;
    if (!this.chains.has(name)) this.chains.set(name, { rules });
    return name;
  }

  endpointChain(ep: EndpointInfo, dir: Direction): string {
    const rules: string[] = [];
    for (const tier of this.st.plan(ep, dir)) {
      rules.push(CLEAR, `jump ${this.tierChain(tier, dir)}`, `${IF_ACCEPT} return`);
    }
    for (const name of ep.profiles) {
      const pr = this.st.profile(name);
      if (!pr) continue;
      rules.push(CLEAR, `jump ${this.profileChain(pr, dir)}`, `${IF_ACCEPT} return`);
    }
    rules.push(`counter drop comment ${q("no policy or profile allowed")}`);
    const name = `e-${short(rules.join("\n"))}`;
    if (!this.chains.has(name)) this.chains.set(name, { rules });
    return name;
  }
}

/**
 * Renders the state's workload endpoints (those with an interface name) and
 * their policies into a {@link Ruleset}. Pure: the same state gives the same text.
 */
export function renderRuleset(st: PolicyState, opts: RenderOptions = {}): Ruleset {
  const r = new Renderer(st, opts);
  const table = `inet ${opts.table ?? "tortie"}`;
  const from: string[] = [];
  const to: string[] = [];
  const eps = [...st.endpoints()]
    .filter((e) => e.kind === "workload" && e.interfaceName)
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  for (const ep of eps) {
    from.push(`${q(ep.interfaceName!)} : jump ${r.endpointChain(ep, "egress")}`);
    to.push(`${q(ep.interfaceName!)} : jump ${r.endpointChain(ep, "ingress")}`);
  }
  const chains = new Map<string, NftChain>();
  const common = ["ct state established,related accept", "ct state invalid drop"];
  chains.set("forward", {
    hook: "type filter hook forward priority filter; policy accept;",
    rules: [...common, "iifname vmap @from-ep", "oifname vmap @to-ep"],
  });
  if (opts.hostHooks ?? true) {
    chains.set("input", {
      hook: "type filter hook input priority filter; policy accept;",
      rules: [...common, "iifname vmap @from-ep"],
    });
    chains.set("output", {
      hook: "type filter hook output priority filter; policy accept;",
      rules: [...common, "oifname vmap @to-ep"],
    });
  }
  for (const [k, v] of [...r.chains].sort(([a], [b]) => (a < b ? -1 : 1))) chains.set(k, v);
  const sets = new Map<string, NftSet>([
    ["from-ep", { decl: "type ifname : verdict;", elements: from.sort() }],
    ["to-ep", { decl: "type ifname : verdict;", elements: to.sort() }],
  ]);
  for (const [k, v] of [...r.sets].sort(([a], [b]) => (a < b ? -1 : 1))) sets.set(k, v);
  return { table, sets, chains };
}

/** The nft rule texts of one rule (for table tests and tools). */
export function renderRule(
  st: PolicyState,
  rule: CompiledRule,
  label = "rule",
  opts: RenderOptions = {},
): { rules: string[]; sets: ReadonlyMap<string, NftSet> } {
  const r = new Renderer(st, opts);
  return { rules: r.ruleTexts(rule, label), sets: r.sets };
}
