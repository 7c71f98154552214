// F5's "Kubernetes + Calico + BIG-IP" BGP lab, in network namespaces:
//
//                    client 203.0.113.10
//                       │ 203.0.113.0/24
//                    bigip (FRR as BIG-IP's ZebOS: router bgp 64512,
//                       │   neighbor calico-k8s peer-group, AS 64512)
//        ┌──────────────┴─────────────┐   192.0.2.0/24 (the node network)
//   node1 192.0.2.11              node2 192.0.2.12
//   Tortie speaker, AS 64512      Tortie speaker, AS 64512   ← node-to-node mesh too
//   pod block 198.51.100.0/26     pod block 198.51.100.64/26
//        │ veth                        │ veth
//   pod1 198.51.100.1             pod2 198.51.100.65
//
// Each node announces its pod block (not each pod) over iBGP to BIG-IP and
// to the other node; BIG-IP installs the blocks with the node as next hop,
// so the client's traffic goes straight to pod IPs. Until the node agent and
// the CNI plugin land, the pods' veths and host routes are set up here.
import { Speaker, type SpeakerStatus } from "@tortie/bgp";
import {
  createTopology,
  type Frr,
  type FrrPath,
  type Host,
  startFrr,
  type Topology,
  waitFor,
} from "@tortie/testbed";

export const AS = 64512;
export const NODES = [
  { name: "node1", ip: "192.0.2.11", block: "198.51.100.0/26", pod: "pod1", podIp: "198.51.100.1" },
  {
    name: "node2",
    ip: "192.0.2.12",
    block: "198.51.100.64/26",
    pod: "pod2",
    podIp: "198.51.100.65",
  },
] as const;
export const BIGIP = "192.0.2.250";
export const CLIENT = "203.0.113.10";

/** The running lab. */
export interface F5Lab {
  readonly topo: Topology;
  readonly bigip: Frr;
  readonly speakers: ReadonlyMap<string, Speaker>;
  /** BIG-IP's BGP table as `show bgp ipv4 unicast json` gives it. */
  bigipRoutes(): Promise<Record<string, FrrPath[]>>;
  status(node: string): SpeakerStatus;
  stop(): Promise<void>;
}

/** BIG-IP's imish configuration in F5's lab, as FRR understands it. */
export function bigipConfig(): string {
  return [
    "frr defaults traditional",
    "log stdout informational",
    `router bgp ${AS}`,
    ` bgp router-id ${BIGIP}`,
    " no bgp ebgp-requires-policy",
    " neighbor calico-k8s peer-group",
    ` neighbor calico-k8s remote-as ${AS}`,
    ...NODES.map((n) => ` neighbor ${n.ip} peer-group calico-k8s`),
    " address-family ipv4 unicast",
    "  neighbor calico-k8s activate",
    " exit-address-family",
    "",
  ].join("\n");
}

/** Builds the namespaces, starts BIG-IP (FRR) and a Tortie speaker per node. */
export async function startF5Lab(log: (line: string) => void = () => {}): Promise<F5Lab> {
  const topo = await createTopology({
    hosts: ["client", "bigip", ...NODES.flatMap((n) => [n.name, n.pod])],
    segments: {
      nodes: {
        members: {
          bigip: [`${BIGIP}/24`],
          ...Object.fromEntries(NODES.map((n) => [n.name, [`${n.ip}/24`]])),
        },
      },
    },
    links: [
      {
        a: { host: "bigip", addrs: ["203.0.113.1/24"] },
        b: { host: "client", addrs: [`${CLIENT}/24`] },
      },
      // Calico-style pod wiring: the pod has a /32 and a default route via a
      // link-local gateway answered by proxy ARP on the host side.
      ...NODES.map((n) => ({
        a: { host: n.name, ifname: `cali${n.pod}` },
        b: { host: n.pod, ifname: "eth0", addrs: [`${n.podIp}/32`] },
      })),
    ],
    routes: [
      { host: "client", to: "default", via: "203.0.113.1" },
      ...NODES.flatMap((n) => [
        { host: n.name, to: `${n.podIp}/32`, dev: `cali${n.pod}` },
        // like a real node: a default route (proxy ARP answers only for routable addresses)
        { host: n.name, to: "default", via: BIGIP },
        { host: n.pod, to: "169.254.1.1/32", dev: "eth0" },
        { host: n.pod, to: "default", via: "169.254.1.1", dev: "eth0" },
      ]),
    ],
  });
  // The host side of each pod's veth answers ARP for the pod's gateway.
  for (const n of NODES) {
    await topo.host(n.name).exec(["sysctl", "-qw", `net.ipv4.conf.cali${n.pod}.proxy_arp=1`]);
  }
  const speakers = new Map<string, Speaker>();
  let bigip: Frr | undefined;
  const stop = async () => {
    for (const s of speakers.values()) await s.close("lab stopping");
    await bigip?.stop();
    await topo.destroy();
  };
  try {
    bigip = await startFrr(topo.host("bigip"), bigipConfig());
    log("bigip: FRR bgpd + zebra started (peer-group calico-k8s, AS 64512)");
    for (const n of NODES) {
      const others = NODES.filter((o) => o !== n);
      const s = await Speaker.start({
        asn: AS,
        routerId: n.ip,
        netns: topo.host(n.name).nsPath,
        peers: [
          { address: BIGIP, asn: AS, connectRetryTime: 1, description: "BIG-IP" },
          ...others.map((o) => ({
            address: o.ip,
            asn: AS,
            connectRetryTime: 1,
            description: `node-to-node mesh: ${o.name}`,
          })),
        ],
        originate: [{ prefix: n.block }],
      });
      speakers.set(n.name, s);
      log(`${n.name}: Tortie speaker started, announcing ${n.block}`);
    }
    const frr = bigip;
    const lab: F5Lab = {
      topo,
      bigip: frr,
      speakers,
      bigipRoutes: () => frr.routes("ipv4"),
      status: (node) => speakers.get(node)!.status(),
      stop,
    };
    await Promise.all(NODES.map((n) => frr.waitEstablished(n.ip)));
    await waitFor(
      async () => {
        const r = await lab.bigipRoutes();
        return NODES.every((n) => r[n.block]);
      },
      { what: "BIG-IP learned every pod block" },
    );
    await Promise.all(NODES.map((n) => kernelRouteVia(topo.host("bigip"), n.block, n.ip)));
    return lab;
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Waits until `prefix` is in the host's kernel table via `gateway`. */
export function kernelRouteVia(h: Host, prefix: string, gateway: string) {
  return waitFor(
    async () => {
      const r = await h.ipJson<{ dst: string; gateway?: string; protocol?: string }[]>([
        "route",
        "show",
        prefix,
      ]);
      return r[0]?.gateway === gateway ? r[0] : undefined;
    },
    { what: `${prefix} via ${gateway} in ${h.name}'s kernel` },
  );
}
