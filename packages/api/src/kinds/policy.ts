// Policy kinds: NetworkPolicy, GlobalNetworkPolicy, their Staged* forms, Tier,
// NetworkSet, GlobalNetworkSet, HostEndpoint, WorkloadEndpoint and Profile
// (api/pkg/apis/projectcalico/v3 policy_common.go, networkpolicy.go, …), with
// the cross-field rules of Calico's validator (libcalico-go
// `lib/validator/v3/validator.go`) and its `types` default
// (api/pkg/defaults/networkpolicy.go).
import { z } from "zod";
import {
  cidr,
  familyOf,
  interfaceName,
  ip,
  ipOrCidr,
  port,
  protocol,
  selector,
  stringMap,
} from "../schema/common.js";
import { obj } from "../schema/object.js";
import { PORT_PROTOCOLS, protocolNumber } from "../values/protocol.js";

/** Rule actions. Log continues with the next rule; Pass skips to the next tier. */
export const action = z.enum(["Allow", "Deny", "Log", "Pass"]);

const icmpFields = obj({
  type: z.number().int().min(0).max(254).optional(),
  code: z.number().int().min(0).max(255).optional(),
});

/** serviceAccounts in a rule side. */
export const serviceAccountMatch = obj({
  names: z.array(z.string()).optional(),
  selector: selector.optional(),
});

/** A rule's source or destination (Calico EntityRule). */
export const entityRule = obj({
  nets: z.array(ipOrCidr).optional(),
  notNets: z.array(ipOrCidr).optional(),
  selector: selector.optional(),
  notSelector: selector.optional(),
  namespaceSelector: selector.optional(),
  ports: z.array(port).optional(),
  notPorts: z.array(port).optional(),
  serviceAccounts: serviceAccountMatch.optional(),
  // Kubernetes Service match: modelled so the policy engine can refuse it
  // rather than widen an Allow by ignoring it.
  services: obj({ name: z.string(), namespace: z.string().optional() }).optional(),
});

/** One rule of a policy or profile. */
export const rule = obj(
  {
    action,
    ipVersion: z.union([z.literal(4), z.literal(6)]).optional(),
    protocol: protocol.optional(),
    notProtocol: protocol.optional(),
    icmp: icmpFields.optional(),
    notICMP: icmpFields.optional(),
    source: entityRule.optional(),
    destination: entityRule.optional(),
    metadata: obj({ annotations: stringMap.optional() }).optional(),
  },
  {
    // Application-layer match (Calico needs its L7 proxy for it); kept, not acted on.
    http: obj({
      methods: z.array(z.string()).optional(),
      paths: z
        .array(obj({ exact: z.string().optional(), prefix: z.string().optional() }))
        .optional(),
    }).optional(),
  },
).superRefine((r, ctx) => {
  const proto = r.protocol === undefined ? undefined : protocolNumber(r.protocol);
  for (const f of ["icmp", "notICMP"] as const) {
    const icmp = r[f];
    if (!icmp) continue;
    if (proto !== 1 && proto !== 58) {
      ctx.addIssue({
        code: "custom",
        path: [f],
        message: "ICMP fields need protocol ICMP or ICMPv6",
      });
    }
    if (icmp.code !== undefined && icmp.type === undefined) {
      ctx.addIssue({ code: "custom", path: [f, "code"], message: "an ICMP code needs a type" });
    }
  }
  if (r.ipVersion === 4 && proto === 58) {
    ctx.addIssue({ code: "custom", path: ["ipVersion"], message: "ICMPv6 with ipVersion 4" });
  }
  if (r.ipVersion === 6 && proto === 1) {
    ctx.addIssue({ code: "custom", path: ["ipVersion"], message: "ICMP with ipVersion 6" });
  }
  const families = new Set<number>();
  for (const side of ["source", "destination"] as const) {
    const s = r[side];
    if (!s) continue;
    for (const f of ["ports", "notPorts"] as const) {
      if (s[f]?.length && (proto === undefined || !PORT_PROTOCOLS.has(proto))) {
        ctx.addIssue({
          code: "custom",
          path: [side, f],
          message: "ports need protocol TCP, UDP, SCTP or UDPLite",
        });
      }
    }
    for (const n of [...(s.nets ?? []), ...(s.notNets ?? [])]) families.add(familyOf(n));
  }
  if (
    r.ipVersion !== undefined &&
    families.size > 0 &&
    (families.size > 1 || !families.has(r.ipVersion))
  ) {
    ctx.addIssue({
      code: "custom",
      path: ["ipVersion"],
      message: `nets of another IP version than ${r.ipVersion}`,
    });
  }
});

const policyType = z.enum(["Ingress", "Egress"]);
type PolicyType = z.infer<typeof policyType>;

/**
 * Calico's default for `types` when absent or empty: Ingress when there are
 * no egress rules (even with no rules at all), Egress when there are only
 * egress rules, both when there are both (api/pkg/defaults/networkpolicy.go).
 */
export function defaultPolicyTypes(spec: {
  types?: readonly PolicyType[] | undefined;
  ingress?: readonly unknown[] | undefined;
  egress?: readonly unknown[] | undefined;
}): PolicyType[] {
  if (spec.types?.length) return [...spec.types];
  if (!spec.egress?.length) return ["Ingress"];
  if (!spec.ingress?.length) return ["Egress"];
  return ["Ingress", "Egress"];
}

