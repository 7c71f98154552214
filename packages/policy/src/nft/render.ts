// Policy state → nftables (one `inet` table owned by Tortie), after Felix's
// rule layout (felix `rules/` and `nftables/`). Egress and ingress are
// separate base chains on the same hook, so an Allow is a plain `accept`:
// it ends the egress chain and the packet still meets the ingress one
// (nft(8) "BASE CHAINS": an accepted packet goes on to the next base chain
// of the hook; a drop is final).
//
//   fw-egress  (forward, priority filter)     ct established,related accept ·
//              ct invalid drop · iifname vmap @from-ep → egress chain of the source
//   fw-ingress (forward, priority filter+10)  … oifname vmap @to-ep → ingress chain
//   in-egress / out-ingress  the same for traffic between workloads and the node
//   e-<h>  endpoint+direction: jump t-<h> for each tier, then r-<h> for each
//          profile, then counter drop
//   t-<h>  one tier for one plan: the rules of its policies in order, then
//          counter drop (defaultAction Deny) or nothing (defaultAction Pass).
//          Allow → accept; Deny → drop; Pass → return (on to the next tier);
//          Log → log and go on. Every rule has a counter and a comment
//          naming tier, policy, direction and rule index.
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
  Stage,
} from "../engine/compiled.js";
import type { EndpointInfo, PolicyState, TierPlan } from "../engine/state.js";
import { type Cidr, type Family, formatRange, mergeRanges } from "../model/cidr.js";
import type { PortSpec } from "../model/ports.js";
import type { NftChain, NftSet, Ruleset } from "./ruleset.js";

/**
 * ICMPv6 that keeps the link between a workload and its node working:
 * MLD (RFC 2710 §3: 130–132) and neighbour discovery (RFC 4861 §4: router
 * solicitation and advertisement 133–134, neighbour solicitation and
 * advertisement 135–136). Accepted in the host hooks before any policy.
 */
export const LINK_ICMPV6 = [
  "mld-listener-query",
  "mld-listener-report",
  "mld-listener-done",
  "nd-router-solicit",
  "nd-router-advert",
  "nd-neighbor-solicit",
  "nd-neighbor-advert",
] as const;

/** Options of the renderer. */
export interface RenderOptions {
  /** Table name (family is always inet). Default `tortie`. */
  readonly table?: string;
  /** IP families to render rules for. Default both. */
  readonly families?: readonly Family[];
  /** Also police traffic between workloads and the node itself (input/output hooks). Default true. */
  readonly hostHooks?: boolean;
  /** Send Log rules to this nflog group (for ulogd and friends) instead of the kernel log. */
  readonly logGroup?: number;
}

/** Mark bit: a doNotTrack or preDNAT policy allowed the packet; later stages accept it. */
export const MARK_ALLOWED = 0x40000;
const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
const SET_ALLOWED = `meta mark set meta mark | ${hex(MARK_ALLOWED)}`;
/** Dispatch maps: interface name → the endpoint's chain for one hook. */
const MAPS = [
  "from-ep",
  "to-ep",
  "hep-raw-in",
  "hep-raw-out",
  "hep-prednat-in",
  "hep-in",
  "hep-out",
  "hep-fwd-in",
  "hep-fwd-out",
];

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

/** How to compute a set whose elements follow the policy state. */
type DynamicSet =
  | { readonly kind: "selector"; readonly selId: string; readonly family: Family }
  | {
      readonly kind: "named-port";
      readonly scopeId: string;
      readonly names: readonly string[];
      readonly proto: number;
      readonly family: Family;
    };

/** A rendered chain and what it refers to. */
interface ChainPiece {
  readonly rules: readonly string[];
  readonly chains: readonly string[];
  readonly sets: readonly string[];
  /** For tier chains: the policies rendered into it. */
  readonly src?: readonly CompiledPolicy[];
}

/**
 * Renders policy state to a {@link Ruleset}, remembering what it rendered:
 * a second `render` recomputes only the policies, endpoints and sets that
 * changed since (by object identity and the state's change counters), so an
 * update costs in proportion to its effect, not to the size of the ruleset.
 */
