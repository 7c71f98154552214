// Calico's resource names that are derived from other fields
// (libcalico-go `lib/names/workloadendpoint.go`): a WorkloadEndpoint is named
// `<node>-<orchestrator>-<workload>-<endpoint>`, each part with its own "-"
// doubled, so the four parts can be read back.

/** The parts of a WorkloadEndpoint name. */
export interface WorkloadEndpointIdentifiers {
  readonly node: string;
  readonly orchestrator: string;
  readonly workload: string;
  readonly endpoint: string;
}

const escapeDashes = (s: string) => s.replace(/-/g, "--");

/** Calico's WorkloadEndpoint name for its identifiers (`node1-k8s-my--pod-eth0`). */
export function workloadEndpointName(id: WorkloadEndpointIdentifiers): string {
  for (const [k, v] of Object.entries(id)) {
    if (!v) throw new TypeError(`workload endpoint ${k} must not be empty`);
  }
  return [id.node, id.orchestrator, id.workload, id.endpoint].map(escapeDashes).join("-");
}

/** The identifiers in a WorkloadEndpoint name; undefined when it is not four parts. */
export function parseWorkloadEndpointName(name: string): WorkloadEndpointIdentifiers | undefined {
  // Split on single dashes only: "--" is an escaped dash inside a part.
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < name.length; i++) {
    if (name[i] === "-" && name[i + 1] === "-") {
      cur += "-";
      i++;
    } else if (name[i] === "-") {
      parts.push(cur);
      cur = "";
    } else cur += name[i];
  }
  parts.push(cur);
  if (parts.length !== 4 || parts.some((p) => !p)) return undefined;
  const [node, orchestrator, workload, endpoint] = parts as [string, string, string, string];
  return { node, orchestrator, workload, endpoint };
}
