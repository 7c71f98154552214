// The policy state: every resource, compiled, with a label index that knows
// which endpoints and network sets each selector matches. The engine
// (evaluate.ts) and the nftables renderer read it; nothing here does I/O.
import { LabelIndex, type Selector } from "@tortie/selector";
import { type Cidr, cidrContains, type Ip, parseCidr } from "../model/cidr.js";
import { PolicyValidationError } from "../model/errors.js";
import { convertK8sNetworkPolicy } from "../model/k8s.js";
import { toResource } from "../model/load.js";
import { protocolNumber } from "../model/protocol.js";
import type { Resource } from "../model/resources.js";
import {
  type CompiledPolicy,
  type CompiledProfile,
  type CompiledRule,
  comparePolicies,
  compilePolicy,
  compileProfile,
  type Direction,
  type Stage,
} from "./compiled.js";
import { itemLabels } from "./labels.js";

/** An endpoint policy applies to: a workload (pod interface) or a host interface. */
export interface EndpointInfo {
  /** `wep:<ns>/<name>` or `hep:<name>`. */
  readonly key: string;
  readonly kind: "workload" | "host";
  readonly name: string;
  readonly namespace: string | undefined;
  /** Host-side interface (the veth on the node, or the host interface). */
  readonly interfaceName: string | undefined;
  readonly nets: readonly Cidr[];
  /** Own labels merged with namespace, service-account and profile labels. */
  readonly labels: ReadonlyMap<string, string>;
  readonly ports: readonly {
    readonly name: string;
    readonly protocol: number;
    readonly port: number;
  }[];
  readonly profiles: readonly string[];
}

/** A NetworkSet or GlobalNetworkSet. */
export interface NetworkSetInfo {
  /** `netset:<ns>/<name>` or `gnetset:<name>`. */
  readonly key: string;
  readonly namespace: string | undefined;
  readonly labels: ReadonlyMap<string, string>;
  readonly nets: readonly Cidr[];
}

/** A tier: its order and what happens when no policy in it decides. */
export interface TierInfo {
  readonly name: string;
  readonly order: number | undefined;
  readonly defaultAction: "Deny" | "Pass";
}

/** The tiers applying to an endpoint in one direction, each with its policies, in order. */
export type TierPlan = readonly {
  readonly tier: TierInfo;
  readonly policies: readonly CompiledPolicy[];
}[];

/** Order of the implicit `default` tier (Calico: 1,000,000). */
export const DEFAULT_TIER_ORDER = 1_000_000;

const ipKey = (ip: Ip) => `${ip.family}:${ip.value}`;

/** Every selector a compiled policy or profile uses. */
export function selectorsOf(p: {
  ingress: readonly CompiledRule[];
  egress: readonly CompiledRule[];
}): Selector[] {
  const out: Selector[] = [];
  for (const r of [...p.ingress, ...p.egress]) {
    for (const side of [r.source, r.destination]) {
      if (side.selector) out.push(side.selector);
      if (side.notSelector) out.push(side.notSelector);
      if ([...side.ports, ...side.notPorts].some((x) => x.kind === "named"))
        out.push(side.namedPortScope);
    }
  }
  return out;
}

/**
 * Holds resources and answers the questions evaluation and rendering ask.
 * `apply` validates every resource before changing anything, so a bad batch
 * leaves the state as it was.
 */
export class PolicyState {
  private readonly resources = new Map<string, Resource>();
  /** Compiled-policy key of each stored policy resource (by resource key). */
  private readonly policyKeys = new Map<string, string>();
  private readonly policies = new Map<string, CompiledPolicy>();
  private readonly profiles = new Map<string, CompiledProfile>();
  private readonly tiers = new Map<string, TierInfo>();
  private readonly eps = new Map<string, EndpointInfo>();
  private readonly sets = new Map<string, NetworkSetInfo>();
  private readonly epByIp = new Map<string, string>();
  private readonly nsLabels = new Map<string, Record<string, string>>();
  private readonly saLabels = new Map<string, Record<string, string>>();
  private readonly selectors = new Map<string, { sel: Selector; refs: number }>();
  private readonly policiesBySelector = new Map<string, Set<string>>();
  /** Item keys (endpoints and network sets) by selector id. */
  readonly index: LabelIndex<string, string> = new LabelIndex<string, string>({
    onMatchStarted: (sel, item) => this.touchMembership(sel, item),
    onMatchStopped: (sel, item) => this.touchMembership(sel, item),
  });
  /** Bumped on every change. */
  version = 0;
  // Change tracking for incremental renderers: a counter value per selector
  // (members or their addresses changed) and per endpoint (its plan of
  // tiers/policies may have changed); `planEpoch` invalidates every plan.
  private tick = 0;
  private readonly selVersions = new Map<string, number>();
  private readonly planVersions = new Map<string, number>();
  private planEpoch = 0;
  private readonly planCache = new Map<string, { version: number; plan: TierPlan }>();

