// Calico `projectcalico.org/v3` kinds as zod schemas, with the defaults the
// Calico resource reference documents (docs.tigera.io, "Resource definitions").
// Unknown spec fields are rejected, so a typo names its path instead of being
// silently ignored.
import { z } from "zod";
import {
  asNumber,
  cidr,
  ip,
  ipOrCidr,
  labelSelector,
  objectMeta,
  port,
  protocol,
  secretKeyRef,
  selector,
} from "./common.js";

const v3 = z.literal("projectcalico.org/v3");
const isV6 = (c: string) => c.includes(":");

// ---------------------------------------------------------------- IPAM

/** IPPool spec. Defaults: blockSize 26 (IPv4) / 122 (IPv6), modes Never, nodeSelector all(). */
export const ipPoolSpec = z
  .strictObject({
    cidr,
    blockSize: z.number().int().optional(),
    ipipMode: z.enum(["Never", "Always", "CrossSubnet"]).default("Never"),
    vxlanMode: z.enum(["Never", "Always", "CrossSubnet"]).default("Never"),
    natOutgoing: z.boolean().default(false),
    disabled: z.boolean().default(false),
    disableBGPExport: z.boolean().default(false),
    nodeSelector: selector.default("all()"),
    allowedUses: z
      .array(z.enum(["Workload", "Tunnel", "LoadBalancer"]))
      .default(["Workload", "Tunnel"]),
    assignmentMode: z.enum(["Automatic", "Manual"]).default("Automatic"),
    // Deprecated v1-era fields that old manifests still carry.
    ipip: z
      .strictObject({ enabled: z.boolean().optional(), mode: z.string().optional() })
      .optional(),
    "nat-outgoing": z.boolean().optional(),
  })
  .transform((s) => ({ ...s, blockSize: s.blockSize ?? (isV6(s.cidr) ? 122 : 26) }))
  .superRefine((s, ctx) => {
    const [lo, hi] = isV6(s.cidr) ? [116, 128] : [20, 32];
    if (s.blockSize < lo || s.blockSize > hi) {
      ctx.addIssue({
        code: "custom",
        path: ["blockSize"],
        message: `must be between ${lo} and ${hi} for this pool's family, got ${s.blockSize}`,
      });
    }
    const prefix = Number(s.cidr.split("/")[1]);
    if (s.blockSize < prefix) {
      ctx.addIssue({
        code: "custom",
        path: ["blockSize"],
        message: `a /${s.blockSize} block is larger than the pool ${s.cidr}`,
      });
    }
    if (s.ipipMode !== "Never" && isV6(s.cidr)) {
      ctx.addIssue({
        code: "custom",
        path: ["ipipMode"],
        message: "IPIP is not supported on IPv6 pools",
      });
    }
    if (s.ipipMode !== "Never" && s.vxlanMode !== "Never") {
      ctx.addIssue({
        code: "custom",
        path: ["vxlanMode"],
        message: "cannot enable both IPIP and VXLAN",
      });
    }
  });

/** IPAMConfiguration spec (the one object is named "default"). */
export const ipamConfigurationSpec = z.strictObject({
  strictAffinity: z.boolean().default(false),
  maxBlocksPerHost: z.number().int().min(0).default(0),
  autoAllocateBlocks: z.boolean().default(true),
});

/** IPReservation spec. */
export const ipReservationSpec = z.strictObject({
  reservedCIDRs: z.array(ipOrCidr).min(1),
});

// ---------------------------------------------------------------- BGP

const cidrItem = z.strictObject({ cidr });

/** BGPConfiguration spec. Defaults as Calico: mesh on, AS 64512, port 179, log Info. */
export const bgpConfigurationSpec = z.strictObject({
  logSeverityScreen: z.enum(["Debug", "Info", "Warning", "Error", "Fatal"]).default("Info"),
  nodeToNodeMeshEnabled: z.boolean().default(true),
  asNumber: asNumber.default(64512),
  listenPort: z.number().int().min(1).max(65535).default(179),
  serviceClusterIPs: z.array(cidrItem).optional(),
  serviceExternalIPs: z.array(cidrItem).optional(),
  serviceLoadBalancerIPs: z.array(cidrItem).optional(),
  communities: z.array(z.strictObject({ name: z.string(), value: z.string() })).optional(),
  prefixAdvertisements: z
    .array(z.strictObject({ cidr, communities: z.array(z.string()) }))
    .optional(),
  nodeMeshPassword: secretKeyRef.optional(),
  nodeMeshMaxRestartTime: z.string().optional(),
  bindMode: z.enum(["None", "NodeIP"]).optional(),
  ignoredInterfaces: z.array(z.string()).optional(),
  localWorkloadPeeringIPV4: z.ipv4().optional(),
  localWorkloadPeeringIPV6: z.ipv6().optional(),
  programClusterRoutes: z.enum(["Enabled", "Disabled"]).optional(),
});

