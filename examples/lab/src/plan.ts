// The lab's addresses and names, decided before anything is built (pure).
//
//                        client 203.0.113.10
//                           │ 203.0.113.0/24 ("outside")
//                        bigip 203.0.113.1, virtual server 203.0.113.100:80
//                           │ FRR (BIG-IP's ZebOS stand-in), HAProxy (the virtual server)
//      ┌────────────────────┼────────────────────┐   192.0.2.0/24 (the node network)
//   node1 192.0.2.11     node2 192.0.2.12     node3 192.0.2.13   … up to node4
//   tortie-node agent    tortie-node agent    tortie-node agent  (AS 64512, mesh)
//      │ veth (CNI)         │                    │
//   pods from the IPPool 198.51.100.0/24 in /26 blocks (one block per node)
//
// Every address is from the documentation ranges; everything lives in network
// namespaces the lab creates and removes.

/** The cluster's AS (F5's lab). */
export const CLUSTER_AS = 64512;
/** BIG-IP's self IP on the node network. */
export const BIGIP_IP = "192.0.2.250";
/** BIG-IP's address on the outside network, the client's gateway. */
export const BIGIP_OUTSIDE_IP = "203.0.113.1";
/** The virtual server (F5 CIS's cluster mode: pool members are pod IPs). */
export const VIRTUAL_SERVER = { ip: "203.0.113.100", port: 80 } as const;
/** The client behind BIG-IP. */
export const CLIENT_IP = "203.0.113.10";
/** The port every pod's HTTP server listens on. */
export const POD_PORT = 8080;
/** Most nodes the pool can give a /26 block each (198.51.100.0/24 = 4 blocks). */
export const MAX_NODES = 4;

/** One node of the lab. */
export interface NodePlan {
  readonly name: string;
  /** Host name in the topology (namespace suffix). */
  readonly host: string;
  /** BGP address with the node network's prefix length. */
  readonly cidr: string;
  readonly ip: string;
  readonly pods: readonly PodPlan[];
}

/** One pod of the lab. */
export interface PodPlan {
  readonly name: string;
  readonly namespace: string;
  /** Host name in the topology (namespace suffix). */
  readonly host: string;
  readonly node: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** The lab as planned. */
export interface LabPlan {
  readonly nodes: readonly NodePlan[];
}

/** Plans a lab of `nodeCount` nodes with `podsPerNode` web pods each. */
export function planLab(nodeCount: number, podsPerNode = 2): LabPlan {
  if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > MAX_NODES) {
    throw new RangeError(
      `--nodes must be 1-${MAX_NODES} (the pool 198.51.100.0/24 holds ${MAX_NODES} /26 blocks)`,
    );
  }
  const nodes: NodePlan[] = [];
  for (let i = 1; i <= nodeCount; i++) nodes.push(planNode(i, podsPerNode));
  return { nodes };
}

/** The plan of node `i` (1-based). */
export function planNode(i: number, podsPerNode = 2): NodePlan {
  const name = `node${i}`;
  const ip = `192.0.2.${10 + i}`;
  const pods: PodPlan[] = [];
  for (let p = 1; p <= podsPerNode; p++) {
    pods.push({
      name: `web-${i}-${p}`,
      namespace: "default",
      host: `p${i}x${p}`,
      node: name,
      labels: { app: "web" },
    });
  }
  return { name, host: `node${i}`, cidr: `${ip}/24`, ip, pods };
}
