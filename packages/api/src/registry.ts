// Every kind Tortie reads, in one table: apiVersion, kind, its schema, whether
// it is namespaced, and its plural (the key segment Calico's etcd layout
// uses: /calico/resources/v3/projectcalico.org/<plural>[/<namespace>]/<name>).
// Lookups go through a Map, so kinds named `toString` or `__proto__` are
// simply unknown.
import { z } from "zod";
import { bgpConfigurationSpec, bgpFilterSpec, bgpPeerSpec, nodeSpec } from "./kinds/bgp.js";
import {
  clusterInformationSpec,
  felixConfigurationSpec,
  kubeControllersConfigurationSpec,
} from "./kinds/cluster.js";
import {
  blockAffinitySpec,
  ipamConfigurationSpec,
  ipPoolSpec,
  ipReservationSpec,
} from "./kinds/ipam.js";
import {
  k8sNetworkPolicySpec,
  namespaceSpec,
  stagedK8sNetworkPolicySpec,
} from "./kinds/kubernetes.js";
import {
  globalNetworkPolicySpec,
  hostEndpointSpec,
  networkPolicySpec,
  networkSetSpec,
  profileSpec,
  stagedGlobalNetworkPolicySpec,
  stagedNetworkPolicySpec,
  tierSpec,
  workloadEndpointSpec,
} from "./kinds/policy.js";
import { objectMeta, status } from "./schema/common.js";
import { obj } from "./schema/object.js";

/** Calico's API group and version. */
export const CALICO_API = "projectcalico.org/v3";
/** Kubernetes NetworkPolicy's API group and version. */
export const K8S_NETWORKING_API = "networking.k8s.io/v1";
/** Kubernetes core API version (Namespace, ServiceAccount). */
export const K8S_CORE_API = "v1";

const namespacedMeta = objectMeta.extend({
  namespace: objectMeta.shape.namespace.unwrap().default("default"),
});
const globalMeta = objectMeta.extend({
  namespace: z.undefined({ error: "a cluster-wide resource has no namespace" }).optional(),
});

function kind<A extends string, K extends string, S extends z.ZodType>(
  apiVersion: A,
  k: K,
  spec: S,
  namespaced: boolean,
) {
  return obj({
    apiVersion: z.literal(apiVersion),
    kind: z.literal(k),
    metadata: namespaced ? namespacedMeta : globalMeta,
    spec,
    status,
  });
}

/** A spec that may be left out of the YAML: parsed as `{}` so its defaults (and required fields) apply. */
const orEmpty = <S extends z.ZodType>(spec: S) => spec.prefault({} as z.input<S>);

const named = (n: string) => (r: { metadata: { name: string } }) => r.metadata.name === n;

/** Schemas of the projectcalico.org/v3 kinds. */
export const calicoSchemas = {
  IPPool: kind(CALICO_API, "IPPool", orEmpty(ipPoolSpec), false),
  IPReservation: kind(CALICO_API, "IPReservation", orEmpty(ipReservationSpec), false),
  IPAMConfiguration: kind(
    CALICO_API,
    "IPAMConfiguration",
    orEmpty(ipamConfigurationSpec),
    false,
  ).refine(named("default"), {
    path: ["metadata", "name"],
    message: 'the IPAMConfiguration must be named "default"',
  }),
  BlockAffinity: kind(CALICO_API, "BlockAffinity", orEmpty(blockAffinitySpec), false),
  BGPConfiguration: kind(CALICO_API, "BGPConfiguration", orEmpty(bgpConfigurationSpec), false),
  BGPPeer: kind(CALICO_API, "BGPPeer", orEmpty(bgpPeerSpec), false),
  BGPFilter: kind(CALICO_API, "BGPFilter", orEmpty(bgpFilterSpec), false),
  Node: kind(CALICO_API, "Node", orEmpty(nodeSpec), false),
  FelixConfiguration: kind(
    CALICO_API,
    "FelixConfiguration",
    orEmpty(felixConfigurationSpec),
    false,
  ),
  ClusterInformation: kind(
    CALICO_API,
    "ClusterInformation",
    orEmpty(clusterInformationSpec),
    false,
  ),
  KubeControllersConfiguration: kind(
    CALICO_API,
    "KubeControllersConfiguration",
    orEmpty(kubeControllersConfigurationSpec),
    false,
  ),
  NetworkPolicy: kind(CALICO_API, "NetworkPolicy", orEmpty(networkPolicySpec), true),
  GlobalNetworkPolicy: kind(
    CALICO_API,
    "GlobalNetworkPolicy",
    orEmpty(globalNetworkPolicySpec),
    false,
  ),
  StagedNetworkPolicy: kind(
    CALICO_API,
    "StagedNetworkPolicy",
    orEmpty(stagedNetworkPolicySpec),
    true,
  ),
  StagedGlobalNetworkPolicy: kind(
    CALICO_API,
    "StagedGlobalNetworkPolicy",
    orEmpty(stagedGlobalNetworkPolicySpec),
    false,
  ),
  StagedKubernetesNetworkPolicy: kind(
    CALICO_API,
    "StagedKubernetesNetworkPolicy",
    orEmpty(stagedK8sNetworkPolicySpec),
    true,
  ),
  Tier: kind(CALICO_API, "Tier", orEmpty(tierSpec), false),
  NetworkSet: kind(CALICO_API, "NetworkSet", orEmpty(networkSetSpec), true),
  GlobalNetworkSet: kind(CALICO_API, "GlobalNetworkSet", orEmpty(networkSetSpec), false),
  HostEndpoint: kind(CALICO_API, "HostEndpoint", orEmpty(hostEndpointSpec), false),
  WorkloadEndpoint: kind(CALICO_API, "WorkloadEndpoint", orEmpty(workloadEndpointSpec), true),
  Profile: kind(CALICO_API, "Profile", orEmpty(profileSpec), false),
} as const;

