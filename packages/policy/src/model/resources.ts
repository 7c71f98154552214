// The resources Tortie reads, as zod schemas of their YAML/JSON shapes:
// Calico v3 (projectcalico.org/v3: NetworkPolicy, GlobalNetworkPolicy, Tier,
// NetworkSet, GlobalNetworkSet, HostEndpoint, WorkloadEndpoint, Profile) and
// Kubernetes (networking.k8s.io/v1 NetworkPolicy, v1 Namespace and
// ServiceAccount). Field names and defaults follow the Calico v3 API
// reference (docs.tigera.io "Calico API resources") and the Kubernetes API.
// Shapes only; cross-field rules and selector syntax are checked in validate.ts.
import { z } from "zod";

const name = z.string().min(1).max(253);
const labels = z.record(z.string(), z.string());
const portValue = z.union([z.number().int(), z.string()]);
const protocolValue = z.union([z.number().int(), z.string()]);

/** metadata of a namespaced or global resource. */
export const Metadata = z.looseObject({
  name,
  namespace: name.optional(),
  labels: labels.optional(),
  annotations: labels.optional(),
});

/** ICMP match: type, and code (which needs type). */
export const IcmpFields = z.strictObject({
  type: z.number().int().min(0).max(254).optional(),
  code: z.number().int().min(0).max(255).optional(),
});

/** serviceAccounts in a rule side. */
export const ServiceAccountMatch = z.strictObject({
  names: z.array(z.string()).optional(),
  selector: z.string().optional(),
});

/** A rule's source or destination (Calico "EntityRule"). */
export const EntityRule = z.strictObject({
  nets: z.array(z.string()).optional(),
  notNets: z.array(z.string()).optional(),
  selector: z.string().optional(),
  notSelector: z.string().optional(),
  namespaceSelector: z.string().optional(),
  ports: z.array(portValue).optional(),
  notPorts: z.array(portValue).optional(),
  serviceAccounts: ServiceAccountMatch.optional(),
});

/** Rule actions. Log continues with the next rule; Pass skips to the next tier. */
export const Action = z.enum(["Allow", "Deny", "Log", "Pass"]);

/** One rule of a policy or profile. */
export const Rule = z.strictObject({
  action: Action,
  ipVersion: z.union([z.literal(4), z.literal(6)]).optional(),
  protocol: protocolValue.optional(),
  notProtocol: protocolValue.optional(),
  icmp: IcmpFields.optional(),
  notICMP: IcmpFields.optional(),
  source: EntityRule.optional(),
  destination: EntityRule.optional(),
  metadata: z.looseObject({ annotations: labels.optional() }).optional(),
});

const policyType = z.enum(["Ingress", "Egress"]);

/** spec of NetworkPolicy and GlobalNetworkPolicy. */
export const PolicySpec = z.strictObject({
  tier: z.string().optional(),
  order: z.number().optional(),
  selector: z.string().optional(),
  namespaceSelector: z.string().optional(),
  serviceAccountSelector: z.string().optional(),
  types: z.array(policyType).optional(),
  ingress: z.array(Rule).optional(),
  egress: z.array(Rule).optional(),
  doNotTrack: z.boolean().optional(),
  preDNAT: z.boolean().optional(),
  applyOnForward: z.boolean().optional(),
});

const calico = z.literal("projectcalico.org/v3");

/** Calico NetworkPolicy (namespaced). */
export const NetworkPolicy = z.strictObject({
  apiVersion: calico,
  kind: z.literal("NetworkPolicy"),
  metadata: Metadata,
  spec: PolicySpec,
});
/** Calico GlobalNetworkPolicy. */
export const GlobalNetworkPolicy = z.strictObject({
  apiVersion: calico,
  kind: z.literal("GlobalNetworkPolicy"),
  metadata: Metadata,
  spec: PolicySpec,
});
/** Calico Tier: policies are grouped in tiers evaluated by ascending order. */
export const Tier = z.strictObject({
  apiVersion: calico,
  kind: z.literal("Tier"),
  metadata: Metadata,
  spec: z.strictObject({
    order: z.number().optional(),
    defaultAction: z.enum(["Deny", "Pass"]).optional(),
  }),
});
/** Calico NetworkSet (namespaced) and GlobalNetworkSet: labelled lists of nets. */
export const NetworkSet = z.strictObject({
  apiVersion: calico,
  kind: z.enum(["NetworkSet", "GlobalNetworkSet"]),
  metadata: Metadata,
  spec: z.strictObject({ nets: z.array(z.string()).optional() }),
});
const endpointPort = z.strictObject({
  name: z.string(),
  protocol: protocolValue.optional(),
  port: z.number().int().min(1).max(65535),
});
/** Calico HostEndpoint. */
export const HostEndpoint = z.strictObject({
  apiVersion: calico,
  kind: z.literal("HostEndpoint"),
  metadata: Metadata,
  spec: z.strictObject({
    node: z.string().optional(),
    interfaceName: z.string().optional(),
    expectedIPs: z.array(z.string()).optional(),
    profiles: z.array(z.string()).optional(),
    ports: z.array(endpointPort).optional(),
  }),
});
/** Calico WorkloadEndpoint (a pod's interface). */
export const WorkloadEndpoint = z.strictObject({
  apiVersion: calico,
  kind: z.literal("WorkloadEndpoint"),
  metadata: Metadata,
  spec: z.looseObject({
    node: z.string().optional(),
    pod: z.string().optional(),
    interfaceName: z.string().optional(),
    ipNetworks: z.array(z.string()).optional(),
    profiles: z.array(z.string()).optional(),
    serviceAccountName: z.string().optional(),
    ports: z.array(endpointPort).optional(),
  }),
});
/** Calico Profile: rules applied after all tiers, and labels given to its endpoints. */
export const Profile = z.strictObject({
  apiVersion: calico,
  kind: z.literal("Profile"),
  metadata: Metadata,
  spec: z.strictObject({
    ingress: z.array(Rule).optional(),
    egress: z.array(Rule).optional(),
    labelsToApply: labels.optional(),
  }),
});

