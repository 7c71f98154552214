// Kubernetes NetworkPolicy → Calico NetworkPolicy, as Calico's converter does
// (libcalico-go `lib/backend/k8s/conversion/conversion.go`):
// - name `knp.default.<name>`, same namespace, tier `default`, order 1000;
// - selector from podSelector (an empty podSelector selects every pod of the namespace);
// - types: policyTypes if given, else Ingress, plus Egress when egress rules exist;
// - one Calico rule per (peer × protocol) of each k8s rule; no peers = any
//   source; no ports = any port; protocol defaults to TCP;
// - podSelector → selector (same namespace), namespaceSelector → namespaceSelector
//   (an empty one = all namespaces), ipBlock → nets/notNets (except);
// - named ports stay names; endPort makes the range "port:endPort".
// Kubernetes semantics: https://kubernetes.io/docs/concepts/services-networking/network-policies/
import { defaultK8sPolicyTypes, type kubernetesSchemas } from "@tortie/api";
import { fromLabelSelector, type LabelSelector } from "@tortie/selector";
import type { z } from "zod";
import { PolicyValidationError } from "./errors.js";
import type { EntityRule, NetworkPolicy, Rule } from "./resources.js";

/** A Kubernetes NetworkPolicy as written (before or after the API server's defaults). */
type K8sNetworkPolicy = z.input<typeof kubernetesSchemas.NetworkPolicy>;

/** The order Calico gives converted Kubernetes policies. */
export const K8S_POLICY_ORDER = 1000;

type K8sSpec = NonNullable<K8sNetworkPolicy["spec"]>;
type K8sPeer = NonNullable<NonNullable<K8sSpec["ingress"]>[number]["from"]>[number];
type K8sPort = NonNullable<NonNullable<K8sSpec["ingress"]>[number]["ports"]>[number];

function selectorText(ls: unknown, path: string, what: string): string {
  try {
    return fromLabelSelector(ls as LabelSelector).text;
  } catch (e) {
    const p = (e as { path?: string }).path;
    throw new PolicyValidationError(what, [
      { path: p ? `${path}.${p}` : path, message: (e as Error).message },
    ]);
  }
}

function peerSide(peer: K8sPeer, path: string, what: string): EntityRule {
  if (peer.ipBlock) {
    if (peer.podSelector !== undefined || peer.namespaceSelector !== undefined) {
      throw new PolicyValidationError(what, [
        { path, message: "ipBlock cannot be combined with selectors" },
      ]);
    }
    return {
      nets: [peer.ipBlock.cidr],
      ...(peer.ipBlock.except?.length ? { notNets: [...peer.ipBlock.except] } : {}),
    };
  }
  const side: { selector?: string; namespaceSelector?: string } = {};
  if (peer.podSelector !== undefined)
    side.selector = selectorText(peer.podSelector, `${path}.podSelector`, what);
  if (peer.namespaceSelector !== undefined) {
    side.namespaceSelector = selectorText(
      peer.namespaceSelector,
      `${path}.namespaceSelector`,
      what,
    );
  }
  if (side.selector === undefined && side.namespaceSelector === undefined) {
    throw new PolicyValidationError(what, [
      { path, message: "a peer needs podSelector, namespaceSelector or ipBlock" },
    ]);
  }
  return side;
}

/** Groups ports by protocol (TCP first), as Calico makes one rule per protocol. */
function portsByProtocol(ports: readonly K8sPort[] | undefined, path: string, what: string) {
  const groups = new Map<string, (number | string)[] | undefined>();
  (ports ?? []).forEach((p, i) => {
    const proto = p.protocol ?? "TCP";
    if (p.port === undefined) {
      groups.set(proto, undefined); // any port of this protocol
      return;
    }
    let value: number | string = p.port;
    if (p.endPort !== undefined) {
      if (typeof p.port !== "number" || p.endPort < p.port) {
        throw new PolicyValidationError(what, [
          { path: `${path}[${i}].endPort`, message: "endPort needs a numeric port not above it" },
        ]);
      }
      value = `${p.port}:${p.endPort}`;
    }
    if (groups.has(proto) && groups.get(proto) === undefined) return;
    groups.set(proto, [...(groups.get(proto) ?? []), value]);
  });
  return groups;
}

function convertRules(
  rules: readonly { peers?: readonly K8sPeer[]; ports?: readonly K8sPort[] }[],
  dir: "ingress" | "egress",
  what: string,
): Rule[] {
  const out: Rule[] = [];
  rules.forEach((r, i) => {
    const path = `spec.${dir}[${i}]`;
    const peerField = dir === "ingress" ? "from" : "to";
    const peers: (EntityRule | undefined)[] = r.peers?.length
      ? r.peers.map((p, j) => peerSide(p, `${path}.${peerField}[${j}]`, what))
      : [undefined];
    const groups = portsByProtocol(r.ports, `${path}.ports`, what);
    const protos: [string | undefined, (number | string)[] | undefined][] =
      groups.size > 0 ? [...groups.entries()] : [[undefined, undefined]];
    for (const peer of peers) {
      for (const [protocol, ports] of protos) {
        const portSide: EntityRule = ports ? { ports } : {};
        const rule: Rule = { action: "Allow" };
        if (protocol) rule.protocol = protocol;
        if (dir === "ingress") {
          if (peer) rule.source = peer;
          if (ports) rule.destination = portSide;
        } else {
          const dst = { ...(peer ?? {}), ...portSide };
          if (Object.keys(dst).length) rule.destination = dst;
        }
        out.push(rule);
      }
    }
  });
  return out;
}

/** Converts a Kubernetes NetworkPolicy into the Calico NetworkPolicy Calico would make of it. */
export function convertK8sNetworkPolicy(np: K8sNetworkPolicy): NetworkPolicy {
  const what = `NetworkPolicy ${np.metadata.namespace ?? "default"}/${np.metadata.name}`;
  const spec: K8sSpec = np.spec ?? {};
  // policyTypes absent or empty: Ingress, plus Egress with egress rules (Kubernetes' default).
  const types = defaultK8sPolicyTypes(spec);
  const ingress = convertRules(
    (spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports })),
    "ingress",
    what,
  );
  const egress = convertRules(
    (spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports })),
    "egress",
    what,
  );
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "NetworkPolicy",
    metadata: {
      name: `knp.default.${np.metadata.name}`,
      namespace: np.metadata.namespace ?? "default",
    },
    spec: {
      tier: "default",
      order: K8S_POLICY_ORDER,
      selector: selectorText(spec.podSelector ?? {}, "spec.podSelector", what),
      types: [...types],
      ...(types.includes("Ingress") ? { ingress } : {}),
      ...(types.includes("Egress") ? { egress } : {}),
    },
  };
}