/** Schemas of the Kubernetes kinds. */
export const kubernetesSchemas = {
  NetworkPolicy: kind(K8S_NETWORKING_API, "NetworkPolicy", orEmpty(k8sNetworkPolicySpec), true),
  Namespace: kind(K8S_CORE_API, "Namespace", orEmpty(namespaceSpec), false),
  ServiceAccount: obj(
    {
      apiVersion: z.literal(K8S_CORE_API),
      kind: z.literal("ServiceAccount"),
      metadata: namespacedMeta,
      // A ServiceAccount has no spec; declared so `resource.spec` reads on every kind.
      spec: z.undefined().optional(),
    },
    {
      secrets: z.array(z.unknown()).optional(),
      imagePullSecrets: z.array(z.unknown()).optional(),
      automountServiceAccountToken: z.boolean().optional(),
    },
  ),
} as const;

/** A Calico kind's name. */
export type CalicoKind = keyof typeof calicoSchemas;

/** What the table knows of a kind. */
export interface KindInfo {
  readonly apiVersion: string;
  readonly kind: string;
  /** Lower-case plural, the key segment of Calico's etcd layout. */
  readonly plural: string;
  readonly namespaced: boolean;
  readonly schema: z.ZodType;
  /**
   * False for kinds Tortie loads and stores but never enforces or acts on
   * (staged policies, Felix and kube-controllers configuration, cluster info).
   */
  readonly actedOn: boolean;
}

const NOT_ACTED_ON = new Set([
  "StagedNetworkPolicy",
  "StagedGlobalNetworkPolicy",
  "StagedKubernetesNetworkPolicy",
  "FelixConfiguration",
  "ClusterInformation",
  "KubeControllersConfiguration",
]);
const PLURAL_EXCEPTIONS: Record<string, string> = {
  NetworkPolicy: "networkpolicies",
  GlobalNetworkPolicy: "globalnetworkpolicies",
  StagedNetworkPolicy: "stagednetworkpolicies",
  StagedGlobalNetworkPolicy: "stagedglobalnetworkpolicies",
  StagedKubernetesNetworkPolicy: "stagedkubernetesnetworkpolicies",
  BlockAffinity: "blockaffinities",
  ClusterInformation: "clusterinformations",
};
const NAMESPACED = new Set([
  "NetworkPolicy",
  "StagedNetworkPolicy",
  "StagedKubernetesNetworkPolicy",
  "NetworkSet",
  "WorkloadEndpoint",
  "ServiceAccount",
]);

const TABLE = new Map<string, KindInfo>();
function register(apiVersion: string, schemas: Record<string, z.ZodType>): void {
  for (const [k, schema] of Object.entries(schemas)) {
    TABLE.set(`${apiVersion} ${k}`, {
      apiVersion,
      kind: k,
      plural: PLURAL_EXCEPTIONS[k] ?? `${k.toLowerCase()}s`,
      namespaced: NAMESPACED.has(k),
      schema,
      actedOn: !NOT_ACTED_ON.has(k),
    });
  }
}
register(CALICO_API, calicoSchemas);
register(K8S_NETWORKING_API, { NetworkPolicy: kubernetesSchemas.NetworkPolicy });
register(K8S_CORE_API, {
  Namespace: kubernetesSchemas.Namespace,
  ServiceAccount: kubernetesSchemas.ServiceAccount,
});

/**
 * The Calico kinds with their schema, scope and plural — the shape
 * `@tortie/datastore`'s `calicoKinds` had, for code moving to this package.
 */