/** BGPPeer spec. */
export const bgpPeerSpec = z
  .strictObject({
    node: z.string().optional(),
    nodeSelector: selector.optional(),
    peerIP: z.string().optional(),
    peerSelector: selector.optional(),
    asNumber: asNumber.optional(),
    password: secretKeyRef.optional(),
    sourceAddress: z.enum(["UseNodeIP", "None"]).default("UseNodeIP"),
    maxRestartTime: z.string().optional(),
    numAllowedLocalASNumbers: z.number().int().min(0).optional(),
    ttlSecurity: z.number().int().min(0).max(255).optional(),
    keepOriginalNextHop: z.boolean().optional(),
    nextHopMode: z.enum(["Auto", "Self", "Keep"]).optional(),
    reachableBy: ip.optional(),
    filters: z.array(z.string()).optional(),
    keepaliveTime: z.string().optional(),
    localWorkloadSelector: selector.optional(),
    reversePeering: z.enum(["Auto", "Manual"]).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.node && s.nodeSelector) {
      ctx.addIssue({
        code: "custom",
        path: ["nodeSelector"],
        message: "cannot be set together with node",
      });
    }
    if (s.peerIP && s.peerSelector) {
      ctx.addIssue({
        code: "custom",
        path: ["peerSelector"],
        message: "cannot be set together with peerIP",
      });
    }
    if (!s.peerIP && !s.peerSelector) {
      ctx.addIssue({
        code: "custom",
        path: ["peerIP"],
        message: "one of peerIP or peerSelector is required",
      });
    }
    if (s.peerIP && s.asNumber === undefined) {
      ctx.addIssue({ code: "custom", path: ["asNumber"], message: "is required with peerIP" });
    }
    if (s.peerIP) {
      // peerIP may carry a port: 192.0.2.1:1790 or [2001:db8::1]:1790.
      const m = /^\[(.+)\]:(\d+)$/.exec(s.peerIP) ?? /^([^:]+):(\d+)$/.exec(s.peerIP);
      const addr = m ? m[1]! : s.peerIP;
      if (!ip.safeParse(addr).success) {
        ctx.addIssue({
          code: "custom",
          path: ["peerIP"],
          message: "must be an IP address, optionally with :port",
        });
      }
    }
  });

const bgpFilterRule = z.strictObject({
  action: z.enum(["Accept", "Reject"]),
  matchOperator: z.enum(["Equal", "NotEqual", "In", "NotIn"]).optional(),
  cidr: cidr.optional(),
  prefixLength: z
    .strictObject({
      min: z.number().int().min(0).max(128).optional(),
      max: z.number().int().min(0).max(128).optional(),
    })
    .optional(),
  source: z.enum(["RemotePeers"]).optional(),
  interface: z.string().optional(),
});

/** BGPFilter spec. */
export const bgpFilterSpec = z.strictObject({
  exportV4: z.array(bgpFilterRule).optional(),
  importV4: z.array(bgpFilterRule).optional(),
  exportV6: z.array(bgpFilterRule).optional(),
  importV6: z.array(bgpFilterRule).optional(),
});

/** Node spec (Calico's view of a node: BGP addresses, tunnel addresses). */
export const nodeSpec = z.strictObject({
  bgp: z
    .strictObject({
      ipv4Address: cidr.optional(),
      ipv6Address: cidr.optional(),
      ipv4IPIPTunnelAddr: z.ipv4().optional(),
      asNumber: asNumber.optional(),
      routeReflectorClusterID: z.ipv4().optional(),
    })
    .optional(),
  ipv4VXLANTunnelAddr: z.ipv4().optional(),
  ipv6VXLANTunnelAddr: z.ipv6().optional(),
  vxlanTunnelMACAddr: z.string().optional(),
  vxlanTunnelMACAddrV6: z.string().optional(),
  orchRefs: z
    .array(z.strictObject({ orchestrator: z.string(), nodeName: z.string().optional() }))
    .optional(),
  wireguard: z
    .strictObject({
      interfaceIPv4Address: z.ipv4().optional(),
      interfaceIPv6Address: z.ipv6().optional(),
    })
    .optional(),
  addresses: z
    .array(z.strictObject({ address: z.string(), type: z.string().optional() }))
    .optional(),
});