const policyCommon = {
  tier: z.string().min(1).default("default"),
  order: z.number().optional(),
  selector: selector.default("all()"),
  types: z.array(policyType).optional(),
  ingress: z.array(rule).optional(),
  egress: z.array(rule).optional(),
  serviceAccountSelector: selector.optional(),
};
const policyUnused = {
  performanceHints: z.array(z.enum(["AssumeNeededOnEveryNode"])).optional(),
};
const globalOnly = {
  namespaceSelector: selector.optional(),
  doNotTrack: z.boolean().optional(),
  preDNAT: z.boolean().optional(),
  applyOnForward: z.boolean().optional(),
};

type SpecLike = {
  types?: PolicyType[] | undefined;
  egress?: unknown[] | undefined;
  doNotTrack?: boolean | undefined;
  preDNAT?: boolean | undefined;
  applyOnForward?: boolean | undefined;
};

function checkSpec(s: SpecLike, ctx: z.RefinementCtx): void {
  if (s.types && new Set(s.types).size !== s.types.length) {
    ctx.addIssue({ code: "custom", path: ["types"], message: "duplicate type" });
  }
  if (s.doNotTrack && s.preDNAT) {
    ctx.addIssue({
      code: "custom",
      path: ["preDNAT"],
      message: "preDNAT and doNotTrack cannot both be true",
    });
  }
  if ((s.doNotTrack || s.preDNAT) && !s.applyOnForward) {
    ctx.addIssue({
      code: "custom",
      path: ["applyOnForward"],
      message: "must be true with doNotTrack or preDNAT",
    });
  }
  if (s.preDNAT && (s.egress?.length || s.types?.includes("Egress"))) {
    ctx.addIssue({
      code: "custom",
      path: ["egress"],
      message: "a preDNAT policy cannot have egress rules",
    });
  }
}

const withTypes = <T extends SpecLike & { ingress?: unknown[] | undefined }>(s: T) => ({
  ...s,
  types: defaultPolicyTypes(s),
});

/** NetworkPolicy (namespaced) spec. */
export const networkPolicySpec = obj(policyCommon, policyUnused)
  .superRefine(checkSpec)
  .transform(withTypes);

/** GlobalNetworkPolicy spec. */
export const globalNetworkPolicySpec = obj({ ...policyCommon, ...globalOnly }, policyUnused)
  .superRefine(checkSpec)
  .transform(withTypes);

const stagedAction = z.enum(["Set", "Delete", "Learn", "Ignore"]).default("Set");

/** StagedNetworkPolicy spec (a policy previewed, not enforced). */
export const stagedNetworkPolicySpec = obj(
  { ...policyCommon, stagedAction },
  policyUnused,
).transform(withTypes);

/** StagedGlobalNetworkPolicy spec. */
export const stagedGlobalNetworkPolicySpec = obj(
  { ...policyCommon, ...globalOnly, stagedAction },
  policyUnused,
).transform(withTypes);

/** Tier spec: policies grouped and evaluated by ascending order. */
export const tierSpec = obj({
  order: z.number().optional(),
  defaultAction: z.enum(["Deny", "Pass"]).default("Deny"),
});

/** NetworkSet / GlobalNetworkSet spec: labelled lists of nets. */
export const networkSetSpec = obj({ nets: z.array(ipOrCidr).default([]) });

const endpointPort = obj(
  {
    name: z.string().min(1),
    protocol: protocol.default("TCP"),
    port: z.number().int().min(1).max(65535),
  },
  { hostPort: z.number().int().min(0).max(65535).optional(), hostIP: z.string().optional() },
);

/** HostEndpoint spec. `interfaceName: "*"` means all of the node's interfaces. */
export const hostEndpointSpec = obj({
  node: z.string().optional(),
  interfaceName: interfaceName.optional(),
  expectedIPs: z.array(ip).optional(),
  profiles: z.array(z.string()).optional(),
  ports: z.array(endpointPort).optional(),
}).superRefine((s, ctx) => {
  if (!s.interfaceName && !s.expectedIPs?.length) {
    ctx.addIssue({
      code: "custom",
      path: ["interfaceName"],
      message: "interfaceName or expectedIPs is required",
    });
  }
});

/** WorkloadEndpoint spec (a pod's interface, as the CNI plugin writes it). */
export const workloadEndpointSpec = obj(
  {
    orchestrator: z.string().optional(),
    workload: z.string().optional(),
    node: z.string().optional(),
    containerID: z.string().optional(),
    pod: z.string().optional(),
    endpoint: z.string().optional(),
    serviceAccountName: z.string().optional(),
    ipNetworks: z.array(cidr).optional(),
    ipv4Gateway: z.ipv4().optional(),
    ipv6Gateway: z.ipv6().optional(),
    profiles: z.array(z.string()).optional(),
    interfaceName: interfaceName.optional(),
    mac: z.string().optional(),
    ports: z.array(endpointPort).optional(),
  },
  {
    ipNATs: z.array(obj({ internalIP: ip, externalIP: ip })).optional(),
    allowSpoofedSourcePrefixes: z.array(cidr).optional(),
    qosControls: z.unknown().optional(),
  },
);

/** Profile spec: rules applied after all tiers, and labels given to its endpoints. */
export const profileSpec = obj({
  ingress: z.array(rule).optional(),
  egress: z.array(rule).optional(),
  labelsToApply: stringMap.optional(),
});