/** Kubernetes LabelSelector (metav1.LabelSelector). */
export const LabelSelector = z.strictObject({
  matchLabels: labels.optional(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string().min(1),
        operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

const peer = z.strictObject({
  podSelector: LabelSelector.optional(),
  namespaceSelector: LabelSelector.optional(),
  ipBlock: z.strictObject({ cidr: z.string(), except: z.array(z.string()).optional() }).optional(),
});
const k8sPort = z.strictObject({
  protocol: z.enum(["TCP", "UDP", "SCTP"]).optional(),
  port: portValue.optional(),
  endPort: z.number().int().optional(),
});
/** Kubernetes NetworkPolicy (networking.k8s.io/v1). */
export const K8sNetworkPolicy = z.strictObject({
  apiVersion: z.literal("networking.k8s.io/v1"),
  kind: z.literal("NetworkPolicy"),
  metadata: Metadata,
  spec: z.strictObject({
    podSelector: LabelSelector.optional(),
    policyTypes: z.array(policyType).optional(),
    ingress: z
      .array(z.strictObject({ from: z.array(peer).optional(), ports: z.array(k8sPort).optional() }))
      .optional(),
    egress: z
      .array(z.strictObject({ to: z.array(peer).optional(), ports: z.array(k8sPort).optional() }))
      .optional(),
  }),
});
/** Kubernetes Namespace: its labels feed namespaceSelectors. */
export const Namespace = z.looseObject({
  apiVersion: z.literal("v1"),
  kind: z.literal("Namespace"),
  metadata: Metadata,
});
/** Kubernetes ServiceAccount: its labels feed serviceAccountSelectors. */
export const ServiceAccount = z.looseObject({
  apiVersion: z.literal("v1"),
  kind: z.literal("ServiceAccount"),
  metadata: Metadata,
});

/** A rule side. */
export type EntityRule = z.infer<typeof EntityRule>;
/** A rule. */
export type Rule = z.infer<typeof Rule>;
/** A rule action. */
export type Action = z.infer<typeof Action>;
/** A policy spec. */
export type PolicySpec = z.infer<typeof PolicySpec>;
/** A Calico NetworkPolicy resource. */
export type NetworkPolicy = z.infer<typeof NetworkPolicy>;
/** A Calico GlobalNetworkPolicy resource. */
export type GlobalNetworkPolicy = z.infer<typeof GlobalNetworkPolicy>;
/** A Tier resource. */
export type Tier = z.infer<typeof Tier>;
/** A NetworkSet or GlobalNetworkSet resource. */
export type NetworkSet = z.infer<typeof NetworkSet>;
/** A HostEndpoint resource. */
export type HostEndpoint = z.infer<typeof HostEndpoint>;
/** A WorkloadEndpoint resource. */
export type WorkloadEndpoint = z.infer<typeof WorkloadEndpoint>;
/** A Profile resource. */
export type Profile = z.infer<typeof Profile>;
/** A Kubernetes NetworkPolicy resource. */
export type K8sNetworkPolicy = z.infer<typeof K8sNetworkPolicy>;
/** A Kubernetes Namespace. */
export type Namespace = z.infer<typeof Namespace>;
/** A Kubernetes ServiceAccount. */
export type ServiceAccount = z.infer<typeof ServiceAccount>;

/** Every resource kind Tortie's policy model reads. */
export type Resource =
  | NetworkPolicy
  | GlobalNetworkPolicy
  | Tier
  | NetworkSet
  | HostEndpoint
  | WorkloadEndpoint
  | Profile
  | K8sNetworkPolicy
  | Namespace
  | ServiceAccount;

/** Schema by "apiVersion kind". */
export const SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  "projectcalico.org/v3 NetworkPolicy": NetworkPolicy,
  "projectcalico.org/v3 GlobalNetworkPolicy": GlobalNetworkPolicy,
  "projectcalico.org/v3 Tier": Tier,
  "projectcalico.org/v3 NetworkSet": NetworkSet,
  "projectcalico.org/v3 GlobalNetworkSet": NetworkSet,
  "projectcalico.org/v3 HostEndpoint": HostEndpoint,
  "projectcalico.org/v3 WorkloadEndpoint": WorkloadEndpoint,
  "projectcalico.org/v3 Profile": Profile,
  "networking.k8s.io/v1 NetworkPolicy": K8sNetworkPolicy,
  "v1 Namespace": Namespace,
  "v1 ServiceAccount": ServiceAccount,
};
