// Reads what the routing picture is made of from a datastore (the I/O edge
// of ./model.ts): Nodes, BGPPeers, the default BGPConfiguration, workload
// endpoints, IPAM blocks and the agents' status records.
import { CALICO_API, ResourceClient } from "@tortie/api";
import type { Datastore } from "@tortie/datastore";
import { Ipam } from "@tortie/ipam";
import { NODE_STATUS_PREFIX } from "../commands/node.js";
import { buildGraph, type ClusterGraph, type GraphInputs, type StatusRecord } from "./model.js";

/** The inputs of {@link buildGraph}, read from `store` now. */
export async function readGraphInputs(store: Datastore, now = Date.now()): Promise<GraphInputs> {
  const client = new ResourceClient(store);
  const [nodes, bgpPeers, bgpConfiguration, workloadEndpoints, blocks, records] = await Promise.all(
    [
      client.list(CALICO_API, "Node"),
      client.list(CALICO_API, "BGPPeer"),
      client.get({ apiVersion: CALICO_API, kind: "BGPConfiguration", name: "default" }),
      client.list(CALICO_API, "WorkloadEndpoint"),
      new Ipam({ store }).listBlocks(),
      readStatusRecords(store),
    ],
  );
  return {
    nodes,
    bgpPeers,
    ...(bgpConfiguration ? { bgpConfiguration } : {}),
    workloadEndpoints,
    blocks,
    records,
    now,
  };
}

/** Every agent's status record (a record that is not JSON is left out). */
export async function readStatusRecords(store: Datastore): Promise<StatusRecord[]> {
  const out: StatusRecord[] = [];
  for (const kv of (await store.list(NODE_STATUS_PREFIX)).kvs) {
    try {
      const r = JSON.parse(kv.value) as StatusRecord;
      if (r && typeof r.node === "string" && Array.isArray(r.bgp?.peers)) out.push(r);
    } catch {
      // a record being rewritten by hand is not the picture's business
    }
  }
  return out;
}

/** The picture of the cluster in `store` now. */
export async function readGraph(store: Datastore, now = Date.now()): Promise<ClusterGraph> {
  return buildGraph(await readGraphInputs(store, now));
}