  private touchMembership(sel: string, item: string): void {
    this.selVersions.set(sel, ++this.tick);
    if (this.policiesBySelector.has(sel)) this.planVersions.set(item, ++this.tick);
  }

  private touchPlans(selId: string): void {
    for (const item of this.index.itemsMatching(selId)) this.planVersions.set(item, ++this.tick);
  }

  private touchItem(key: string): void {
    for (const sel of this.index.selectorsMatching(key)) this.selVersions.set(sel, ++this.tick);
    this.planVersions.set(key, ++this.tick);
  }

  /** Changes when the members of a selector, or their addresses or ports, change. */
  selectorVersion(id: string): number {
    return this.selVersions.get(id) ?? 0;
  }

  /** Changes when the tiers/policies applying to an endpoint may have changed. */
  planVersion(key: string): number {
    return Math.max(this.planEpoch, this.planVersions.get(key) ?? 0);
  }

  /**
   * Validates all, then applies all: resources replace those with the same
   * apiVersion/kind/namespace/name. A Kubernetes NetworkPolicy is converted
   * as Calico converts it and kept apart from Calico policies: a Kubernetes
   * and a Calico NetworkPolicy of the same name never replace each other.
   * Returns the resources as applied (Kubernetes policies converted).
   */
  apply(input: readonly unknown[]): Resource[] {
    const rs = input.map((r, i) => {
      try {
        const v = toResource(r, true);
        if (v.kind === "NetworkPolicy" && v.apiVersion === "networking.k8s.io/v1") {
          return { k8s: v, res: toResource(convertK8sNetworkPolicy(v)) };
        }
        return { res: v };
      } catch (e) {
        if (e instanceof PolicyValidationError) {
          throw new PolicyValidationError(`[${i}] ${e.resource}`, e.issues);
        }
        throw e;
      }
    });
    for (const { k8s, res } of rs) {
      if (k8s) {
        const ns = k8s.metadata.namespace;
        this.upsert(res, resKey(K8S_NP, k8s.metadata.name, ns), `knp:${ns}/${k8s.metadata.name}`);
      } else this.upsert(res);
    }
    return rs.map((x) => x.res);
  }

  /**
   * Removes a resource by kind, name and namespace. A Kubernetes
   * NetworkPolicy is removed by its own name with `apiVersion`
   * "networking.k8s.io/v1"; otherwise the Calico kind is meant.
   * Returns false when there was no such resource.
   */
  delete(kind: string, name: string, namespace?: string, apiVersion?: string): boolean {
    const k =
      kind === "NetworkPolicy" && apiVersion === "networking.k8s.io/v1"
        ? resKey(K8S_NP, name, namespace ?? "default")
        : resKey(kind, name, namespace);
    const r = this.resources.get(k);
    if (!r) return false;
    this.resources.delete(k);
    this.version++;
    this.withdraw(r, false, this.policyKeys.get(k));
    this.policyKeys.delete(k);
    return true;
  }

