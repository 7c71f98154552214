// The labels Calico gives endpoints and network sets beyond their own, so
// that namespace and service-account selectors become ordinary selectors
// (libcalico-go `lib/backend/k8s/conversion` and felix calc graph):
//   projectcalico.org/namespace       the resource's namespace
//   projectcalico.org/serviceaccount  the pod's service account
//   pcns.<key>                        each label of the namespace (+ pcns.projectcalico.org/name)
//   pcsa.<key>                        each label of the service account (+ pcsa.projectcalico.org/name)
import {
  and,
  NAMESPACE_LABEL,
  Selector as Sel,
  type Selector,
  type SelectorNode,
} from "@tortie/selector";

/** Label carrying an endpoint's service account name. */
export const SERVICE_ACCOUNT_LABEL = "projectcalico.org/serviceaccount";
/** Label Calico gives each namespace (and service account) with its own name. */
export const NAME_LABEL = "projectcalico.org/name";
/** Prefix of namespace labels copied onto endpoints. */
export const NS_PREFIX = "pcns.";
/** Prefix of service-account labels copied onto endpoints. */
export const SA_PREFIX = "pcsa.";

/** Labels of a namespaced item (endpoint or network set), merged as Calico does. */
export function itemLabels(opts: {
  own?: Readonly<Record<string, string>> | undefined;
  namespace?: string | undefined;
  namespaceLabels?: Readonly<Record<string, string>> | undefined;
  serviceAccount?: string | undefined;
  serviceAccountLabels?: Readonly<Record<string, string>> | undefined;
  profileLabels?: Readonly<Record<string, string>> | undefined;
}): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of Object.entries(opts.profileLabels ?? {})) m.set(k, v);
  for (const [k, v] of Object.entries(opts.own ?? {})) m.set(k, v);
  if (opts.namespace !== undefined) {
    m.set(NAMESPACE_LABEL, opts.namespace);
    m.set(`${NS_PREFIX}${NAME_LABEL}`, opts.namespace);
    for (const [k, v] of Object.entries(opts.namespaceLabels ?? {})) m.set(NS_PREFIX + k, v);
  }
  if (opts.serviceAccount !== undefined) {
    m.set(SERVICE_ACCOUNT_LABEL, opts.serviceAccount);
    m.set(`${SA_PREFIX}${NAME_LABEL}`, opts.serviceAccount);
    for (const [k, v] of Object.entries(opts.serviceAccountLabels ?? {})) m.set(SA_PREFIX + k, v);
  }
  return m;
}

/** `projectcalico.org/namespace == "ns"`. */
export function inNamespace(ns: string): SelectorNode {
  return { kind: "eq", key: NAMESPACE_LABEL, value: ns };
}

/**
 * A namespaceSelector as a selector over endpoint labels (keys get `pcns.`).
 * As Calico does (libcalico-go `updateprocessors/rules.go`), `all()` means
 * "every namespace", i.e. `has(projectcalico.org/namespace)` — not host
 * endpoints or global network sets; `global()` keeps meaning "outside any
 * namespace".
 */
export function namespaceScope(nsSelector: Selector): SelectorNode {
  return allToNamespaced(nsSelector.mapKeys((k) => NS_PREFIX + k).ast);
}

function allToNamespaced(n: SelectorNode): SelectorNode {
  switch (n.kind) {
    case "all":
      return { kind: "has", key: NAMESPACE_LABEL };
    case "not":
      return { kind: "not", operand: allToNamespaced(n.operand) };
    case "and":
    case "or":
      return { kind: n.kind, operands: n.operands.map(allToNamespaced) };
    default:
      return n;
  }
}

/** A serviceAccountSelector as a selector over endpoint labels (keys get `pcsa.`). */
export function serviceAccountScope(saSelector: Selector): SelectorNode {
  return saSelector.mapKeys((k) => SA_PREFIX + k).ast;
}

/** Joins parts with `&&`; none gives undefined (no constraint). */
export function joinAll(parts: SelectorNode[]): Selector | undefined {
  return parts.length ? Sel.fromAst(and(...parts)) : undefined;
}
