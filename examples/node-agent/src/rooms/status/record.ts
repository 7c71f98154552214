// The node's status as one plain record (pure): what `tortie-node status`
// prints, what the control socket answers and what is written to the
// datastore — shaped after Calico's CalicoNodeStatus (agent, bgp, routes);
// the record's schema and type are @tortie/api's.
import type { NodeStatusRecord } from "@tortie/api";
import type { SpeakerStatus } from "@tortie/bgp";
import type { SnapshotIssue } from "../../snapshot/snapshot.js";
import type { ConfigIssue } from "../bgp-config/desired.js";

/** The status record (its schema is `@tortie/api`'s `nodeStatusRecord`). */
export type NodeStatus = NodeStatusRecord;
/** Where node status records are kept in the datastore: `@tortie/api`'s. */
export { NODE_STATUS_PREFIX } from "@tortie/api";

/** Everything a record is made of. */
export interface StatusInputs {
  readonly node: string;
  readonly now: Date;
  readonly startedAt: Date;
  readonly ready: boolean;
  readonly datastoreConnected: boolean;
  readonly lastDatastoreError?: string;
  readonly speaker?: SpeakerStatus;
  readonly peerSources: ReadonlyMap<string, string>;
  readonly blocks: readonly string[];
  readonly workloads: number;
  readonly learned: number;
  readonly snapshotIssues: readonly SnapshotIssue[];
  readonly configIssues: readonly ConfigIssue[];
}

/** Builds the record. */
export function nodeStatus(i: StatusInputs): NodeStatus {
  return {
    node: i.node,
    updated: i.now.toISOString(),
    agent: {
      ready: i.ready,
      datastore: i.datastoreConnected ? "connected" : "disconnected",
      ...(i.lastDatastoreError ? { lastDatastoreError: i.lastDatastoreError } : {}),
      startedAt: i.startedAt.toISOString(),
    },
    bgp: {
      ...(i.speaker ? { asn: i.speaker.asn, routerId: i.speaker.routerId } : {}),
      peers: (i.speaker?.peers ?? []).map((p) => ({
        address: p.address,
        source: i.peerSources.get(p.address) ?? "dynamic",
        state: p.state,
        since: p.since,
        received: p.prefixes.received,
        advertised: p.prefixes.advertised,
        ...(p.lastError ? { lastError: p.lastError.reason ?? p.lastError.event } : {}),
      })),
      originated: [...(i.speaker?.originated ?? [])].sort(),
    },
    routes: { blocks: [...i.blocks], workloads: i.workloads, learned: i.learned },
    issues: [
      ...i.snapshotIssues.map((s) => ({ resource: s.resource, path: s.path, message: s.message })),
      ...i.configIssues,
    ],
  };
}

/** A `calicoctl node status`-like text. */
export function formatNodeStatus(s: NodeStatus): string {
  const lines = [
    `Tortie node ${s.node} is ${s.agent.ready ? "ready" : "NOT ready"} (datastore ${s.agent.datastore})`,
    `AS ${s.bgp.asn ?? "?"}, router ID ${s.bgp.routerId ?? "?"}`,
    "",
    "IPv4/IPv6 BGP status",
  ];
  const rows = [["PEER ADDRESS", "PEER TYPE", "STATE", "SINCE", "ROUTES IN", "ROUTES OUT", "INFO"]];
  for (const p of s.bgp.peers)
    rows.push([
      p.address,
      p.source.startsWith("BGPPeer/")
        ? `global ${p.source.slice(8)}`
        : p.source === "mesh"
          ? "node-to-node mesh"
          : p.source,
      p.state === "Established" ? "up" : "start",
      new Date(p.since).toISOString().slice(11, 19),
      String(p.received),
      String(p.advertised),
      p.state === "Established"
        ? "Established"
        : `${p.state}${p.lastError ? ` (${p.lastError})` : ""}`,
    ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    lines.push(
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    );
  lines.push(
    "",
    `Blocks: ${s.routes.blocks.join(", ") || "none"}; originated: ${s.bgp.originated.length}; workload routes: ${s.routes.workloads}; learned routes: ${s.routes.learned}`,
  );
  if (s.issues.length) {
    lines.push("", "Configuration problems (last good configuration kept):");
    for (const i of s.issues) lines.push(`  ${i.resource}: ${i.path || "(value)"}: ${i.message}`);
  }
  return `${lines.join("\n")}\n`;
}
