// Kubernetes kinds Tortie reads: networking.k8s.io/v1 NetworkPolicy (and
// Calico's StagedKubernetesNetworkPolicy of the same shape), v1 Namespace and
// v1 ServiceAccount, with the API server's defaults
// (k8s.io/kubernetes pkg/apis/networking/v1/defaults.go): protocol TCP on
// ports; policyTypes, when absent or empty, Ingress plus Egress when there
// are egress rules; an absent podSelector selects every pod.
import { z } from "zod";
import { cidr, labelSelector } from "../schema/common.js";
import { obj } from "../schema/object.js";

/** A NetworkPolicy peer: pods, namespaces, or an address block. */
export const k8sPeer = obj({
  podSelector: labelSelector.optional(),
  namespaceSelector: labelSelector.optional(),
  ipBlock: obj({ cidr, except: z.array(cidr).optional() }).optional(),
}).superRefine((p, ctx) => {
  if (p.ipBlock && (p.podSelector || p.namespaceSelector)) {
    ctx.addIssue({
      code: "custom",
      path: ["ipBlock"],
      message: "cannot be combined with podSelector or namespaceSelector",
    });
  }
  if (!p.ipBlock && !p.podSelector && !p.namespaceSelector) {
    ctx.addIssue({
      code: "custom",
      path: [],
      message: "a peer needs podSelector, namespaceSelector or ipBlock",
    });
  }
});

/** A NetworkPolicy port: number or IANA service name, optional range end. */
export const k8sPort = obj({
  protocol: z.enum(["TCP", "UDP", "SCTP"]).default("TCP"),
  port: z
    .union([
      z.number().int().min(1).max(65535),
      z
        .string()
        .regex(
          /^(\d{1,5}|[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?)$/,
          "must be a port number or a port name (IANA_SVC_NAME)",
        ),
    ])
    .optional(),
  endPort: z.number().int().min(1).max(65535).optional(),
}).superRefine((p, ctx) => {
  if (p.endPort === undefined) return;
  if (typeof p.port !== "number") {
    ctx.addIssue({ code: "custom", path: ["endPort"], message: "needs a numeric port" });
  } else if (p.endPort < p.port) {
    ctx.addIssue({ code: "custom", path: ["endPort"], message: "must not be less than port" });
  }
});

const policyType = z.enum(["Ingress", "Egress"]);

/**
 * Kubernetes' default for `policyTypes` when absent or empty: Ingress, plus
 * Egress when there are egress rules.
 */
export function defaultK8sPolicyTypes(spec: {
  policyTypes?: readonly ("Ingress" | "Egress")[] | undefined;
  egress?: readonly unknown[] | undefined;
}): ("Ingress" | "Egress")[] {
  if (spec.policyTypes?.length) return [...spec.policyTypes];
  return spec.egress?.length ? ["Ingress", "Egress"] : ["Ingress"];
}

const k8sPolicyShape = {
  podSelector: labelSelector.default({}),
  policyTypes: z.array(policyType).optional(),
  ingress: z
    .array(obj({ from: z.array(k8sPeer).optional(), ports: z.array(k8sPort).optional() }))
    .optional(),
  egress: z
    .array(obj({ to: z.array(k8sPeer).optional(), ports: z.array(k8sPort).optional() }))
    .optional(),
};

/** NetworkPolicy spec. */
export const k8sNetworkPolicySpec = obj(k8sPolicyShape).transform((s) => ({
  ...s,
  policyTypes: defaultK8sPolicyTypes(s),
}));

/** StagedKubernetesNetworkPolicy spec (projectcalico.org/v3; previewed, not enforced). */
export const stagedK8sNetworkPolicySpec = obj({
  ...k8sPolicyShape,
  stagedAction: z.enum(["Set", "Delete", "Learn", "Ignore"]).default("Set"),
}).transform((s) => ({ ...s, policyTypes: defaultK8sPolicyTypes(s) }));

/** Namespace spec (finalizers only); its labels feed namespaceSelectors. */
export const namespaceSpec = obj({}, { finalizers: z.array(z.string()).optional() });
