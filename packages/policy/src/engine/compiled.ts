// Policies and profiles compiled for evaluation and rendering: selectors
// parsed and scoped (namespace, service accounts), nets parsed, ports
// parsed, protocols numbered, rule types defaulted.
import { defaultPolicyTypes } from "@tortie/api";
import { parseSelector, Selector as Sel, type Selector, type SelectorNode } from "@tortie/selector";
import { type Cidr, parseCidr } from "../model/cidr.js";
import { type PortSpec, parsePort } from "../model/ports.js";
import { protocolNumber } from "../model/protocol.js";
import type { Action, EntityRule, PolicySpec, Rule } from "../model/resources.js";
import {
  inNamespace,
  joinAll,
  namespaceScope,
  SERVICE_ACCOUNT_LABEL,
  serviceAccountScope,
} from "./labels.js";

/** Traffic direction relative to an endpoint. */
export type Direction = "ingress" | "egress";

/** A compiled rule side (source or destination). */
export interface CompiledSide {
  readonly nets: readonly Cidr[];
  readonly notNets: readonly Cidr[];
  /** Positive selector with namespace and service-account scoping folded in. */
  readonly selector: Selector | undefined;
  readonly notSelector: Selector | undefined;
  readonly ports: readonly PortSpec[];
  readonly notPorts: readonly PortSpec[];
  /** Endpoints whose named ports count for this side. */
  readonly namedPortScope: Selector;
}

/** A compiled rule. */
export interface CompiledRule {
  readonly index: number;
  readonly action: Action;
  readonly ipVersion: 4 | 6 | undefined;
  readonly protocol: number | undefined;
  readonly notProtocol: number | undefined;
  readonly icmp: { readonly type?: number; readonly code?: number } | undefined;
  readonly notICMP: { readonly type?: number; readonly code?: number } | undefined;
  readonly source: CompiledSide;
  readonly destination: CompiledSide;
  /** The rule as written, for traces. */
  readonly raw: Rule;
}

/** Which stage of a host endpoint's processing a policy belongs to. */
export type Stage = "normal" | "untracked" | "preDNAT";

/** A compiled policy. */
export interface CompiledPolicy {
  /** Unique key: `np:<ns>/<name>` or `gnp:<name>`. */
  readonly key: string;
  /** Display name: `<ns>/<name>` or `<name>`. */
  readonly name: string;
  readonly namespace: string | undefined;
  readonly tier: string;
  /** Order (undefined = after every ordered policy). */
  readonly order: number | undefined;
  /** Which endpoints it applies to (scoped). */
  readonly selector: Selector;
  readonly types: ReadonlySet<Direction>;
  readonly ingress: readonly CompiledRule[];
  readonly egress: readonly CompiledRule[];
  readonly stage: Stage;
  readonly applyOnForward: boolean;
}

/** A compiled profile. */
export interface CompiledProfile {
  readonly name: string;
  readonly ingress: readonly CompiledRule[];
  readonly egress: readonly CompiledRule[];
  readonly labelsToApply: Readonly<Record<string, string>>;
}

const ALL: SelectorNode = { kind: "all" };

/**
 * Compiles a rule side as Calico's `GetEntityRuleSelector` does
 * (libcalico-go `updateprocessors/rules.go`): in a namespaced policy, as
 * soon as any selector field is used — `selector`, `serviceAccounts`, or
 * `notSelector` alone — the side is limited to the policy's namespace
 * (unless a `namespaceSelector` chooses namespaces). An empty selector
 * string counts as absent.
 */
function compileSide(side: EntityRule | undefined, ns: string | undefined): CompiledSide {
  const s = side ?? {};
  const sel = s.selector === "" ? undefined : s.selector;
  const notSel = s.notSelector === "" ? undefined : s.notSelector;
  const nsSel = s.namespaceSelector === "" ? undefined : s.namespaceSelector;
  const parts: SelectorNode[] = [];
  if (sel !== undefined) parts.push(parseSelector(sel).ast);
  if (nsSel !== undefined) parts.push(namespaceScope(parseSelector(nsSel)));
  else if (
    ns !== undefined &&
    (sel !== undefined || notSel !== undefined || s.serviceAccounts !== undefined)
  ) {
    parts.push(inNamespace(ns));
  }
  if (s.serviceAccounts?.names?.length) {
    parts.push({
      kind: "in",
      key: SERVICE_ACCOUNT_LABEL,
      values: [...new Set(s.serviceAccounts.names)].sort(),
    });
  }
  if (s.serviceAccounts?.selector !== undefined) {
    parts.push(serviceAccountScope(parseSelector(s.serviceAccounts.selector)));
  }
  const selector = joinAll(parts);
  return {
    nets: (s.nets ?? []).map(parseCidr),
    notNets: (s.notNets ?? []).map(parseCidr),
    selector,
    notSelector: notSel === undefined ? undefined : parseSelector(notSel),
    ports: (s.ports ?? []).map(parsePort),
    notPorts: (s.notPorts ?? []).map(parsePort),
    // Calico's rule scanner resolves named ports over the side's selector,
    // or over every endpoint (selector.All) when there is none — whatever
    // the policy's namespace.
    namedPortScope: selector ?? Sel.fromAst(ALL),
  };
}

