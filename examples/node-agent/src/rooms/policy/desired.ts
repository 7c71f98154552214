// Felix's policy role as a pure function: the snapshot → the resources the
// policy engine needs on this node. Policies, tiers and network sets are
// global; every workload endpoint is included (rule selectors resolve to the
// addresses of endpoints on any node), but only this node's host endpoints
// (a host endpoint is dispatched by its interface name, and another node's
// "eth0" is not ours).
//
// Endpoints written by the CNI plugin carry no profiles; as Calico does for
// Kubernetes namespaces, each endpoint gets the profile `kns.<namespace>`,
// which allows everything: without a policy selecting it, a pod is open;
// policies (tiers) decide before the profile.
import type { Snapshot } from "../../snapshot/snapshot.js";

/** Resources for @tortie/policy's engine, by a stable key (kind/namespace/name). */
export function policyResources(s: Snapshot, nodeName: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const plain = (kind: string, r: { metadata: { name: string; namespace?: string } }) =>
    out.set(`${kind}/${r.metadata.namespace ?? ""}/${r.metadata.name}`, stripVersion(r));
  for (const r of s.resources.Tier.values()) plain("Tier", r);
  for (const r of s.resources.GlobalNetworkPolicy.values()) plain("GlobalNetworkPolicy", r);
  for (const r of s.resources.NetworkPolicy.values()) plain("NetworkPolicy", r);
  for (const r of s.resources.GlobalNetworkSet.values()) plain("GlobalNetworkSet", r);
  for (const r of s.resources.NetworkSet.values()) plain("NetworkSet", r);
  for (const r of s.resources.HostEndpoint.values())
    if (r.spec.node === nodeName) plain("HostEndpoint", r);
  const namespaces = new Set<string>();
  for (const w of s.workloadEndpoints.values()) {
    const namespace = w.namespace ?? "default";
    namespaces.add(namespace);
    const name = w.name.toLowerCase().replace(/[^a-z0-9.-]/g, "-");
    out.set(`WorkloadEndpoint/${namespace}/${name}`, {
      apiVersion: "projectcalico.org/v3",
      kind: "WorkloadEndpoint",
      metadata: { name, namespace, labels: { ...w.labels } },
      spec: {
        node: w.node,
        interfaceName: w.interfaceName,
        ipNetworks: [...w.ipNetworks],
        profiles: [`kns.${namespace}`],
      },
    });
  }
  for (const ns of [...namespaces].sort())
    out.set(`Profile//kns.${ns}`, {
      apiVersion: "projectcalico.org/v3",
      kind: "Profile",
      metadata: { name: `kns.${ns}` },
      spec: { ingress: [{ action: "Allow" }], egress: [{ action: "Allow" }] },
    });
  return out;
}

function stripVersion(r: { metadata: object }): unknown {
  const { resourceVersion: _rv, ...metadata } = r.metadata as Record<string, unknown>;
  return { ...r, metadata };
}
