// `tortiectl policy explain --from POD|IP --to POD|IP --port P/PROTO`: loads
// the cluster's policy resources and endpoints from the datastore into the
// policy engine and prints its verdict with the trace — which tier, policy
// and rule decided, and why each passed-over policy did not match.
import {
  CALICO_API,
  K8S_CORE_API,
  K8S_NETWORKING_API,
  type Resource,
  ResourceClient,
} from "@tortie/api";
import type { Datastore } from "@tortie/datastore";
import { type Flow, PolicyEngine } from "@tortie/policy";
import { CommandError, UsageError } from "../errors.js";

/** Everything the policy engine reads, in an order where what is referred to comes first. */
export const POLICY_KINDS: readonly [string, string][] = [
  [K8S_CORE_API, "Namespace"],
  [CALICO_API, "Profile"],
  [CALICO_API, "Tier"],
  [CALICO_API, "GlobalNetworkSet"],
  [CALICO_API, "NetworkSet"],
  [CALICO_API, "HostEndpoint"],
  [CALICO_API, "WorkloadEndpoint"],
  [CALICO_API, "GlobalNetworkPolicy"],
  [CALICO_API, "NetworkPolicy"],
  [K8S_NETWORKING_API, "NetworkPolicy"],
];

/** Options of `policy explain`. */
export interface ExplainOptions {
  readonly from: string;
  readonly to: string;
  readonly port?: string;
  readonly protocol?: string;
}

/** Reads policy state from `store` and explains one flow. */
export async function policyExplain(
  store: Datastore,
  o: ExplainOptions,
): Promise<{ text: string; verdict: string }> {
  const client = new ResourceClient(store);
  const all: Resource[] = [];
  for (const [apiVersion, kind] of POLICY_KINDS) all.push(...(await client.list(apiVersion, kind)));
  const engine = new PolicyEngine();
  engine.apply(all);
  const weps = all.filter((r) => r.kind === "WorkloadEndpoint");
  const { protocol, port } = parsePortProto(o.port, o.protocol);
  const flow: Flow = {
    ...side("src", o.from, weps),
    ...side("dst", o.to, weps),
    protocol,
    ...(port !== undefined ? { dstPort: port } : {}),
  };
  let e: ReturnType<PolicyEngine["evaluate"]>;
  try {
    e = engine.evaluate(flow, { trace: true });
  } catch (err) {
    throw new CommandError((err as Error).message);
  }
  return { text: `${engine.explain(e).trimEnd()}\n`, verdict: e.verdict };
}

// A side of the flow: an address as given, or a pod (`ns/pod` or `pod` in
// "default") found among the workload endpoints.
function side(which: "src" | "dst", value: string, weps: readonly Resource[]): Partial<Flow> {
  if (/^[0-9.]+$/.test(value) || value.includes(":")) return { [which]: value };
  const [ns, pod] = value.includes("/")
    ? (value.split("/", 2) as [string, string])
    : ["default", value];
  const hit = weps.find((w) => {
    const s = (w as { spec: { pod?: string } }).spec;
    const m = w.metadata as { name: string; namespace?: string };
    return (m.namespace ?? "default") === ns && (s.pod === pod || m.name === pod);
  });
  if (!hit) throw new CommandError(`no workload endpoint for pod ${ns}/${pod}`);
  const ip = ((hit as { spec: { ipNetworks?: string[] } }).spec.ipNetworks ?? [])[0]?.split("/")[0];
  if (!ip) throw new CommandError(`pod ${ns}/${pod} has no address`);
  return {
    [which]: ip,
    [which === "src" ? "srcEndpoint" : "dstEndpoint"]:
      `wep:${ns}/${(hit.metadata as { name: string }).name}`,
  };
}

function parsePortProto(
  port: string | undefined,
  protocol: string | undefined,
): { protocol: string; port?: number } {
  if (port === undefined) return { protocol: (protocol ?? "TCP").toUpperCase() };
  const m = /^(\d{1,5})(?:\/([A-Za-z0-9]+))?$/.exec(port);
  if (!m || Number(m[1]) > 65535)
    throw new UsageError(`--port must be PORT or PORT/PROTO (e.g. 8080/TCP), not ${port}`);
  return { protocol: (m[2] ?? protocol ?? "TCP").toUpperCase(), port: Number(m[1]) };
}
