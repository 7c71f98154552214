// Lays the routing picture out with ELK's layered algorithm (elkjs) and
// turns the positions into a Scene. ELK places everything: peers on top,
// nodes below them (each node a box holding its blocks, each block a box
// holding its pods), and each node-to-node session as a small box under the
// nodes joined to both ends — a full mesh drawn as direct node-to-node edges
// would make the layering algorithm stack the nodes on top of each other.
// Text is measured as monospace (12 px, 7.2 px a character), so sizes are
// the same wherever the picture is drawn.
import ELK, { type ElkExtendedEdge, type ElkLabel, type ElkNode } from "elkjs/lib/elk.bundled.js";
import type { Layouter } from "./layout-worker.js";
import type {
  ClusterGraph,
  GraphBlock,
  GraphNode,
  GraphPeer,
  GraphPod,
  GraphSession,
} from "./model.js";
import { type Scene, type SceneItem, SESSION_COLOURS } from "./scene-types.js";

const CHAR_W = 7.2;
const LINE_H = 15;
const PAD = 6;

const HEALTH_COLOURS: Record<GraphNode["health"], string> = {
  ok: "#37474f",
  "not-ready": "#ef6c00",
  silent: "#c62828",
  "no-record": "#9e9e9e",
};

interface Line {
  readonly text: string;
  readonly bold?: boolean;
  readonly fill?: string;
  readonly upSince?: number;
}

const width = (lines: readonly Line[]) =>
  Math.ceil(
    Math.max(...lines.map((l) => (l.text.length + (l.upSince !== undefined ? 6 : 0)) * CHAR_W)) +
      2 * PAD,
  );
const height = (lines: readonly Line[]) => lines.length * LINE_H + 2 * PAD - 3;

function nodeLines(n: GraphNode): Line[] {
  const lines: Line[] = [{ text: n.name, bold: true }];
  lines.push({
    text: `${n.address ?? "no address"}${n.asn !== undefined ? ` · AS ${n.asn}` : ""}`,
  });
  if (n.routeReflector) lines.push({ text: `route reflector, cluster ID ${n.routeReflector}` });
  const health = {
    ok: "agent: ok",
    "not-ready": "agent: NOT READY",
    silent: "agent: SILENT (not reporting)",
    "no-record": "agent: no status record",
  }[n.health];
  lines.push({ text: health, fill: HEALTH_COLOURS[n.health], bold: n.health !== "ok" });
  return lines;
}

function blockLines(b: GraphBlock): Line[] {
  const lines: Line[] = [{ text: `block ${b.cidr}`, bold: true }];
  lines.push({ text: `${b.inUse}/${b.capacity} addresses in use` });
  if (b.borrowed.length) {
    const to = [...new Set(b.borrowed.map((x) => x.node))].sort().join(", ");
    lines.push({ text: `${b.borrowed.length} borrowed by ${to}`, fill: "#ef6c00" });
  }
  return lines;
}

function podLines(p: GraphPod): Line[] {
  const lines: Line[] = [
    { text: p.name, bold: true },
    { text: `ns ${p.namespace}` },
    { text: p.address ?? "no address" },
  ];
  if (p.borrowedBy)
    lines.push({ text: `borrowed: runs on ${p.borrowedBy}`, fill: "#ef6c00", bold: true });
  return lines;
}

function peerLines(p: GraphPeer): Line[] {
  return [
    { text: p.name, bold: true },
    { text: p.address },
    {
      text: `${p.asn !== undefined ? `AS ${p.asn} · ` : ""}${p.origin === "bgppeer" ? "BGPPeer" : "dynamic peer"}`,
    },
  ];
}

function sessionLines(s: GraphSession, names: ReadonlyMap<string, string>): Line[] {
  const fill = SESSION_COLOURS[s.colour];
  const lines: Line[] = [
    s.since !== undefined
      ? { text: `${s.state} up `, bold: true, fill, upSince: s.since }
      : { text: s.state, bold: true, fill },
  ];
  for (const r of s.reports) {
    const who = s.kind === "mesh" ? `${r.node}: ` : "";
    lines.push({ text: `${who}${r.received} in / ${r.advertised} out${r.live ? "" : " (stale)"}` });
  }
  if (s.kind === "mesh") lines.push({ text: `${names.get(s.a)} ⇄ ${names.get(s.b)}` });
  return lines;
}

