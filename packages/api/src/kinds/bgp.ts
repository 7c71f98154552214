// BGP kinds: BGPConfiguration, BGPPeer, BGPFilter and Calico's Node
// (api/pkg/apis/projectcalico/v3 bgpconfig.go, bgppeer.go, bgpfilter.go;
// libcalico-go internalapi node.go). Defaults as Calico's confd reads them:
// node-to-node mesh on, AS 64512, port 179, log level Info.
import { z } from "zod";
import { asNumber, cidr, duration, ip, secretKeyRef, selector } from "../schema/common.js";
import { obj } from "../schema/object.js";

const cidrItem = obj({ cidr });
const community = z
  .string()
  .regex(/^(\d+:\d+|\d+:\d+:\d+)$/, "must be a community aa:nn or a large community aa:nn:mm");

/** BGPConfiguration spec. */
export const bgpConfigurationSpec = obj(
  {
    nodeToNodeMeshEnabled: z.boolean().default(true),
    asNumber: asNumber.default(64512),
    listenPort: z.number().int().min(1).max(65535).default(179),
  },
  {
    logSeverityScreen: z.enum(["Debug", "Info", "Warning", "Error", "Fatal"]).default("Info"),
    serviceClusterIPs: z.array(cidrItem).optional(),
    serviceExternalIPs: z.array(cidrItem).optional(),
    serviceLoadBalancerIPs: z.array(cidrItem).optional(),
    serviceLoadBalancerAggregation: z.enum(["Enabled", "Disabled"]).optional(),
    communities: z.array(obj({ name: z.string(), value: community })).optional(),
    prefixAdvertisements: z.array(obj({ cidr, communities: z.array(z.string()) })).optional(),
    nodeMeshPassword: secretKeyRef.optional(),
    nodeMeshMaxRestartTime: duration.optional(),
    bindMode: z.enum(["None", "NodeIP"]).optional(),
    ignoredInterfaces: z.array(z.string()).optional(),
    localWorkloadPeeringIPV4: z.ipv4().optional(),
    localWorkloadPeeringIPV6: z.ipv6().optional(),
    programClusterRoutes: z.enum(["Enabled", "Disabled"]).optional(),
    ipv4NormalRoutePriority: z.number().int().optional(),
    ipv6NormalRoutePriority: z.number().int().optional(),
  },
);

/** BGPPeer spec: a node-scoped (`node`/`nodeSelector`) or global peer (`peerIP` or `peerSelector`). */
export const bgpPeerSpec = obj(
  {
    node: z.string().optional(),
    nodeSelector: selector.optional(),
    peerIP: z.string().optional(),
    peerSelector: selector.optional(),
    asNumber: asNumber.optional(),
    sourceAddress: z.enum(["UseNodeIP", "None"]).default("UseNodeIP"),
    keepaliveTime: duration.optional(),
    ttlSecurity: z.number().int().min(0).max(255).optional(),
    filters: z.array(z.string()).optional(),
  },
  {
    localASNumber: asNumber.optional(),
    password: secretKeyRef.optional(),
    maxRestartTime: duration.optional(),
    numAllowedLocalASNumbers: z.number().int().min(0).optional(),
    keepOriginalNextHop: z.boolean().optional(),
    nextHopMode: z.enum(["Auto", "Self", "Keep"]).optional(),
    reachableBy: ip.optional(),
    localWorkloadSelector: selector.optional(),
    reversePeering: z.enum(["Auto", "Manual"]).optional(),
  },
).superRefine((s, ctx) => {
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
  if (s.peerIP && splitPeerIP(s.peerIP) === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["peerIP"],
      message: "must be an IP address, optionally with a port (192.0.2.1:1790, [2001:db8::1]:1790)",
    });
  }
});

/** Splits a BGPPeer `peerIP` ("192.0.2.1", "192.0.2.1:1790", "[2001:db8::1]:1790") into address and port. */
export function splitPeerIP(text: string): { address: string; port?: number } | undefined {
  const m = /^\[(.+)\]:(\d{1,5})$/.exec(text) ?? /^([^:]+):(\d{1,5})$/.exec(text);
  const address = m ? m[1]! : text;
  if (!ip.safeParse(address).success) return undefined;
  if (!m) return { address };
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { address, port } : undefined;
}

const prefixLength = (max: number) =>
  obj({
    min: z.number().int().min(0).max(max).optional(),
    max: z.number().int().min(0).max(max).optional(),
  });

const filterRule = (max: number) =>
  obj(
    {
      action: z.enum(["Accept", "Reject"]),
      matchOperator: z.enum(["Equal", "NotEqual", "In", "NotIn"]).optional(),
      cidr: cidr.optional(),
      prefixLength: prefixLength(max).optional(),
      source: z.enum(["RemotePeers"]).optional(),
      interface: z.string().optional(),
    },
    {
      peerType: z.enum(["eBGP", "iBGP"]).optional(),
      communities: z.unknown().optional(),
      asPathPrefix: z.array(asNumber).optional(),
      priority: z.number().int().optional(),
      operations: z.array(z.unknown()).optional(),
    },
  ).superRefine((r, ctx) => {
    if ((r.cidr === undefined) !== (r.matchOperator === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [r.cidr === undefined ? "cidr" : "matchOperator"],
        message: "cidr and matchOperator go together",
      });
    }
  });

/** BGPFilter spec: import/export rules per family. */
export const bgpFilterSpec = obj({
  exportV4: z.array(filterRule(32)).optional(),
  importV4: z.array(filterRule(32)).optional(),
  exportV6: z.array(filterRule(128)).optional(),
  importV6: z.array(filterRule(128)).optional(),
});

/** Node spec: the BGP addresses and AS a node speaks with. */
export const nodeSpec = obj(
  {
    bgp: obj(
      {
        ipv4Address: cidr.optional(),
        ipv6Address: cidr.optional(),
        asNumber: asNumber.optional(),
        routeReflectorClusterID: z.ipv4().optional(),
      },
      { ipv4IPIPTunnelAddr: z.ipv4().optional() },
    ).optional(),
    orchRefs: z
      .array(obj({ orchestrator: z.string(), nodeName: z.string().optional() }))
      .optional(),
    addresses: z.array(obj({ address: z.string(), type: z.string().optional() })).optional(),
  },
  {
    ipv4VXLANTunnelAddr: z.ipv4().optional(),
    ipv6VXLANTunnelAddr: z.ipv6().optional(),
    vxlanTunnelMACAddr: z.string().optional(),
    vxlanTunnelMACAddrV6: z.string().optional(),
    wireguard: z.unknown().optional(),
    interfaces: z.array(z.unknown()).optional(),
  },
);
