// Workload endpoints: what the node agent and the policy engine need to know
// about each pod interface, written to the datastore by ADD and removed by
// DEL. Shaped after Calico's projectcalico.org/v3 WorkloadEndpoint spec
// (node, orchestrator, workload, pod, endpoint, containerID, interfaceName,
// mac, ipNetworks) plus the pod's labels.

import type { Datastore } from "@tortie/datastore";

/** One pod interface as the node agent sees it. */
export interface WorkloadEndpoint {
  readonly node: string;
  readonly network: string;
  readonly containerId: string;
  readonly ifname: string;
  /** The host end of the veth (the interface policy is applied on). */
  readonly hostInterface: string;
  readonly mac: string;
  /** Host prefixes: "192.0.2.7/32", "2001:db8::7/128". */
  readonly ipNetworks: readonly string[];
  readonly namespace?: string;
  readonly pod?: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Where endpoints go. */
export interface EndpointSink {
  put(ep: WorkloadEndpoint): Promise<void>;
  delete(node: string, network: string, containerId: string, ifname: string): Promise<void>;
  /** Resolves when the store answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The key prefix of workload endpoints. */
export const WORKLOAD_ENDPOINT_PREFIX = "/tortie/workloadendpoints/v1/";

/** The datastore key of one endpoint: prefix/node/network/containerId/ifname. */
export function endpointKey(
  node: string,
  network: string,
  containerId: string,
  ifname: string,
): string {
  return `${WORKLOAD_ENDPOINT_PREFIX}${node}/${network}/${containerId}/${ifname}`;
}

/** The endpoint as the stored JSON document (Calico v3 resource shape). */
export function endpointDocument(ep: WorkloadEndpoint): unknown {
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "WorkloadEndpoint",
    metadata: {
      name: `${ep.node}-${ep.network}-${ep.containerId}-${ep.ifname}`,
      ...(ep.namespace ? { namespace: ep.namespace } : {}),
      labels: ep.labels,
    },
    spec: {
      node: ep.node,
      orchestrator: ep.namespace ? "k8s" : "cni",
      ...(ep.pod ? { pod: ep.pod, workload: ep.pod } : {}),
      endpoint: ep.ifname,
      containerID: ep.containerId,
      interfaceName: ep.hostInterface,
      mac: ep.mac,
      ipNetworks: ep.ipNetworks,
      network: ep.network,
    },
  };
}

/** Endpoints in a @tortie/datastore store. */
export class DatastoreEndpoints implements EndpointSink {
  constructor(private readonly store: Datastore) {}

  async put(ep: WorkloadEndpoint): Promise<void> {
    const key = endpointKey(ep.node, ep.network, ep.containerId, ep.ifname);
    await this.store.txn({
      compare: [],
      ops: [{ type: "put", key, value: JSON.stringify(endpointDocument(ep)) }],
    });
  }

  async delete(node: string, network: string, containerId: string, ifname: string): Promise<void> {
    await this.store.txn({
      compare: [],
      ops: [{ type: "delete", key: endpointKey(node, network, containerId, ifname) }],
    });
  }

  async ping(): Promise<void> {
    await this.store.get(`${WORKLOAD_ENDPOINT_PREFIX}.ping`);
  }

  /** The store is the caller's to close. */
  async close(): Promise<void> {}
}