  private upsert(r: Resource, key?: string, policyKey?: string): void {
    const k = key ?? resKey(r.kind, r.metadata.name, r.metadata.namespace);
    const old = this.resources.get(k);
    this.resources.set(k, r);
    this.version++;
    if (old) this.withdraw(old, true, this.policyKeys.get(k));
    switch (r.kind) {
      case "NetworkPolicy":
      case "GlobalNetworkPolicy": {
        if (r.apiVersion !== "projectcalico.org/v3") break;
        const p = compilePolicy(r, policyKey);
        this.policyKeys.set(k, p.key);
        this.policies.set(p.key, p);
        this.ref(p.selector);
        this.touchPlans(p.selector.id);
        let s = this.policiesBySelector.get(p.selector.id);
        if (!s) {
          s = new Set();
          this.policiesBySelector.set(p.selector.id, s);
        }
        s.add(p.key);
        for (const sel of selectorsOf(p)) this.ref(sel);
        break;
      }
      case "Profile": {
        const p = compileProfile(r);
        this.profiles.set(p.name, p);
        for (const sel of selectorsOf(p)) this.ref(sel);
        this.refreshEndpoints(() => true);
        this.planEpoch = ++this.tick;
        break;
      }
      case "Tier":
        this.planEpoch = ++this.tick;
        this.tiers.set(r.metadata.name, {
          name: r.metadata.name,
          order: r.spec.order,
          defaultAction: r.spec.defaultAction ?? "Deny",
        });
        break;
      case "Namespace":
        this.nsLabels.set(r.metadata.name, r.metadata.labels ?? {});
        this.refreshEndpoints((ns) => ns === r.metadata.name);
        break;
      case "ServiceAccount":
        this.saLabels.set(
          `${r.metadata.namespace ?? "default"}/${r.metadata.name}`,
          r.metadata.labels ?? {},
        );
        this.refreshEndpoints((ns) => ns === (r.metadata.namespace ?? "default"));
        break;
      case "WorkloadEndpoint":
      case "HostEndpoint":
        this.setEndpoint(r);
        break;
      case "NetworkSet":
      case "GlobalNetworkSet":
        this.setNetworkSet(r);
        break;
    }
  }

  private withdraw(r: Resource, replacing: boolean, policyKey: string | undefined): void {
    switch (r.kind) {
      case "NetworkPolicy":
      case "GlobalNetworkPolicy": {
        if (r.apiVersion !== "projectcalico.org/v3" || policyKey === undefined) break;
        const key = policyKey;
        const p = this.policies.get(key);
        if (!p) break;
        this.policies.delete(key);
        this.touchPlans(p.selector.id);
        this.policiesBySelector.get(p.selector.id)?.delete(key);
        if (this.policiesBySelector.get(p.selector.id)?.size === 0)
          this.policiesBySelector.delete(p.selector.id);
        this.unref(p.selector);
        for (const sel of selectorsOf(p)) this.unref(sel);
        break;
      }
      case "Profile": {
        const p = this.profiles.get(r.metadata.name);
        if (!p) break;
        this.profiles.delete(p.name);
        for (const sel of selectorsOf(p)) this.unref(sel);
        if (!replacing) this.refreshEndpoints(() => true);
        this.planEpoch = ++this.tick;
        break;
      }
      case "Tier":
        this.planEpoch = ++this.tick;
        this.tiers.delete(r.metadata.name);
        break;
      case "Namespace":
        this.nsLabels.delete(r.metadata.name);
        if (!replacing) this.refreshEndpoints((ns) => ns === r.metadata.name);
        break;
      case "ServiceAccount":
        this.saLabels.delete(`${r.metadata.namespace ?? "default"}/${r.metadata.name}`);
        if (!replacing) this.refreshEndpoints((ns) => ns === (r.metadata.namespace ?? "default"));
        break;
      case "WorkloadEndpoint":
      case "HostEndpoint": {
        const key =
          r.kind === "WorkloadEndpoint"
            ? `wep:${r.metadata.namespace}/${r.metadata.name}`
            : `hep:${r.metadata.name}`;
        const ep = this.eps.get(key);
        if (!ep) break;
        for (const c of ep.nets)
          if (this.epByIp.get(ipKey({ family: c.family, value: c.start })) === key)
            this.epByIp.delete(ipKey({ family: c.family, value: c.start }));
        this.eps.delete(key);
        this.touchItem(key);
        if (!replacing) this.index.deleteLabels(key);
        break;
      }
      case "NetworkSet":
      case "GlobalNetworkSet": {
        const key = netsetKey(r.kind, r.metadata.name, r.metadata.namespace);
        this.sets.delete(key);
        this.touchItem(key);
        if (!replacing) this.index.deleteLabels(key);
        break;
      }
    }
  }

