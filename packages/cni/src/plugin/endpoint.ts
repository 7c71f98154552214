// Workload endpoints: what the node agent and the policy engine need to know
// about each pod interface, written to the datastore by ADD and removed by
// DEL. Shaped after Calico's projectcalico.org/v3 WorkloadEndpoint spec
// (node, orchestrator, workload, pod, endpoint, containerID, interfaceName,
// mac, ipNetworks) plus the pod's labels.
//
// Each endpoint is written once, as a Calico WorkloadEndpoint resource in
// Calico's key layout (named as Calico names it,
// `<node>-<orchestrator>-<workload>-<endpoint>`), which the node agent,
// tortiectl, IPAM's leak check, the policy engine and the lab's virtual
// server read through @tortie/api. DEL knows the container id and interface,
// not the pod: it finds the resource by its name's node and endpoint parts
// (a keys-only listing) and its spec.containerID and network annotation.
//
// Plugins before this one also wrote a copy under the plugin's own key
// (/tortie/workloadendpoints/v1/<node>/<network>/<containerId>/<ifname>),
// always with the resource in the same transaction: DEL removes such a copy
// when it finds one; nothing else reads it.

import { parseWorkloadEndpointName, workloadEndpointName } from "@tortie/api";
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

/**
 * The key prefix of the copies earlier plugins wrote beside the resource.
 * @deprecated Nothing is written there any more; DEL removes what it finds.
 */
export const WORKLOAD_ENDPOINT_PREFIX = "/tortie/workloadendpoints/v1/";

/**
 * The key of an earlier plugin's copy: prefix/node/network/containerId/ifname.
 * @deprecated Endpoints live at {@link calicoEndpointKey} only.
 */
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

interface StoredEndpoint {
  metadata?: { name?: unknown; namespace?: unknown; annotations?: Record<string, unknown> };
  spec?: { node?: unknown; containerID?: unknown; endpoint?: unknown };
}

function parseStored(value: string): StoredEndpoint | undefined {
  try {
    const o = JSON.parse(value) as unknown;
    return typeof o === "object" && o !== null ? (o as StoredEndpoint) : undefined;
  } catch {
    return undefined;
  }
}

/** Endpoints in a @tortie/datastore store, as Calico WorkloadEndpoint resources. */
export class DatastoreEndpoints implements EndpointSink {
  constructor(private readonly store: Datastore) {}

  async put(ep: WorkloadEndpoint): Promise<void> {
    const key = calicoEndpointKey(ep.namespace, calicoEndpointName(ep));
    await this.store.txn({
      compare: [],
      ops: [{ type: "put", key, value: JSON.stringify(endpointDocument(ep)) }],
    });
  }

  /**
   * Removes the endpoint of this attachment: every WorkloadEndpoint of
   * `node` whose name ends in `ifname` and whose spec.containerID is
   * `containerId` (and whose network annotation, when present, is
   * `network`), plus an earlier plugin's copy. Each resource is deleted only
   * if unchanged since it was read (an ADD of the same pod in between wins).
   */
  async delete(node: string, network: string, containerId: string, ifname: string): Promise<void> {
    const ops: { type: "delete"; key: string }[] = [];
    const compare: { key: string; modRevision: number }[] = [];
    const legacy = endpointKey(node, network, containerId, ifname);
    const old = await this.store.get(legacy);
    if (old) ops.push({ type: "delete", key: legacy });
    const keys = await this.store.list(CALICO_WORKLOAD_ENDPOINTS, { keysOnly: true });
    for (const { key } of keys.kvs) {
      const id = parseWorkloadEndpointName(key.slice(key.lastIndexOf("/") + 1));
      if (id?.node !== node || id.endpoint !== ifname) continue;
      const kv = await this.store.get(key);
      const o = kv && parseStored(kv.value);
      if (!kv || !o) continue;
      const net = o.metadata?.annotations?.[NETWORK_ANNOTATION];
      if (o.spec?.containerID !== containerId || (net !== undefined && net !== network)) continue;
      ops.push({ type: "delete", key });
      compare.push({ key, modRevision: kv.modRevision });
    }
    if (!ops.length) return;
    const r = await this.store.txn({ compare, ops });
    // Changed in between (a new ADD of the pod took the name): it is no longer ours.
    if (!r.succeeded && old) await this.store.delete(legacy);
  }

  async ping(): Promise<void> {
    await this.store.get(`${CALICO_WORKLOAD_ENDPOINTS}.ping`);
  }

  /** The store is the caller's to close. */
  async close(): Promise<void> {}
}