export const calicoKinds = Object.fromEntries(
  Object.keys(calicoSchemas).map((k) => {
    const i = TABLE.get(`${CALICO_API} ${k}`)!;
    return [k, { schema: i.schema, namespaced: i.namespaced, plural: i.plural }];
  }),
) as {
  readonly [K in CalicoKind]: {
    readonly schema: (typeof calicoSchemas)[K];
    readonly namespaced: boolean;
    readonly plural: string;
  };
};

/** The Kubernetes kinds with their schema, scope and plural. */
export const kubernetesKinds = Object.fromEntries(
  Object.entries(kubernetesSchemas).map(([k, schema]) => {
    const i = [...TABLE.values()].find((x) => x.kind === k && x.schema === schema)!;
    return [k, { schema, namespaced: i.namespaced, plural: i.plural }];
  }),
) as {
  readonly [K in keyof typeof kubernetesSchemas]: {
    readonly schema: (typeof kubernetesSchemas)[K];
    readonly namespaced: boolean;
    readonly plural: string;
  };
};

/** The table entry of an apiVersion and kind; undefined when Tortie does not know it. */
export function kindInfo(apiVersion: unknown, kind: unknown): KindInfo | undefined {
  if (typeof apiVersion !== "string" || typeof kind !== "string") return undefined;
  return TABLE.get(`${apiVersion} ${kind}`);
}

/** Every kind in the table. */
export function allKinds(): KindInfo[] {
  return [...TABLE.values()];
}

/** A resource of a Calico kind, validated and defaulted. */
export type CalicoResource<K extends CalicoKind = CalicoKind> = K extends CalicoKind
  ? z.output<(typeof calicoSchemas)[K]>
  : never;

/** Input shape (before defaults) of a Calico kind. */
export type CalicoResourceInput<K extends CalicoKind = CalicoKind> = K extends CalicoKind
  ? z.input<(typeof calicoSchemas)[K]>
  : never;

/** IPPool. */
export type IPPool = CalicoResource<"IPPool">;
/** IPReservation. */
export type IPReservation = CalicoResource<"IPReservation">;
/** IPAMConfiguration. */
export type IPAMConfiguration = CalicoResource<"IPAMConfiguration">;
/** BlockAffinity. */
export type BlockAffinity = CalicoResource<"BlockAffinity">;
/** BGPConfiguration. */
export type BGPConfiguration = CalicoResource<"BGPConfiguration">;
/** BGPPeer. */
export type BGPPeer = CalicoResource<"BGPPeer">;
/** BGPFilter. */
export type BGPFilter = CalicoResource<"BGPFilter">;
/** Calico Node. */
export type CalicoNode = CalicoResource<"Node">;
/** FelixConfiguration. */
export type FelixConfiguration = CalicoResource<"FelixConfiguration">;
/** ClusterInformation. */
export type ClusterInformation = CalicoResource<"ClusterInformation">;
/** KubeControllersConfiguration. */
export type KubeControllersConfiguration = CalicoResource<"KubeControllersConfiguration">;
/** Calico NetworkPolicy (namespaced). */
export type NetworkPolicy = CalicoResource<"NetworkPolicy">;
/** GlobalNetworkPolicy. */
export type GlobalNetworkPolicy = CalicoResource<"GlobalNetworkPolicy">;
/** StagedNetworkPolicy. */
export type StagedNetworkPolicy = CalicoResource<"StagedNetworkPolicy">;
/** StagedGlobalNetworkPolicy. */
export type StagedGlobalNetworkPolicy = CalicoResource<"StagedGlobalNetworkPolicy">;
/** StagedKubernetesNetworkPolicy. */
export type StagedKubernetesNetworkPolicy = CalicoResource<"StagedKubernetesNetworkPolicy">;
/** Tier. */
export type Tier = CalicoResource<"Tier">;
/** NetworkSet. */
export type NetworkSet = CalicoResource<"NetworkSet">;
/** GlobalNetworkSet. */
export type GlobalNetworkSet = CalicoResource<"GlobalNetworkSet">;
/** HostEndpoint. */
export type HostEndpoint = CalicoResource<"HostEndpoint">;
/** WorkloadEndpoint. */
export type WorkloadEndpoint = CalicoResource<"WorkloadEndpoint">;
/** Profile. */
export type Profile = CalicoResource<"Profile">;
/** Kubernetes NetworkPolicy. */
export type K8sNetworkPolicy = z.output<typeof kubernetesSchemas.NetworkPolicy>;
/** Kubernetes Namespace. */
export type Namespace = z.output<typeof kubernetesSchemas.Namespace>;
/** Kubernetes ServiceAccount. */
export type ServiceAccount = z.output<typeof kubernetesSchemas.ServiceAccount>;

/** Any resource Tortie reads. */
export type Resource = CalicoResource | K8sNetworkPolicy | Namespace | ServiceAccount;
