// The resources the policy engine reads, from the one model in @tortie/api:
// Calico v3 NetworkPolicy, GlobalNetworkPolicy, Tier, NetworkSet,
// GlobalNetworkSet, HostEndpoint, WorkloadEndpoint, Profile, and Kubernetes
// NetworkPolicy, Namespace and ServiceAccount — validated and defaulted there
// (Calico's defaults, selectors, ports, protocols, interface names).
import {
  type action,
  calicoSchemas,
  type entityRule,
  type GlobalNetworkPolicy,
  type GlobalNetworkSet,
  type globalNetworkPolicySpec,
  type HostEndpoint,
  type K8sNetworkPolicy,
  kubernetesSchemas,
  type Namespace,
  type NetworkPolicy,
  type NetworkSet,
  type Profile,
  type rule,
  type ServiceAccount,
  type Tier,
  type WorkloadEndpoint,
} from "@tortie/api";
import type { z } from "zod";

export type {
  GlobalNetworkPolicy,
  GlobalNetworkSet,
  HostEndpoint,
  K8sNetworkPolicy,
  Namespace,
  NetworkPolicy,
  NetworkSet,
  Profile,
  ServiceAccount,
  Tier,
  WorkloadEndpoint,
};

/** A rule side (Calico EntityRule). */
export type EntityRule = z.output<typeof entityRule>;
/** A rule. */
export type Rule = z.output<typeof rule>;
/** A rule action. */
export type Action = z.output<typeof action>;
/** A policy spec (the GlobalNetworkPolicy shape; a NetworkPolicy's spec is a subset). */
export type PolicySpec = z.output<typeof globalNetworkPolicySpec>;

/** Every resource kind the policy engine reads. */
export type Resource =
  | NetworkPolicy
  | GlobalNetworkPolicy
  | Tier
  | NetworkSet
  | GlobalNetworkSet
  | HostEndpoint
  | WorkloadEndpoint
  | Profile
  | K8sNetworkPolicy
  | Namespace
  | ServiceAccount;

/** Schema by "apiVersion kind", for the kinds the engine reads. */
export const SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  "projectcalico.org/v3 NetworkPolicy": calicoSchemas.NetworkPolicy,
  "projectcalico.org/v3 GlobalNetworkPolicy": calicoSchemas.GlobalNetworkPolicy,
  "projectcalico.org/v3 Tier": calicoSchemas.Tier,
  "projectcalico.org/v3 NetworkSet": calicoSchemas.NetworkSet,
  "projectcalico.org/v3 GlobalNetworkSet": calicoSchemas.GlobalNetworkSet,
  "projectcalico.org/v3 HostEndpoint": calicoSchemas.HostEndpoint,
  "projectcalico.org/v3 WorkloadEndpoint": calicoSchemas.WorkloadEndpoint,
  "projectcalico.org/v3 Profile": calicoSchemas.Profile,
  "networking.k8s.io/v1 NetworkPolicy": kubernetesSchemas.NetworkPolicy,
  "v1 Namespace": kubernetesSchemas.Namespace,
  "v1 ServiceAccount": kubernetesSchemas.ServiceAccount,
};
