// A fixed topology in a memory store, for the picture's golden files and the
// dashboard server's tests (test support; not part of the tortiectl bin).
import { CALICO_API, ResourceClient } from "@tortie/api";
import { type Datastore, MemoryStore } from "@tortie/datastore";
import { Ipam } from "@tortie/ipam";
import { NODE_STATUS_PREFIX } from "../commands/node.js";
import type { StatusRecord } from "./model.js";

// The picture is drawn for this instant; every session started before it.
export const NOW = Date.parse("2026-03-01T12:00:00Z");
const T0 = NOW - 3 * 3600_000 - 125_000; // sessions up 3h02m
const T1 = NOW - 40_000; // node2's peers lost it 40 s ago

const peer = (
  address: string,
  source: string,
  state: string,
  since: number,
  received: number,
  advertised: number,
) => ({ address, source, state, since, received, advertised });

function record(node: string, peers: StatusRecord["bgp"]["peers"], blocks: string[]): StatusRecord {
  return {
    node,
    updated: new Date(Math.max(...peers.map((p) => p.since))).toISOString(),
    agent: { ready: true, datastore: "connected", startedAt: new Date(T0 - 5000).toISOString() },
    bgp: { asn: 64512, routerId: "", peers, originated: blocks },
    routes: { blocks, workloads: 2, learned: 3 },
    issues: [],
  };
}

/**
 * Three nodes in a full mesh with BIG-IP as a global BGPPeer; node3 is a
 * route reflector; node2's agent was killed 40 s ago (node1 and node3 report
 * their sessions to it down, its own record still says Established); pod
 * web-3-9 on node3 took an address from node1's block.
 */
export async function fixtureStore<S extends Datastore = MemoryStore>(
  store: S = new MemoryStore() as unknown as S,
): Promise<S> {
  const client = new ResourceClient(store);
  await client.apply({
    apiVersion: CALICO_API,
    kind: "BGPConfiguration",
    metadata: { name: "default" },
    spec: { nodeToNodeMeshEnabled: true, asNumber: 64512 },
  });
  await client.apply({
    apiVersion: CALICO_API,
    kind: "BGPPeer",
    metadata: { name: "bgppeer-global-bigip1" },
    spec: { peerIP: "192.0.2.250", asNumber: 64512 },
  });
  for (const i of [1, 2, 3])
    await client.apply({
      apiVersion: CALICO_API,
      kind: "Node",
      metadata: { name: `node${i}` },
      spec: {
        bgp: {
          ipv4Address: `192.0.2.${10 + i}/24`,
          ...(i === 3 ? { routeReflectorClusterID: "224.0.0.1" } : {}),
        },
      },
    });
  const ipam = new Ipam({ store });
  await ipam.applyPool({ name: "default-ipv4-ippool", cidr: "198.51.100.0/24", blockSize: 26 });
  const pods: [string, string, string][] = [
    ["node1", "web-1-1", "default"],
    ["node1", "web-1-2", "default"],
    ["node2", "web-2-1", "default"],
    ["node3", "web-3-1", "shop"],
  ];
  const weps: [string, string, string, string][] = [];
  for (const [node, pod, ns] of pods) {
    const r = await ipam.autoAssign({
      handleId: `k8s-pod-network.${pod}`,
      hostname: node,
      num4: 1,
      attrs: { node, pod, namespace: ns },
    });
    weps.push([node, pod, ns, r.ipv4[0]!.ip]);
  }
  // Borrowed: a pod on node3 holds an address in node1's block.
  await ipam.assignIp({
    ip: "198.51.100.20",
    handleId: "k8s-pod-network.web-3-9",
    hostname: "node3",
    attrs: { node: "node3", pod: "web-3-9", namespace: "default" },
  });
  weps.push(["node3", "web-3-9", "default", "198.51.100.20"]);
  for (const [node, pod, ns, ip] of weps)
    await client.apply({
      apiVersion: CALICO_API,
      kind: "WorkloadEndpoint",
      metadata: {
        name: `${node}-k8s-${pod.replace(/-/g, "--")}-eth0`,
        namespace: ns,
        labels: { app: "web", "projectcalico.org/namespace": ns },
      },
      spec: {
        orchestrator: "k8s",
        workload: pod,
        node,
        pod,
        endpoint: "eth0",
        interfaceName: `cali${pod.replace(/-/g, "")}`,
        ipNetworks: [`${ip}/32`],
      },
    });
  const blocks = (await ipam.listBlocks()).map((b) => [b.affinity?.slice(5), b.cidr]);
  const blocksOf = (n: string) => blocks.filter(([a]) => a === n).map(([, c]) => c!);
  const records = [
    record(
      "node1",
      [
        peer("192.0.2.12", "mesh", "Active", T1, 0, 0),
        peer("192.0.2.13", "mesh", "Established", T0, 2, 1),
        peer("192.0.2.250", "BGPPeer/bgppeer-global-bigip1", "Established", T0, 0, 1),
      ],
      blocksOf("node1"),
    ),
    record(
      "node2",
      [
        peer("192.0.2.11", "mesh", "Established", T0, 2, 1),
        peer("192.0.2.13", "mesh", "Established", T0, 2, 1),
        peer("192.0.2.250", "BGPPeer/bgppeer-global-bigip1", "Established", T0, 0, 1),
      ],
      blocksOf("node2"),
    ),
    record(
      "node3",
      [
        peer("192.0.2.11", "mesh", "Established", T0, 1, 2),
        peer("192.0.2.12", "mesh", "Connect", T1, 0, 0),
        peer("192.0.2.250", "BGPPeer/bgppeer-global-bigip1", "Established", T0, 0, 1),
      ],
      blocksOf("node3"),
    ),
  ];
  for (const r of records) await store.create(`${NODE_STATUS_PREFIX}${r.node}`, JSON.stringify(r));
  return store;
}