// ---------------------------------------------------------------- policy

const entityRule = z.strictObject({
  nets: z.array(ipOrCidr).optional(),
  notNets: z.array(ipOrCidr).optional(),
  selector: selector.optional(),
  notSelector: selector.optional(),
  namespaceSelector: selector.optional(),
  ports: z.array(port).optional(),
  notPorts: z.array(port).optional(),
  serviceAccounts: z
    .strictObject({ names: z.array(z.string()).optional(), selector: selector.optional() })
    .optional(),
  services: z.strictObject({ name: z.string(), namespace: z.string().optional() }).optional(),
});

const icmp = z.strictObject({
  type: z.number().int().min(0).max(254),
  code: z.number().int().min(0).max(255).optional(),
});

/** A policy rule. */
export const rule = z
  .strictObject({
    action: z.enum(["Allow", "Deny", "Log", "Pass"]),
    protocol: protocol.optional(),
    notProtocol: protocol.optional(),
    icmp: icmp.optional(),
    notICMP: icmp.optional(),
    ipVersion: z.union([z.literal(4), z.literal(6)]).optional(),
    source: entityRule.optional(),
    destination: entityRule.optional(),
    http: z
      .strictObject({
        methods: z.array(z.string()).optional(),
        paths: z
          .array(z.strictObject({ exact: z.string().optional(), prefix: z.string().optional() }))
          .optional(),
      })
      .optional(),
    metadata: z
      .strictObject({ annotations: z.record(z.string(), z.string()).optional() })
      .optional(),
  })
  .superRefine((r, ctx) => {
    const hasPorts = (e?: z.infer<typeof entityRule>) =>
      !!(e?.ports?.length || e?.notPorts?.length);
    if (
      (hasPorts(r.source) || hasPorts(r.destination)) &&
      !["TCP", "UDP", "SCTP", "UDPLite", 6, 17, 132, 136].includes(r.protocol as never)
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["protocol"],
        message: "ports need protocol TCP, UDP, SCTP or UDPLite",
      });
    }
  });

type PolicyTypes = ("Ingress" | "Egress")[];
/** Calico's default for `types`: Ingress, plus Egress when there are egress rules. */
const defaultTypes = <
  T extends { types?: PolicyTypes | undefined; egress?: unknown[] | undefined },
>(
  s: T,
) => ({
  ...s,
  types:
    s.types ??
    (s.egress?.length ? (["Ingress", "Egress"] as PolicyTypes) : (["Ingress"] as PolicyTypes)),
});

const policyCommon = {
  tier: z.string().default("default"),
  order: z.number().optional(),
  selector: selector.default("all()"),
  types: z.array(z.enum(["Ingress", "Egress"])).optional(),
  ingress: z.array(rule).optional(),
  egress: z.array(rule).optional(),
  serviceAccountSelector: selector.optional(),
  performanceHints: z.array(z.enum(["AssumeNeededOnEveryNode"])).optional(),
};

/** NetworkPolicy (namespaced) spec. */
export const networkPolicySpec = z.strictObject(policyCommon).transform(defaultTypes);

/** GlobalNetworkPolicy spec. */
export const globalNetworkPolicySpec = z
  .strictObject({
    ...policyCommon,
    namespaceSelector: selector.optional(),
    doNotTrack: z.boolean().optional(),
    preDNAT: z.boolean().optional(),
    applyOnForward: z.boolean().optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.doNotTrack || s.preDNAT) && !s.applyOnForward) {
      ctx.addIssue({
        code: "custom",
        path: ["applyOnForward"],
        message: "must be true with doNotTrack or preDNAT",
      });
    }
    if (s.preDNAT && s.egress?.length) {
      ctx.addIssue({
        code: "custom",
        path: ["egress"],
        message: "preDNAT policies cannot have egress rules",
      });
    }
  })
  .transform(defaultTypes);

/** Tier spec. */
export const tierSpec = z.strictObject({
  order: z.number().optional(),
  defaultAction: z.enum(["Deny", "Pass"]).default("Deny"),
});

/** NetworkSet / GlobalNetworkSet spec. */
export const networkSetSpec = z.strictObject({ nets: z.array(ipOrCidr).default([]) });

const endpointPort = z.strictObject({
  name: z.string(),
  protocol: protocol,
  port: z.number().int().min(0).max(65535),
  hostPort: z.number().int().min(0).max(65535).optional(),
  hostIP: z.string().optional(),
});

