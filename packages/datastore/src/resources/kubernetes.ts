// Kubernetes `networking.k8s.io/v1` NetworkPolicy, with the API server's
// defaults: protocol TCP on ports, policyTypes Ingress (+ Egress when there
// are egress rules), an empty podSelector selecting every pod.
import { z } from "zod";
import { cidr, labelSelector, objectMeta } from "./common.js";

const peer = z
  .strictObject({
    podSelector: labelSelector.optional(),
    namespaceSelector: labelSelector.optional(),
    ipBlock: z.strictObject({ cidr, except: z.array(cidr).optional() }).optional(),
  })
  .superRefine((p, ctx) => {
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

const npPort = z
  .strictObject({
    protocol: z.enum(["TCP", "UDP", "SCTP"]).default("TCP"),
    port: z.union([z.number().int().min(1).max(65535), z.string().min(1).max(15)]).optional(),
    endPort: z.number().int().min(1).max(65535).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.endPort !== undefined && typeof p.port !== "number") {
      ctx.addIssue({ code: "custom", path: ["endPort"], message: "needs a numeric port" });
    } else if (p.endPort !== undefined && typeof p.port === "number" && p.endPort < p.port) {
      ctx.addIssue({ code: "custom", path: ["endPort"], message: "must not be less than port" });
    }
  });

/** NetworkPolicy spec. */
export const k8sNetworkPolicySpec = z
  .strictObject({
    podSelector: labelSelector.default({}),
    policyTypes: z.array(z.enum(["Ingress", "Egress"])).optional(),
    ingress: z
      .array(z.strictObject({ from: z.array(peer).optional(), ports: z.array(npPort).optional() }))
      .optional(),
    egress: z
      .array(z.strictObject({ to: z.array(peer).optional(), ports: z.array(npPort).optional() }))
      .optional(),
  })
  .transform((s) => ({
    ...s,
    policyTypes:
      s.policyTypes ??
      (s.egress?.length
        ? (["Ingress", "Egress"] as ("Ingress" | "Egress")[])
        : (["Ingress"] as ("Ingress" | "Egress")[])),
  }));

/** The Kubernetes kinds Tortie reads. */
export const kubernetesKinds = {
  NetworkPolicy: {
    schema: z.strictObject({
      apiVersion: z.literal("networking.k8s.io/v1"),
      kind: z.literal("NetworkPolicy"),
      metadata: objectMeta.extend({ namespace: z.string().min(1).default("default") }),
      spec: k8sNetworkPolicySpec.prefault({}),
      status: z.unknown().optional(),
    }),
    namespaced: true,
    plural: "networkpolicies",
  },
} as const;