  private setEndpoint(r: Resource & { kind: "WorkloadEndpoint" | "HostEndpoint" }): void {
    const ns = r.kind === "WorkloadEndpoint" ? r.metadata.namespace : undefined;
    const key =
      r.kind === "WorkloadEndpoint" ? `wep:${ns}/${r.metadata.name}` : `hep:${r.metadata.name}`;
    const sa = r.kind === "WorkloadEndpoint" ? r.spec.serviceAccountName : undefined;
    const profiles =
      r.spec.profiles ??
      (ns !== undefined ? [`kns.${ns}`, ...(sa ? [`ksa.${ns}.${sa}`] : [])] : []);
    const profileLabels: Record<string, string> = {};
    for (const p of profiles)
      Object.assign(profileLabels, this.profiles.get(p)?.labelsToApply ?? {});
    const nets = (r.kind === "WorkloadEndpoint" ? r.spec.ipNetworks : r.spec.expectedIPs) ?? [];
    const ep: EndpointInfo = {
      key,
      kind: r.kind === "WorkloadEndpoint" ? "workload" : "host",
      name: r.metadata.name,
      namespace: ns,
      interfaceName: r.spec.interfaceName,
      nets: nets.map(parseCidr),
      labels: itemLabels({
        own: r.metadata.labels,
        namespace: ns,
        namespaceLabels: ns === undefined ? undefined : this.nsLabels.get(ns),
        serviceAccount: sa,
        serviceAccountLabels: sa ? this.saLabels.get(`${ns}/${sa}`) : undefined,
        profileLabels,
      }),
      ports: (r.spec.ports ?? []).map((p) => ({
        name: p.name,
        // @tortie/api refuses unknown protocols when the resource is loaded.
        protocol: protocolNumber(p.protocol)!,
        port: p.port,
      })),
      profiles,
    };
    this.eps.set(key, ep);
    for (const c of ep.nets) this.epByIp.set(ipKey({ family: c.family, value: c.start }), key);
    this.touchItem(key);
    this.index.updateLabels(key, ep.labels);
  }

  private setNetworkSet(r: Resource & { kind: "NetworkSet" | "GlobalNetworkSet" }): void {
    const ns = r.kind === "NetworkSet" ? r.metadata.namespace : undefined;
    const key = netsetKey(r.kind, r.metadata.name, ns);
    const info: NetworkSetInfo = {
      key,
      namespace: ns,
      labels: itemLabels({
        own: r.metadata.labels,
        namespace: ns,
        namespaceLabels: ns === undefined ? undefined : this.nsLabels.get(ns),
      }),
      nets: (r.spec.nets ?? []).map(parseCidr),
    };
    this.sets.set(key, info);
    this.touchItem(key);
    this.index.updateLabels(key, info.labels);
  }

  private refreshEndpoints(nsMatch: (ns: string | undefined) => boolean): void {
    for (const r of this.resources.values()) {
      if (
        (r.kind === "WorkloadEndpoint" || r.kind === "HostEndpoint") &&
        nsMatch(r.metadata.namespace)
      ) {
        this.setEndpoint(r);
      }
      if (
        (r.kind === "NetworkSet" || r.kind === "GlobalNetworkSet") &&
        nsMatch(r.metadata.namespace)
      ) {
        this.setNetworkSet(r);
      }
    }
  }

  private ref(sel: Selector): void {
    const e = this.selectors.get(sel.id);
    if (e) e.refs++;
    else {
      this.selectors.set(sel.id, { sel, refs: 1 });
      this.index.updateSelector(sel.id, sel);
    }
  }

  private unref(sel: Selector): void {
    const e = this.selectors.get(sel.id);
    if (!e) return;
    if (--e.refs === 0) {
      this.selectors.delete(sel.id);
      this.index.deleteSelector(sel.id);
    }
  }

  // ---- queries ----

  /** Every endpoint. */
  endpoints(): IterableIterator<EndpointInfo> {
    return this.eps.values();
  }
  /** One endpoint by key. */
  endpoint(key: string): EndpointInfo | undefined {
    return this.eps.get(key);
  }
  /** Every network set. */
  networkSets(): IterableIterator<NetworkSetInfo> {
    return this.sets.values();
  }
  /** A network set by key. */
  networkSet(key: string): NetworkSetInfo | undefined {
    return this.sets.get(key);
  }
  /** Every compiled policy. */
  allPolicies(): IterableIterator<CompiledPolicy> {
    return this.policies.values();
  }
  /** A compiled profile by name (`kns.*` and `ksa.*` profiles exist implicitly and allow all). */
  profile(name: string): CompiledProfile | undefined {
    const p = this.profiles.get(name);
    if (p) return p;
    if (name.startsWith("kns.") || name.startsWith("ksa.")) return implicitProfile(name);
    return undefined;
  }
  /** A tier (the `default` tier exists implicitly). */
  tier(name: string): TierInfo {
    return (
      this.tiers.get(name) ?? {
        name,
        order: name === "default" ? DEFAULT_TIER_ORDER : undefined,
        defaultAction: "Deny",
      }
    );
  }

