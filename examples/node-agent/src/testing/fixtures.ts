// Test support (not exported): snapshots built from resources the way the
// agent builds them (Calico keys, JSON values, the same validation).
import { type CalicoKind, calicoKinds, workloadEndpointName } from "@tortie/api";
import { AFFINITY_PREFIX, RESOURCES_PREFIX, SnapshotBuilder } from "../snapshot/snapshot.js";

/** A Calico resource as users write it. */
export function res(kind: CalicoKind, name: string, spec: object, labels?: Record<string, string>) {
  return {
    apiVersion: "projectcalico.org/v3",
    kind,
    metadata: { name, ...(labels ? { labels } : {}) },
    spec,
  };
}

/** The key the ResourceClient stores a (non-namespaced) resource at. */
export function keyOf(r: { kind: string; metadata: { name: string; namespace?: string } }): string {
  const info = calicoKinds[r.kind as CalicoKind];
  const ns = info.namespaced ? `${r.metadata.namespace ?? "default"}/` : "";
  return `${RESOURCES_PREFIX}${info.plural}/${ns}${r.metadata.name}`;
}

/** A node resource. */
export function node(
  name: string,
  ip: string,
  extra: { asn?: number; labels?: Record<string, string>; rr?: string } = {},
) {
  return res(
    "Node",
    name,
    {
      bgp: {
        ipv4Address: `${ip}/24`,
        ...(extra.asn ? { asNumber: extra.asn } : {}),
        ...(extra.rr ? { routeReflectorClusterID: extra.rr } : {}),
      },
    },
    extra.labels,
  );
}

/** A WorkloadEndpoint resource as the CNI plugin writes it (namespace "default"). */
export function wep(nodeName: string, id: string, ips: string[], iface = `cali${id}`) {
  const r = {
    apiVersion: "projectcalico.org/v3",
    kind: "WorkloadEndpoint",
    metadata: {
      name: workloadEndpointName({
        node: nodeName,
        orchestrator: "k8s",
        workload: id,
        endpoint: "eth0",
      }),
      namespace: "default",
      labels: {},
    },
    spec: {
      node: nodeName,
      orchestrator: "k8s",
      workload: id,
      pod: id,
      endpoint: "eth0",
      interfaceName: iface,
      ipNetworks: ips,
    },
  };
  return { key: keyOf(r), value: JSON.stringify(r) };
}

/** A confirmed block affinity as @tortie/ipam writes it. */
export function affinity(host: string, cidr: string, state: "pending" | "confirmed" = "confirmed") {
  return {
    key: `${AFFINITY_PREFIX}${host}/${cidr.replace(/[.:/]/g, "-")}`,
    value: JSON.stringify({ host, cidr, state }),
  };
}

/** A builder holding the given resources and raw key-values. */
export function builderWith(
  resources: readonly ReturnType<typeof res>[],
  raw: readonly { key: string; value: string }[] = [],
): SnapshotBuilder {
  const b = new SnapshotBuilder();
  b.apply([
    ...resources.map((r) => ({ type: "put" as const, key: keyOf(r), value: JSON.stringify(r) })),
    ...raw.map((kv) => ({ type: "put" as const, ...kv })),
  ]);
  return b;
}
