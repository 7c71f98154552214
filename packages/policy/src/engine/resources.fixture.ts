// Resource builders shared by the engine's unit tests: plain objects as a
// user's YAML would hold them, so the tests go through the same validation.

/** A Kubernetes Namespace. */
export const ns = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name, labels },
});

/** A pod as a Calico WorkloadEndpoint with one /32; `extra` adds spec fields (ports…). */
export const pod = (
  namespace: string,
  name: string,
  ip: string,
  labels: Record<string, string>,
  extra: Record<string, unknown> = {},
) => ({
  apiVersion: "projectcalico.org/v3",
  kind: "WorkloadEndpoint",
  metadata: { name, namespace, labels },
  spec: { ipNetworks: [`${ip}/32`], interfaceName: `cali-${name}`, ...extra },
});

/** A Kubernetes NetworkPolicy. */
export const knp = (namespace: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name, namespace },
  spec,
});

/** A Calico NetworkPolicy (with a namespace) or GlobalNetworkPolicy. */
export const cnp = (
  kind: "NetworkPolicy" | "GlobalNetworkPolicy",
  name: string,
  spec: Record<string, unknown>,
  namespace?: string,
) => ({
  apiVersion: "projectcalico.org/v3",
  kind,
  metadata: namespace ? { name, namespace } : { name },
  spec,
});
