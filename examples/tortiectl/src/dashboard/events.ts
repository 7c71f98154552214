// What changed between two pictures, as events for the node panel's "recent
// events" (pure): session state changes as each end reports them (flaps),
// agents going silent or not ready, configuration and reconcile problems an
// agent reports, pods appearing and going.
import type { ClusterGraph, StatusRecord } from "./model.js";

/** One event. */
export interface DashboardEvent {
  /** ISO 8601. */
  readonly at: string;
  /** The nodes it concerns. */
  readonly nodes: readonly string[];
  readonly kind: "session" | "agent" | "issue" | "pod";
  readonly text: string;
}

/** A picture plus the records it came from. */
export interface Observed {
  readonly graph: ClusterGraph;
  readonly records: readonly StatusRecord[];
}

/** The events that lead from `before` (undefined at start) to `after`. */
export function diffEvents(
  before: Observed | undefined,
  after: Observed,
  at: string,
): DashboardEvent[] {
  const out: DashboardEvent[] = [];
  const oldRecords = new Map(before?.records.map((r) => [r.node, r]));
  for (const r of after.records) {
    const old = oldRecords.get(r.node);
    for (const p of r.bgp.peers) {
      const was = old?.bgp.peers.find((q) => q.address === p.address);
      if (before && was?.state === p.state && was.since === p.since) continue;
      if (!before && p.state === "Established") {
        out.push({
          at: new Date(p.since).toISOString(),
          nodes: [r.node],
          kind: "session",
          text: `session to ${p.address} Established`,
        });
        continue;
      }
      out.push({
        at: new Date(p.since).toISOString(),
        nodes: [r.node],
        kind: "session",
        text: `session to ${p.address} ${was ? `${was.state} → ` : ""}${p.state}${p.lastError ? ` (${p.lastError})` : ""}`,
      });
    }
    for (const p of old?.bgp.peers ?? [])
      if (!r.bgp.peers.some((q) => q.address === p.address))
        out.push({ at, nodes: [r.node], kind: "session", text: `session to ${p.address} removed` });
    const oldIssues = new Set((old?.issues ?? []).map((i) => JSON.stringify(i)));
    for (const i of r.issues ?? [])
      if (!oldIssues.has(JSON.stringify(i)))
        out.push({
          at: r.updated,
          nodes: [r.node],
          kind: "issue",
          text: `${i.resource}${i.path ? ` ${i.path}` : ""}: ${i.message}`,
        });
  }
  const oldNodes = new Map(before?.graph.nodes.map((n) => [n.name, n]));
  for (const n of after.graph.nodes) {
    const was = oldNodes.get(n.name);
    if (was?.health === n.health || (!was && n.health === "ok")) continue;
    out.push({
      at,
      nodes: [n.name],
      kind: "agent",
      text: `agent ${was ? `${was.health} → ` : ""}${n.health}: ${n.healthNote}`,
    });
  }
  const podsOf = (g: ClusterGraph | undefined) =>
    new Map(
      (g?.nodes ?? [])
        .flatMap((n) => [...n.blocks.flatMap((b) => b.pods), ...n.unblocked])
        .map((p) => [p.id, p]),
    );
  if (before) {
    const was = podsOf(before.graph);
    const now = podsOf(after.graph);
    for (const [id, p] of now)
      if (!was.has(id))
        out.push({
          at,
          nodes: [p.node],
          kind: "pod",
          text: `pod ${p.namespace}/${p.name} appeared (${p.address ?? "no address"})`,
        });
    for (const [id, p] of was)
      if (!now.has(id))
        out.push({ at, nodes: [p.node], kind: "pod", text: `pod ${p.namespace}/${p.name} gone` });
  }
  return out.sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0));
}
