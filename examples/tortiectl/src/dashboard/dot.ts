// The routing picture in Graphviz DOT: a cluster per node holding its blocks
// and pods, a box per external peer, an edge per session coloured by state.
// Every identifier and label is a quoted DOT string (./escape.ts).
import { dotString as q } from "./escape.js";
import type { ClusterGraph, GraphPod } from "./model.js";
import { formatUptime, SESSION_COLOURS } from "./scene-types.js";

/** The DOT text of `g`; uptimes are computed at `now`. */
export function graphToDot(g: ClusterGraph, now: number): string {
  const out = [
    "digraph tortie {",
    '  graph [rankdir=TB, fontname="monospace", compound=true];',
    '  node [shape=box, fontname="monospace", fontsize=10];',
    '  edge [dir=none, fontname="monospace", fontsize=9];',
  ];
  const pod = (p: GraphPod, indent: string) =>
    out.push(
      `${indent}${q(p.id)} [label=${q(`${p.name}\nns ${p.namespace}\n${p.address ?? "no address"}${p.borrowedBy ? `\nborrowed: runs on ${p.borrowedBy}` : ""}`)}${p.borrowedBy ? ', color="#ef6c00"' : ""}];`,
    );
  for (const p of g.peers)
    out.push(
      `  ${q(p.id)} [label=${q(`${p.name}\n${p.address}${p.asn !== undefined ? `\nAS ${p.asn}` : ""}`)}, style=filled, fillcolor="#fffde7"];`,
    );
  g.nodes.forEach((n, k) => {
    out.push(`  subgraph ${q(`cluster_${k}`)} {`);
    out.push(
      `    label=${q(`${n.name}\n${n.address ?? "no address"}${n.asn !== undefined ? ` · AS ${n.asn}` : ""}\nagent: ${n.health}`)};`,
    );
    // The node's BGP speaker: the end of its sessions.
    out.push(`    ${q(n.id)} [label=${q(`${n.name} (BGP)`)}, shape=ellipse];`);
    n.blocks.forEach((b, j) => {
      out.push(`    subgraph ${q(`cluster_${k}_${j}`)} {`);
      out.push(`      label=${q(`block ${b.cidr} ${b.inUse}/${b.capacity}`)};`);
      for (const p of b.pods) pod(p, "      ");
      if (b.pods.length === 0)
        out.push(`      ${q(`empty:${b.cidr}`)} [label="(no pods)", shape=plaintext];`);
      out.push("    }");
    });
    for (const p of n.unblocked) pod(p, "    ");
    out.push("  }");
  });
  for (const s of g.sessions) {
    const label = [
      s.since !== undefined ? `${s.state} up ${formatUptime(now - s.since)}` : s.state,
      ...s.reports.map(
        (r) => `${r.node}: ${r.received} in / ${r.advertised} out${r.live ? "" : " (stale)"}`,
      ),
    ].join("\n");
    out.push(
      `  ${q(s.b)} -> ${q(s.a)} [label=${q(label)}, color=${q(SESSION_COLOURS[s.colour])}, penwidth=2${s.colour === "unknown" ? ", style=dashed" : ""}];`,
    );
  }
  out.push("}", "");
  return out.join("\n");
}