const box = (id: string, lines: Line[]): ElkNode => ({
  id,
  width: width(lines),
  height: height(lines),
});

function container(id: string, lines: Line[], direction: "RIGHT" | "DOWN", children: ElkNode[]) {
  const w = width(lines);
  return {
    id,
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": direction,
      "elk.padding": `[top=${height(lines) + 4},left=${PAD + 2},bottom=${PAD + 2},right=${PAD + 2}]`,
      "elk.spacing.nodeNode": "10",
      "elk.nodeSize.constraints": "MINIMUM_SIZE",
      "elk.nodeSize.minimum": `(${w + 4}, ${height(lines) + 8})`,
    },
    children,
  } satisfies ElkNode;
}

/** Lays `g` out (in this thread unless given another layouter) and returns the picture. */
export async function layoutGraph(
  g: ClusterGraph,
  layout: Layouter = (root) => new ELK().layout(root),
): Promise<Scene> {
  const names = new Map<string, string>([
    ...g.nodes.map((n) => [n.id, n.name] as const),
    ...g.peers.map((p) => [p.id, p.name] as const),
  ]);
  const lines = new Map<string, Line[]>();
  const keep = (id: string, l: Line[]) => {
    lines.set(id, l);
    return l;
  };
  // ELK ids are the model's ids with a prefix saying what the box is.
  const children: ElkNode[] = [];
  for (const p of g.peers) children.push(box(p.id, keep(p.id, peerLines(p))));
  for (const n of g.nodes) {
    const inner: ElkNode[] = n.blocks.map((b) =>
      container(
        `block:${n.name}:${b.cidr}`,
        keep(`block:${n.name}:${b.cidr}`, blockLines(b)),
        "RIGHT",
        b.pods.map((p) => box(p.id, keep(p.id, podLines(p)))),
      ),
    );
    for (const p of n.unblocked) inner.push(box(p.id, keep(p.id, podLines(p))));
    children.push(container(n.id, keep(n.id, nodeLines(n)), "DOWN", inner));
  }
  const edges: ElkExtendedEdge[] = [];
  for (const s of g.sessions) {
    const l = keep(`session:${s.id}`, sessionLines(s, names));
    if (s.kind === "mesh") {
      children.push(box(`session:${s.id}`, l));
      edges.push({ id: `edge:${s.id}:a`, sources: [s.a], targets: [`session:${s.id}`] });
      edges.push({ id: `edge:${s.id}:b`, sources: [s.b], targets: [`session:${s.id}`] });
    } else {
      const label: ElkLabel = {
        id: `label:${s.id}`,
        text: l.map((x) => x.text).join(" "),
        width: width(l),
        height: height(l),
      };
      edges.push({ id: `edge:${s.id}`, sources: [s.b], targets: [s.a], labels: [label] });
    }
  }
  const root: ElkNode = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "DOWN",
      "elk.edgeRouting": "ORTHOGONAL",
      "elk.spacing.nodeNode": "30",
      "elk.spacing.edgeEdge": "12",
      "elk.spacing.edgeLabel": "4",
      "elk.layered.spacing.nodeNodeBetweenLayers": "50",
      "elk.layered.spacing.edgeNodeBetweenLayers": "20",
      "elk.edgeLabels.placement": "CENTER",
      "elk.padding": "[top=20,left=20,bottom=20,right=20]",
      "elk.hierarchyHandling": "SEPARATE_CHILDREN",
    },
    children,
    edges,
  };
  const out = await layout(root);
  return toScene(g, out, lines);
}

function textItems(lines: readonly Line[], x: number, y: number): SceneItem[] {
  return lines.map((l, k) => ({
    t: "text" as const,
    x: x + PAD,
    y: y + PAD + 9 + k * LINE_H,
    text: l.text,
    ...(l.bold ? { bold: true } : {}),
    ...(l.fill ? { fill: l.fill } : {}),
    ...(l.upSince !== undefined ? { upSince: l.upSince } : {}),
  }));
}

const r1 = (n: number) => Math.round(n * 10) / 10;