export class NftRenderer {
  private readonly families: readonly Family[];
  private readonly table: string;
  private readonly hostHooks: boolean;
  private readonly logGroup: number | undefined;
  private readonly staticSets = new Map<string, NftSet>();
  private readonly dynamicSets = new Map<string, DynamicSet>();
  private readonly dynamicCache = new Map<string, { version: number; set: NftSet }>();
  private readonly pieces = new Map<string, ChainPiece>();
  private readonly policyCache = new WeakMap<
    CompiledPolicy,
    Map<Direction, { rules: string[]; sets: string[] }>
  >();
  private readonly epCache = new Map<
    string,
    { ep: EndpointInfo; plan: number; chains: ReadonlyMap<string, string> }
  >();
  private st!: PolicyState;
  private refs = new Set<string>();

  constructor(opts: RenderOptions = {}) {
    this.families = opts.families ?? [4, 6];
    this.table = `inet ${opts.table ?? "tortie"}`;
    this.hostHooks = opts.hostHooks ?? true;
    this.logGroup = opts.logGroup;
  }

  private addrType(f: Family) {
    return f === 4 ? "ipv4_addr" : "ipv6_addr";
  }

  private selectorSet(selId: string, f: Family): string {
    const name = `s-${selId}-${f}`;
    if (!this.dynamicSets.has(name))
      this.dynamicSets.set(name, { kind: "selector", selId, family: f });
    this.refs.add(name);
    return `@${name}`;
  }

  private staticSet(name: string, set: NftSet): string {
    if (!this.staticSets.has(name)) this.staticSets.set(name, set);
    this.refs.add(name);
    return `@${name}`;
  }

  private netsMatch(nets: readonly Cidr[], f: Family): string {
    const ranges = mergeRanges(nets.filter((c) => c.family === f));
    const els = ranges.map((r) => formatRange(f, r));
    if (els.length === 1) return els[0]!;
    return this.staticSet(`n-${short(els.join(","))}-${f}`, {
      decl: `type ${this.addrType(f)}; flags interval;`,
      elements: els,
    });
  }