/** Compiles one rule of a policy (or profile) in namespace `ns` (undefined = global). */
export function compileRule(rule: Rule, index: number, ns: string | undefined): CompiledRule {
  return {
    index,
    action: rule.action,
    ipVersion: rule.ipVersion,
    protocol: rule.protocol === undefined ? undefined : protocolNumber(rule.protocol),
    notProtocol: rule.notProtocol === undefined ? undefined : protocolNumber(rule.notProtocol),
    icmp: rule.icmp,
    notICMP: rule.notICMP,
    source: compileSide(rule.source, ns),
    destination: compileSide(rule.destination, ns),
    raw: rule,
  };
}

/** Calico's default for `types` when a policy leaves it out or leaves it empty. */
export function defaultTypes(spec: {
  types?: readonly ("Ingress" | "Egress")[] | undefined;
  ingress?: readonly unknown[] | undefined;
  egress?: readonly unknown[] | undefined;
}): Direction[] {
  return defaultPolicyTypes(spec).map((t) => (t === "Ingress" ? "ingress" : "egress"));
}

/**
 * Compiles a (validated) NetworkPolicy or GlobalNetworkPolicy. `key`
 * overrides the unique key (`knp:<ns>/<name>` for converted Kubernetes
 * policies, so they never collide with Calico ones).
 */
export function compilePolicy(
  p: {
    kind: "NetworkPolicy" | "GlobalNetworkPolicy";
    metadata: { name: string; namespace?: string | undefined };
    spec: PolicySpec;
  },
  key?: string,
): CompiledPolicy {
  const ns = p.kind === "NetworkPolicy" ? p.metadata.namespace : undefined;
  const spec = p.spec;
  const parts: SelectorNode[] = [parseSelector(spec.selector ?? "").ast];
  if (ns !== undefined) parts.push(inNamespace(ns));
  if (spec.namespaceSelector !== undefined)
    parts.push(namespaceScope(parseSelector(spec.namespaceSelector)));
  if (spec.serviceAccountSelector !== undefined) {
    parts.push(serviceAccountScope(parseSelector(spec.serviceAccountSelector)));
  }
  return {
    key: key ?? (ns === undefined ? `gnp:${p.metadata.name}` : `np:${ns}/${p.metadata.name}`),
    name: ns === undefined ? p.metadata.name : `${ns}/${p.metadata.name}`,
    namespace: ns,
    tier: spec.tier ?? "default",
    order: spec.order,
    selector: joinAll(parts)!,
    types: new Set(defaultTypes(spec)),
    ingress: (spec.ingress ?? []).map((r, i) => compileRule(r, i, ns)),
    egress: (spec.egress ?? []).map((r, i) => compileRule(r, i, ns)),
    stage: spec.doNotTrack ? "untracked" : spec.preDNAT ? "preDNAT" : "normal",
    applyOnForward: spec.applyOnForward ?? false,
  };
}

/** Compiles a profile's rules (global scope, as Calico profiles are). */
export function compileProfile(p: {
  metadata: { name: string };
  spec: {
    ingress?: Rule[] | undefined;
    egress?: Rule[] | undefined;
    labelsToApply?: Record<string, string> | undefined;
  };
}): CompiledProfile {
  return {
    name: p.metadata.name,
    ingress: (p.spec.ingress ?? []).map((r, i) => compileRule(r, i, undefined)),
    egress: (p.spec.egress ?? []).map((r, i) => compileRule(r, i, undefined)),
    labelsToApply: p.spec.labelsToApply ?? {},
  };
}

/** Sort key of a policy inside its tier: order (absent = last), then name. */
export function comparePolicies(a: CompiledPolicy, b: CompiledPolicy): number {
  const oa = a.order ?? Number.POSITIVE_INFINITY;
  const ob = b.order ?? Number.POSITIVE_INFINITY;
  if (oa !== ob) return oa < ob ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