function toScene(g: ClusterGraph, laid: ElkNode, lines: ReadonlyMap<string, Line[]>): Scene {
  const items: SceneItem[] = [];
  const sessions = new Map(g.sessions.map((s) => [s.id, s]));
  const nodes = new Map(g.nodes.map((n) => [n.id, n]));
  const pods = new Map(
    g.nodes
      .flatMap((n) => [...n.blocks.flatMap((b) => b.pods), ...n.unblocked])
      .map((p) => [p.id, p]),
  );

  // Edges first, so boxes are drawn over their ends.
  for (const e of laid.edges ?? []) {
    const id = e.id.replace(/^edge:/, "").replace(/:[ab]$/, "");
    const s = sessions.get(id)!;
    const stroke = SESSION_COLOURS[s.colour];
    const parts: SceneItem[] = [];
    for (const sec of e.sections ?? []) {
      const pts = [sec.startPoint, ...(sec.bendPoints ?? []), sec.endPoint];
      parts.push({
        t: "path",
        d: pts.map((p, k) => `${k ? "L" : "M"}${r1(p.x)} ${r1(p.y)}`).join(" "),
        stroke,
        width: 2.5,
        ...(s.colour === "unknown" ? { dash: true } : {}),
      });
    }
    for (const lab of e.labels ?? []) {
      const l = lines.get(`session:${id}`)!;
      parts.push({
        t: "rect",
        x: r1(lab.x!),
        y: r1(lab.y!),
        w: lab.width!,
        h: lab.height!,
        fill: "#ffffff",
        stroke,
      });
      parts.push(...textItems(l, r1(lab.x!), r1(lab.y!)));
    }
    items.push({
      t: "g",
      ref: { kind: "session", id },
      state: s.state,
      ...(s.note ? { title: s.note } : {}),
      items: parts,
    });
  }

  const place = (n: ElkNode, ox: number, oy: number): void => {
    const x = r1(ox + (n.x ?? 0));
    const y = r1(oy + (n.y ?? 0));
    const w = r1(n.width ?? 0);
    const h = r1(n.height ?? 0);
    const l = lines.get(n.id) ?? [];
    const parts: SceneItem[] = [];
    if (n.id.startsWith("node:")) {
      const gn = nodes.get(n.id)!;
      parts.push({
        t: "rect",
        x,
        y,
        w,
        h,
        fill: "#f5f7fa",
        stroke: HEALTH_COLOURS[gn.health],
        ...(gn.health === "silent" ? { dash: true } : {}),
      });
      parts.push(...textItems(l, x, y));
      items.push({
        t: "g",
        ref: { kind: "node", id: gn.name },
        state: gn.health,
        title: `agent ${gn.health}: ${gn.healthNote}`,
        items: parts,
      });
    } else if (n.id.startsWith("block:")) {
      parts.push({ t: "rect", x, y, w, h, fill: "#e8eef7", stroke: "#90a4ae" });
      parts.push(...textItems(l, x, y));
      items.push({ t: "g", ref: { kind: "block", id: n.id.slice(6) }, items: parts });
    } else if (n.id.startsWith("pod:")) {
      const p = pods.get(n.id)!;
      parts.push({
        t: "rect",
        x,
        y,
        w,
        h,
        fill: p.borrowedBy ? "#fff3e0" : "#ffffff",
        stroke: p.borrowedBy ? "#ef6c00" : "#78909c",
      });
      parts.push(...textItems(l, x, y));
      items.push({
        t: "g",
        ref: { kind: "pod", id: `${p.namespace}/${p.endpoint}` },
        ...(p.borrowedBy ? { state: "borrowed" } : {}),
        items: parts,
      });
    } else if (n.id.startsWith("peer:")) {
      parts.push({ t: "rect", x, y, w, h, fill: "#fffde7", stroke: "#5d4037" });
      parts.push(...textItems(l, x, y));
      items.push({ t: "g", ref: { kind: "peer", id: n.id.slice(5) }, items: parts });
    } else if (n.id.startsWith("session:")) {
      const s = sessions.get(n.id.slice(8))!;
      const stroke = SESSION_COLOURS[s.colour];
      parts.push({
        t: "rect",
        x,
        y,
        w,
        h,
        fill: "#ffffff",
        stroke,
        ...(s.colour === "unknown" ? { dash: true } : {}),
      });
      parts.push(...textItems(l, x, y));
      items.push({
        t: "g",
        ref: { kind: "session", id: s.id },
        state: s.state,
        ...(s.note ? { title: s.note } : {}),
        items: parts,
      });
    }
    for (const c of n.children ?? []) place(c, x, y);
  };
  for (const c of laid.children ?? []) place(c, 0, 0);
  return { width: Math.ceil(laid.width ?? 0), height: Math.ceil(laid.height ?? 0), items };
}
