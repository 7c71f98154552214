// What the dashboard shows when a node or a pod is clicked, read from the
// datastore: a node's routes and status record, a pod's endpoint and the
// policies that select it (the policy engine's own plan for the endpoint).
import { type Resource, ResourceClient } from "@tortie/api";
import type { Datastore } from "@tortie/datastore";
import { PolicyEngine } from "@tortie/policy";
import { NODE_STATUS_PREFIX } from "../commands/node.js";
import { POLICY_KINDS } from "../commands/policy.js";
import type { StatusRecord } from "./model.js";

/** A node's routes as its agent reported them. */
export interface NodeRoutes {
  /** One blackhole route per block affine to the node (Calico programs these). */
  readonly blackholes: readonly string[];
  /** Prefixes the node originates in BGP. */
  readonly originated: readonly string[];
  /** Routes to the node's own pods programmed in the kernel. */
  readonly workloads: number;
  /** Routes learned over BGP and installed. */
  readonly learned: number;
  /** Per session: prefixes received (learned) and advertised. */
  readonly perPeer: readonly {
    peer: string;
    state: string;
    received: number;
    advertised: number;
  }[];
}

/** The node panel. */
export interface NodeDetails {
  readonly name: string;
  readonly record?: StatusRecord;
  readonly routes?: NodeRoutes;
  readonly issues: readonly { resource: string; path: string; message: string }[];
}

/** Reads a node's panel. */
export async function nodeDetails(store: Datastore, name: string): Promise<NodeDetails> {
  const kv = await store.get(`${NODE_STATUS_PREFIX}${name}`);
  if (!kv) return { name, issues: [] };
  const record = JSON.parse(kv.value) as StatusRecord;
  return {
    name,
    record,
    routes: {
      blackholes: record.routes.blocks,
      originated: record.bgp.originated ?? [],
      workloads: record.routes.workloads,
      learned: record.routes.learned,
      perPeer: record.bgp.peers.map((p) => ({
        peer: p.address,
        state: p.state,
        received: p.received,
        advertised: p.advertised,
      })),
    },
    issues: record.issues ?? [],
  };
}

/** A policy that selects an endpoint, in evaluation order. */
export interface SelectingPolicy {
  readonly direction: "ingress" | "egress";
  readonly tier: string;
  readonly name: string;
  readonly order?: number;
  readonly selector: string;
}

/** The pod panel. */
export interface PodDetails {
  readonly id: string;
  readonly endpoint?: Resource;
  readonly policies: readonly SelectingPolicy[];
  readonly profiles: readonly string[];
}

/** Reads a pod's panel; `id` is `namespace/endpoint-name`. */
export async function podDetails(store: Datastore, id: string): Promise<PodDetails> {
  const [ns, name] = id.includes("/") ? (id.split("/", 2) as [string, string]) : ["default", id];
  const client = new ResourceClient(store);
  const all: Resource[] = [];
  for (const [apiVersion, kind] of POLICY_KINDS) all.push(...(await client.list(apiVersion, kind)));
  const endpoint = all.find(
    (r) =>
      r.kind === "WorkloadEndpoint" &&
      (r.metadata as { name: string }).name === name &&
      ((r.metadata as { namespace?: string }).namespace ?? "default") === ns,
  );
  if (!endpoint) return { id, policies: [], profiles: [] };
  const engine = new PolicyEngine();
  engine.apply(all);
  const ep = engine.endpoint(`wep:${ns}/${name}`);
  const policies: SelectingPolicy[] = [];
  if (ep) {
    for (const direction of ["ingress", "egress"] as const) {
      for (const t of engine.plan(ep, direction)) {
        for (const p of t.policies) {
          policies.push({
            direction,
            tier: t.tier.name,
            name: p.name,
            ...(p.order !== undefined ? { order: p.order } : {}),
            selector: p.selector.text,
          });
        }
      }
    }
  }
  return { id, endpoint, policies, profiles: ep ? [...ep.profiles] : [] };
}