/** HostEndpoint spec. */
export const hostEndpointSpec = z
  .strictObject({
    node: z.string(),
    interfaceName: z.string().optional(),
    expectedIPs: z.array(ip).optional(),
    profiles: z.array(z.string()).optional(),
    ports: z.array(endpointPort).optional(),
  })
  .superRefine((s, ctx) => {
    if (!s.interfaceName && !s.expectedIPs?.length) {
      ctx.addIssue({
        code: "custom",
        path: ["interfaceName"],
        message: "interfaceName or expectedIPs is required",
      });
    }
  });

/** WorkloadEndpoint spec. */
export const workloadEndpointSpec = z.strictObject({
  orchestrator: z.string().optional(),
  workload: z.string().optional(),
  node: z.string().optional(),
  containerID: z.string().optional(),
  pod: z.string().optional(),
  endpoint: z.string().optional(),
  serviceAccountName: z.string().optional(),
  ipNetworks: z.array(cidr).optional(),
  ipNATs: z.array(z.strictObject({ internalIP: ip, externalIP: ip })).optional(),
  ipv4Gateway: z.ipv4().optional(),
  ipv6Gateway: z.ipv6().optional(),
  profiles: z.array(z.string()).optional(),
  interfaceName: z.string().optional(),
  mac: z.string().optional(),
  ports: z.array(endpointPort).optional(),
  allowSpoofedSourcePrefixes: z.array(cidr).optional(),
});

function kind<K extends string, S extends z.ZodType>(k: K, spec: S, namespaced: boolean) {
  return z.strictObject({
    apiVersion: v3,
    kind: z.literal(k),
    metadata: namespaced
      ? objectMeta.extend({ namespace: z.string().min(1).default("default") })
      : objectMeta,
    spec,
  });
}

/** Every Calico v3 kind: its schema and whether it is namespaced. */
export const calicoKinds = {
  IPPool: { schema: kind("IPPool", ipPoolSpec, false), namespaced: false, plural: "ippools" },
  IPAMConfiguration: {
    schema: kind("IPAMConfiguration", ipamConfigurationSpec.prefault({}), false).refine(
      (r) => r.metadata.name === "default",
      { path: ["metadata", "name"], message: 'the IPAMConfiguration must be named "default"' },
    ),
    namespaced: false,
    plural: "ipamconfigurations",
  },
  IPReservation: {
    schema: kind("IPReservation", ipReservationSpec, false),
    namespaced: false,
    plural: "ipreservations",
  },
  BGPConfiguration: {
    schema: kind("BGPConfiguration", bgpConfigurationSpec.prefault({}), false),
    namespaced: false,
    plural: "bgpconfigurations",
  },
  BGPPeer: { schema: kind("BGPPeer", bgpPeerSpec, false), namespaced: false, plural: "bgppeers" },
  BGPFilter: {
    schema: kind("BGPFilter", bgpFilterSpec.prefault({}), false),
    namespaced: false,
    plural: "bgpfilters",
  },
  Node: { schema: kind("Node", nodeSpec.prefault({}), false), namespaced: false, plural: "nodes" },
  NetworkPolicy: {
    schema: kind("NetworkPolicy", networkPolicySpec, true),
    namespaced: true,
    plural: "networkpolicies",
  },
  GlobalNetworkPolicy: {
    schema: kind("GlobalNetworkPolicy", globalNetworkPolicySpec, false),
    namespaced: false,
    plural: "globalnetworkpolicies",
  },
  Tier: { schema: kind("Tier", tierSpec.prefault({}), false), namespaced: false, plural: "tiers" },
  NetworkSet: {
    schema: kind("NetworkSet", networkSetSpec.prefault({}), true),
    namespaced: true,
    plural: "networksets",
  },
  GlobalNetworkSet: {
    schema: kind("GlobalNetworkSet", networkSetSpec.prefault({}), false),
    namespaced: false,
    plural: "globalnetworksets",
  },
  HostEndpoint: {
    schema: kind("HostEndpoint", hostEndpointSpec, false),
    namespaced: false,
    plural: "hostendpoints",
  },
  WorkloadEndpoint: {
    schema: kind("WorkloadEndpoint", workloadEndpointSpec.prefault({}), true),
    namespaced: true,
    plural: "workloadendpoints",
  },
} as const;

/** Label selector schema, re-exported for the Kubernetes kinds. */
export { labelSelector };