  /** The host endpoint on an interface, if any. */
  hostEndpointByInterface(name: string): EndpointInfo | undefined {
    for (const ep of this.eps.values())
      if (ep.kind === "host" && ep.interfaceName === name) return ep;
    return undefined;
  }

  /** The endpoint owning an address, if any. */
  endpointByIp(ip: Ip): EndpointInfo | undefined {
    const k = this.epByIp.get(ipKey(ip));
    return k === undefined ? undefined : this.eps.get(k);
  }

  /** True when `ip` belongs to an endpoint or a network set the (registered) selector matches. */
  selectorMatchesIp(sel: Selector, ip: Ip): boolean {
    const ep = this.endpointByIp(ip);
    if (ep && this.index.selectorsMatching(ep.key).has(sel.id)) return true;
    for (const ns of this.sets.values()) {
      if (
        ns.nets.some((c) => cidrContains(c, ip)) &&
        this.index.selectorsMatching(ns.key).has(sel.id)
      ) {
        return true;
      }
    }
    return false;
  }

  /** The tiers and policies applying to an endpoint in one direction and stage, in evaluation order. */
  plan(ep: EndpointInfo, dir: Direction, stage: Stage = "normal", forwardOnly = false): TierPlan {
    const ck = `${ep.key}|${dir}|${stage}|${forwardOnly}`;
    const version = this.planVersion(ep.key);
    const hit = this.planCache.get(ck);
    if (hit && hit.version === version) return hit.plan;
    const plan = this.computePlan(ep, dir, stage, forwardOnly);
    this.planCache.set(ck, { version, plan });
    return plan;
  }

  private computePlan(
    ep: EndpointInfo,
    dir: Direction,
    stage: Stage,
    forwardOnly: boolean,
  ): TierPlan {
    const byTier = new Map<string, CompiledPolicy[]>();
    for (const selId of this.index.selectorsMatching(ep.key)) {
      for (const pk of this.policiesBySelector.get(selId) ?? []) {
        const p = this.policies.get(pk)!;
        if (!p.types.has(dir) || p.stage !== stage) continue;
        if (forwardOnly && !p.applyOnForward) continue;
        if (ep.kind === "workload" && stage !== "normal") continue;
        let l = byTier.get(p.tier);
        if (!l) {
          l = [];
          byTier.set(p.tier, l);
        }
        l.push(p);
      }
    }
    return [...byTier.entries()]
      .map(([t, ps]) => ({ tier: this.tier(t), policies: ps.sort(comparePolicies) }))
      .sort((a, b) => compareTiers(a.tier, b.tier));
  }

  /** True when `ip:port` is the named port `name` (protocol `proto`) of an endpoint in `scope`. */
  namedPortMatches(scope: Selector, name: string, proto: number, ip: Ip, port: number): boolean {
    const ep = this.endpointByIp(ip);
    if (!ep || !this.index.selectorsMatching(ep.key).has(scope.id)) return false;
    return ep.ports.some((p) => p.name === name && p.protocol === proto && p.port === port);
  }
}

/** Tier order: ascending order (absent = last), then name. */
export function compareTiers(a: TierInfo, b: TierInfo): number {
  const oa = a.order ?? Number.POSITIVE_INFINITY;
  const ob = b.order ?? Number.POSITIVE_INFINITY;
  if (oa !== ob) return oa < ob ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Resource-key kind of Kubernetes NetworkPolicies (apart from Calico's NetworkPolicy). */
const K8S_NP = "networking.k8s.io/v1 NetworkPolicy";

function resKey(kind: string, name: string, ns: string | undefined): string {
  return `${kind}:${ns ?? ""}/${name}`;
}
function netsetKey(kind: string, name: string, ns: string | undefined): string {
  return kind === "NetworkSet" ? `netset:${ns}/${name}` : `gnetset:${name}`;
}

const implicitCache = new Map<string, CompiledProfile>();
/** Calico's per-namespace (`kns.<ns>`) and per-service-account (`ksa.<ns>.<sa>`) profiles allow all. */
function implicitProfile(name: string): CompiledProfile {
  let p = implicitCache.get(name);
  if (!p) {
    p = compileProfile({
      metadata: { name },
      spec: name.startsWith("kns.")
        ? { ingress: [{ action: "Allow" }], egress: [{ action: "Allow" }] }
        : {},
    });
    implicitCache.set(name, p);
  }
  return p;
}
