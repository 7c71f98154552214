// Workload endpoints: what the node agent and the policy engine need to know
// about each pod interface, written to the datastore by ADD and removed by
// DEL. Shaped after Calico's projectcalico.org/v3 WorkloadEndpoint spec
// (node, orchestrator, workload, pod, endpoint, containerID, interfaceName,
// mac, ipNetworks) plus the pod's labels.
//
// Each endpoint is written twice, in one transaction: as a Calico
// WorkloadEndpoint resource in Calico's key layout (named as Calico names it,
// `<node>-<orchestrator>-<workload>-<endpoint>`), which tortiectl, IPAM's leak
// check, the policy engine and the lab's virtual server read through
// @tortie/api; and under the plugin's own key by container id and interface,
// which DEL and the node agent use today. The second copy goes once the node
// agent reads the resource too.

import { workloadEndpointName } from "@tortie/api";
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

/** Where Calico keeps WorkloadEndpoint resources (@tortie/api's layout). */
export const CALICO_WORKLOAD_ENDPOINTS =
  "/calico/resources/v3/projectcalico.org/workloadendpoints/";

/** The network an endpoint belongs to, as an annotation (Calico's spec has no such field). */
export const NETWORK_ANNOTATION = "tortie.io/network";

/** Calico's name of the endpoint's WorkloadEndpoint resource. */
export function calicoEndpointName(ep: WorkloadEndpoint): string {
  return workloadEndpointName({
    node: ep.node,
    orchestrator: ep.namespace ? "k8s" : "cni",
    workload: ep.pod ?? ep.containerId,
    endpoint: ep.ifname,
  });
}

/** The key of the endpoint's WorkloadEndpoint resource. */
export function calicoEndpointKey(namespace: string | undefined, name: string): string {
  return `${CALICO_WORKLOAD_ENDPOINTS}${namespace ?? "default"}/${name}`;
}

/** The endpoint as the stored JSON document (a Calico v3 WorkloadEndpoint). */
export function endpointDocument(ep: WorkloadEndpoint): unknown {
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "WorkloadEndpoint",
    metadata: {
      name: calicoEndpointName(ep),
      namespace: ep.namespace ?? "default",
      labels: ep.labels,
      annotations: { [NETWORK_ANNOTATION]: ep.network },
    },
    spec: {
      node: ep.node,
      orchestrator: ep.namespace ? "k8s" : "cni",
      workload: ep.pod ?? ep.containerId,
      ...(ep.pod ? { pod: ep.pod } : {}),
      endpoint: ep.ifname,
      containerID: ep.containerId,
      interfaceName: ep.hostInterface,
      mac: ep.mac,
      ipNetworks: ep.ipNetworks,
    },
  };
}

/** Endpoints in a @tortie/datastore store. */
export class DatastoreEndpoints implements EndpointSink {
  constructor(private readonly store: Datastore) {}

  async put(ep: WorkloadEndpoint): Promise<void> {
    const value = JSON.stringify(endpointDocument(ep));
    await this.store.txn({
      compare: [],
      ops: [
        { type: "put", key: endpointKey(ep.node, ep.network, ep.containerId, ep.ifname), value },
        { type: "put", key: calicoEndpointKey(ep.namespace, calicoEndpointName(ep)), value },
      ],
    });
  }

  async delete(node: string, network: string, containerId: string, ifname: string): Promise<void> {
    const key = endpointKey(node, network, containerId, ifname);
    const cur = await this.store.get(key);
    const ops: { type: "delete"; key: string }[] = [{ type: "delete", key }];
    if (cur) {
      // The resource's name and namespace are in the plugin's own copy.
      try {
        const m = (JSON.parse(cur.value) as { metadata?: { name?: unknown; namespace?: unknown } })
          .metadata;
        if (typeof m?.name === "string") {
          ops.push({
            type: "delete",
            key: calicoEndpointKey(
              typeof m.namespace === "string" ? m.namespace : undefined,
              m.name,
            ),
          });
        }
      } catch {
        // an unreadable copy: remove it; nothing else can be found from it
      }
    }
    await this.store.txn({ compare: [], ops });
  }

  async ping(): Promise<void> {
    await this.store.get(`${WORKLOAD_ENDPOINT_PREFIX}.ping`);
  }

  /** The store is the caller's to close. */
  async close(): Promise<void> {}
}