  private portsMatch(ports: readonly (PortSpec & { kind: "range" })[]): string {
    const merged = mergeRanges(ports.map((p) => ({ start: BigInt(p.min), end: BigInt(p.max) })));
    const els = merged.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`));
    if (els.length === 1) return els[0]!;
    return this.staticSet(`o-${short(els.join(","))}`, {
      decl: "type inet_service; flags interval;",
      elements: els,
    });
  }

  private namedPortSet(
    side: CompiledSide,
    names: readonly string[],
    proto: number,
    f: Family,
  ): string {
    const sorted = [...names].sort();
    const name = `q-${short(`${side.namedPortScope.id}|${sorted.join(",")}|${proto}`)}-${f}`;
    if (!this.dynamicSets.has(name)) {
      this.dynamicSets.set(name, {
        kind: "named-port",
        scopeId: side.namedPortScope.id,
        names: sorted,
        proto,
        family: f,
      });
    }
    this.refs.add(name);
    return `@${name}`;
  }

  private computeSet(d: DynamicSet): NftSet {
    const f = d.family;
    if (d.kind === "selector") {
      const cidrs: Cidr[] = [];
      for (const item of this.st.index.itemsMatching(d.selId)) {
        const nets = this.st.endpoint(item)?.nets ?? this.st.networkSet(item)?.nets ?? [];
        for (const c of nets) if (c.family === f) cidrs.push(c);
      }
      return {
        decl: `type ${this.addrType(f)}; flags interval;`,
        elements: mergeRanges(cidrs).map((r) => formatRange(f, r)),
      };
    }
    const els = new Set<string>();
    for (const item of this.st.index.itemsMatching(d.scopeId)) {
      const ep = this.st.endpoint(item);
      if (!ep) continue;
      for (const p of ep.ports) {
        if (p.protocol !== d.proto || !d.names.includes(p.name)) continue;
        for (const c of ep.nets) {
          if (c.family === f)
            els.add(`${formatRange(f, { start: c.start, end: c.start })} . ${p.port}`);
        }
      }
    }
    return { decl: `type ${this.addrType(f)} . inet_service;`, elements: [...els].sort() };
  }

  private dynamicSet(name: string, d: DynamicSet): NftSet {
    const version = this.st.selectorVersion(d.kind === "selector" ? d.selId : d.scopeId);
    const hit = this.dynamicCache.get(name);
    if (hit && hit.version === version) return hit.set;
    const set = this.computeSet(d);
    this.dynamicCache.set(name, { version, set });
    return set;
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

  /** Alternatives (OR) of conjunctions for one side. */
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
  ruleTexts(r: CompiledRule, label: string, st: PolicyState, allow = "accept"): string[] {
    this.st = st;
    const { fams, split } = this.ruleFamilies(r);
    const variants: (Family | undefined)[] = split
      ? fams
      : fams.length === this.families.length
        ? [undefined]
        : fams;
    const verdict =
      r.action === "Allow"
        ? allow
        : r.action === "Deny"
          ? "drop"
          : r.action === "Pass"
            ? "return"
            : `log ${this.logGroup === undefined ? "" : `group ${this.logGroup} `}prefix ${q(`tortie ${label.slice(0, 40)}: `)}`;
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
        if (r.notICMP.code !== undefined) {
          ors.push([`${kw} type ${r.notICMP.type}`, `${kw} code != ${r.notICMP.code}`]);
        }
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

  /** The sets referenced by rules rendered since the last call, with their elements. */
  referencedSets(st: PolicyState): Map<string, NftSet> {
    this.st = st;
    const out = new Map<string, NftSet>();
    for (const n of this.takeRefs()) {
      const d = this.dynamicSets.get(n);
      out.set(n, d ? this.dynamicSet(n, d) : this.staticSets.get(n)!);
    }
    return out;
  }

  private takeRefs(): string[] {
    const r = [...this.refs];
    this.refs = new Set();
    return r;
  }

  private rulesChain(
    name: string,
    display: string,
    rules: readonly CompiledRule[],
    dir: Direction,
  ): string {
    this.takeRefs();
    const texts = rules.flatMap((r) =>
      this.ruleTexts(r, `${display} ${dir} rule ${r.index}`, this.st),
    );
    this.pieces.set(name, { rules: texts, chains: [], sets: this.takeRefs() });
    return name;
  }

  /** A policy's rule texts in one direction (cached per compiled policy object). */
  private policyRules(p: CompiledPolicy, dir: Direction): { rules: string[]; sets: string[] } {
    let m = this.policyCache.get(p);
    if (!m) {
      m = new Map();
      this.policyCache.set(p, m);
    }
    let hit = m.get(dir);
    if (!hit) {
      this.takeRefs();
      const label = `${p.tier}/${p.name}`;
      const allow =
        p.stage === "untracked"
          ? `${SET_ALLOWED} notrack accept`
          : p.stage === "preDNAT"
            ? `${SET_ALLOWED} accept`
            : "accept";
      const rules = (dir === "ingress" ? p.ingress : p.egress).flatMap((r) =>
        this.ruleTexts(r, `${label} ${dir} rule ${r.index}`, this.st, allow),
      );
      hit = { rules, sets: this.takeRefs() };
      m.set(dir, hit);
    }
    return hit;
  }

  private profileChain(pr: CompiledProfile, dir: Direction): string {
    const name = `r-${short(`profile:${pr.name}`)}-${dir === "ingress" ? "i" : "e"}`;
    return this.rulesChain(
      name,
      `profile ${pr.name}`,
      dir === "ingress" ? pr.ingress : pr.egress,
      dir,
    );
  }

  private contentChain(prefix: string, rules: string[], chains: string[]): string {
    const name = `${prefix}-${short(rules.join("\n"))}`;
    if (!this.pieces.has(name)) this.pieces.set(name, { rules, chains, sets: [] });
    return name;
  }

  /**
   * One tier of one plan: the rules of its policies in order, then the
   * tier's end. Named by identity (tier, direction, policy keys), so a
   * policy edit refills the same chain and nothing that jumps to it changes.
   */
  private tierChain(tier: TierPlan[number], dir: Direction): string {
    const keys = tier.policies.map((p) => p.key).join(",");
    const name = `t-${short(`${tier.tier.name}|${tier.tier.defaultAction}|${dir}|${keys}`)}`;
    const old = this.pieces.get(name);
    if (
      old?.src &&
      old.src.length === tier.policies.length &&
      old.src.every((p, i) => p === tier.policies[i])
    ) {
      return name;
    }
    const rules: string[] = [];
    const sets = new Set<string>();
    for (const p of tier.policies) {
      const pr = this.policyRules(p, dir);
      rules.push(...pr.rules);
      for (const s of pr.sets) sets.add(s);
    }
    // doNotTrack and preDNAT tiers have no end: what they do not decide goes on.
    if (tier.tier.defaultAction === "Deny" && tier.policies[0]?.stage === "normal") {
      rules.push(`counter drop comment ${q(`end of tier ${tier.tier.name}: no policy matched`)}`);
    }
    this.pieces.set(name, { rules, chains: [], sets: [...sets], src: tier.policies });
    return name;
  }

  private endpointChain(
    ep: EndpointInfo,
    dir: Direction,
    stage: Stage = "normal",
    forwarded = false,
  ): string | undefined {
    const rules: string[] = [];
    const chains: string[] = [];
    const plan = this.st.plan(ep, dir, stage, forwarded);
    // doNotTrack, preDNAT and forwarded traffic: only tiers that apply, no
    // profiles, no final drop (nothing applying means nothing to enforce).
    if (stage !== "normal" || forwarded) {
      if (plan.length === 0) return undefined;
      for (const tier of plan) {
        const tc = this.tierChain(tier, dir);
        chains.push(tc);
        rules.push(`jump ${tc}`);
      }
      return this.contentChain("e", rules, chains);
    }
    for (const tier of plan) {
      const tc = this.tierChain(tier, dir);
      chains.push(tc);
      rules.push(`jump ${tc}`);
    }
    for (const name of ep.profiles) {
      const pr = this.st.profile(name);
      if (!pr) continue;
      const rc = this.profileChain(pr, dir);
      chains.push(rc);
      rules.push(`jump ${rc}`);
    }
    rules.push(`counter drop comment ${q("no policy or profile allowed")}`);
    return this.contentChain("e", rules, chains);
  }

  /**
   * Renders the state's workload endpoints (those with an interface name)
   * and their policies. The same state always gives the same ruleset.
   */
  render(st: PolicyState): Ruleset {
    this.st = st;
    const maps = new Map<string, string[]>(MAPS.map((m) => [m, []]));
    const live = new Set<string>();
    let hosts = false;
    for (const ep of st.endpoints()) {
      if (!ep.interfaceName) continue;
      live.add(ep.key);
      const plan = st.planVersion(ep.key);
      let c = this.epCache.get(ep.key);
      if (!c || c.ep !== ep || c.plan !== plan) {
        const chains = new Map<string, string>();
        const put = (map: string, chain: string | undefined) => {
          if (chain) chains.set(map, chain);
        };
        if (ep.kind === "workload") {
          put("from-ep", this.endpointChain(ep, "egress"));
          put("to-ep", this.endpointChain(ep, "ingress"));
        } else {
          put("hep-raw-in", this.endpointChain(ep, "ingress", "untracked"));
          put("hep-raw-out", this.endpointChain(ep, "egress", "untracked"));
          put("hep-prednat-in", this.endpointChain(ep, "ingress", "preDNAT"));
          put("hep-in", this.endpointChain(ep, "ingress"));
          put("hep-out", this.endpointChain(ep, "egress"));
          put("hep-fwd-in", this.endpointChain(ep, "ingress", "normal", true));
          put("hep-fwd-out", this.endpointChain(ep, "egress", "normal", true));
        }
        c = { ep, plan, chains };
        this.epCache.set(ep.key, c);
      }
      if (ep.kind === "host") hosts = true;
      for (const [map, chain] of c.chains)
        maps.get(map)!.push(`${q(ep.interfaceName)} : jump ${chain}`);
    }
    for (const k of this.epCache.keys()) if (!live.has(k)) this.epCache.delete(k);
    // Everything reachable from the endpoints' chains.
    const reached = new Set<string>();
    const setNames = new Set<string>();
    const stack = [...new Set([...this.epCache.values()].flatMap((c) => [...c.chains.values()]))];
    while (stack.length) {
      const n = stack.pop()!;
      if (reached.has(n)) continue;
      reached.add(n);
      const piece = this.pieces.get(n)!;
      for (const c of piece.chains) stack.push(c);
      for (const s of piece.sets) setNames.add(s);
    }
    for (const n of this.pieces.keys()) if (!reached.has(n)) this.pieces.delete(n);

    const chains = new Map<string, NftChain>();
    const common = ["ct state established,related accept", "ct state invalid drop"];
    const base = (hook: string, prio: string, rule: string): NftChain => ({
      hook: `type filter hook ${hook} priority ${prio}; policy accept;`,
      rules: [...common, rule],
    });
    chains.set("fw-egress", base("forward", "filter", "iifname vmap @from-ep"));
    chains.set("fw-ingress", base("forward", "filter + 10", "oifname vmap @to-ep"));
    if (this.hostHooks) {
      // IPv6 neighbour discovery and MLD between a workload and the node are
      // the link working, not traffic a policy selects: accepted before the
      // workload's chains, as Felix does for workload-to-host ICMPv6 (types
      // 130–136, RFC 4861 §4, RFC 2710 §3). Without it a policy that
      // isolates a pod also stops the pod resolving its gateway, so
      // forwarded flows that policy allows fail too.
      const nd = `meta l4proto ipv6-icmp icmpv6 type { ${LINK_ICMPV6.join(", ")} } accept`;
      chains.set("in-egress", {
        ...base("input", "filter", "iifname vmap @from-ep"),
        rules: [...common, nd, "iifname vmap @from-ep"],
      });
      chains.set("out-ingress", {
        ...base("output", "filter", "oifname vmap @to-ep"),
        rules: [...common, nd, "oifname vmap @to-ep"],
      });
    }
    if (hosts) {
      // Host endpoints (Calico HostEndpoint): doNotTrack policies in raw,
      // preDNAT policies before DNAT, normal policies for traffic to and
      // from the host itself. An Allow in the first two marks the packet,
      // and the later stages accept what is marked.
      const hook = (h: string, prio: string) =>
        `type filter hook ${h} priority ${prio}; policy accept;`;
      const marked = `meta mark & ${hex(MARK_ALLOWED)} == ${hex(MARK_ALLOWED)} accept`;
      chains.set("hep-raw-in", {
        hook: hook("prerouting", "raw"),
        rules: ["iifname vmap @hep-raw-in"],
      });
      chains.set("hep-raw-out", {
        hook: hook("output", "raw"),
        rules: ["oifname vmap @hep-raw-out"],
      });
      chains.set("hep-prednat", {
        hook: hook("prerouting", "dstnat - 10"),
        rules: [marked, "iifname vmap @hep-prednat-in"],
      });
      chains.set("hep-in", {
        hook: hook("input", "filter + 5"),
        rules: [marked, ...common, "iifname vmap @hep-in"],
      });
      chains.set("hep-out", {
        hook: hook("output", "filter + 5"),
        rules: [marked, ...common, "oifname vmap @hep-out"],
      });
      // Forwarded through a host interface: applyOnForward policies only.
      chains.set("hep-fwd-in", {
        hook: hook("forward", "filter - 10"),
        rules: [marked, ...common, "iifname vmap @hep-fwd-in"],
      });
      chains.set("hep-fwd-out", {
        hook: hook("forward", "filter + 20"),
        rules: [...common, "oifname vmap @hep-fwd-out"],
      });
    }
    for (const n of [...reached].sort()) chains.set(n, { rules: this.pieces.get(n)!.rules });
    const sets = new Map<string, NftSet>();
    for (const [m, els] of maps) {
      if (m.startsWith("hep-") && !hosts) continue;
      sets.set(m, { decl: "type ifname : verdict;", elements: els.sort() });
    }
    for (const n of [...setNames].sort()) {
      const d = this.dynamicSets.get(n);
      sets.set(n, d ? this.dynamicSet(n, d) : this.staticSets.get(n)!);
    }
    for (const n of this.dynamicCache.keys()) if (!setNames.has(n)) this.dynamicCache.delete(n);
    return { table: this.table, sets, chains };
  }
}

/**
 * Renders the state into a {@link Ruleset} from scratch (a fresh
 * {@link NftRenderer}). Pure: the same state gives the same ruleset.
 */
export function renderRuleset(st: PolicyState, opts: RenderOptions = {}): Ruleset {
  return new NftRenderer(opts).render(st);
}

/** The nft rule texts of one rule (for table tests and tools). */
export function renderRule(
  st: PolicyState,
  rule: CompiledRule,
  label = "rule",
  opts: RenderOptions = {},
): { rules: string[]; sets: ReadonlyMap<string, NftSet> } {
  const r = new NftRenderer(opts);
  const rules = r.ruleTexts(rule, label, st);
  return { rules, sets: r.referencedSets(st) };
}
