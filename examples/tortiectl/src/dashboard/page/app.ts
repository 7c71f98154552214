/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The dashboard page (bundled with esbuild at build time, served by
// `tortiectl dashboard`). It draws the server's Scene as SVG elements, keeps
// it live from the server's event stream, and opens a panel for a clicked
// node or pod. Everything it shows came from the datastore, so text is only
// ever set with textContent and attribute values with setAttribute: no
// string from the server is parsed as markup.
import type { ClusterGraph } from "../model.js";
import { itemText, type Scene, type SceneItem, SESSION_COLOURS } from "../scene-types.js";

const SVG = "http://www.w3.org/2000/svg";

interface Selected {
  readonly kind: "node" | "pod" | "session" | "peer";
  readonly id: string;
}

let graph: ClusterGraph | undefined;
let selected: Selected | undefined;
let uptimes: { el: SVGTextElement; item: { text: string; upSince?: number } }[] = [];

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  attrs: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function s(tag: string, attrs: Record<string, string | number>): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function drawItem(it: SceneItem, parent: Element): void {
  switch (it.t) {
    case "rect":
      parent.append(
        s("rect", {
          x: it.x,
          y: it.y,
          width: it.w,
          height: it.h,
          rx: 4,
          fill: it.fill,
          stroke: it.stroke,
          "stroke-width": 1.5,
          ...(it.dash ? { "stroke-dasharray": "5 3" } : {}),
        }),
      );
      return;
    case "text": {
      const t = s("text", {
        x: it.x,
        y: it.y,
        ...(it.bold ? { "font-weight": "bold" } : {}),
        ...(it.fill ? { fill: it.fill } : {}),
      }) as SVGTextElement;
      t.textContent = itemText(it, Date.now());
      if (it.upSince !== undefined) uptimes.push({ el: t, item: it });
      parent.append(t);
      return;
    }
    case "path":
      parent.append(
        s("path", {
          d: it.d,
          fill: "none",
          stroke: it.stroke,
          "stroke-width": it.width,
          ...(it.dash ? { "stroke-dasharray": "6 4" } : {}),
        }),
      );
      return;
    case "g": {
      const g = s("g", { "data-kind": it.ref.kind, "data-id": it.ref.id });
      if (it.state) g.setAttribute("data-state", it.state);
      if (it.title) {
        const title = s("title", {});
        title.textContent = it.title;
        g.append(title);
      }
      for (const c of it.items) drawItem(c, g);
      if (it.ref.kind !== "block") {
        const ref = it.ref as Selected;
        g.addEventListener("click", (ev) => {
          ev.stopPropagation();
          select(ref);
        });
      }
      if (selected && selected.kind === it.ref.kind && selected.id === it.ref.id)
        g.classList.add("selected");
      parent.append(g);
      return;
    }
  }
}

function draw(scene: Scene): void {
  const host = document.getElementById("graph")!;
  uptimes = [];
  const svg = s("svg", {
    width: scene.width,
    height: scene.height,
    viewBox: `0 0 ${scene.width} ${scene.height}`,
  });
  for (const it of scene.items) drawItem(it, svg);
  host.replaceChildren(svg);
}

// ---------------------------------------------------------------- panels

function select(ref: Selected): void {
  selected = ref;
  for (const g of document.querySelectorAll("#graph g.selected")) g.classList.remove("selected");
  for (const g of document.querySelectorAll(`#graph g[data-kind="${ref.kind}"]`))
    if (g.getAttribute("data-id") === ref.id) g.classList.add("selected");
  void openPanel(ref);
}

async function getJson<T>(path: string): Promise<T> {
  const r = await fetch(path, { headers: { Accept: "application/json" } });
  const body = (await r.json()) as T & { error?: string };
  if (!r.ok) throw new Error(body.error ?? `${r.status}`);
  return body;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): HTMLTableElement {
  const t = h("table");
  const tr = h("tr");
  for (const c of head) tr.append(h("th", c));
  t.append(tr);
  for (const r of rows) {
    const row = h("tr");
    for (const c of r) row.append(h("td", c));
    t.append(row);
  }
  return t;
}

function list(items: readonly string[], empty: string): HTMLElement {
  if (items.length === 0) return h("p", empty, { class: "hint" });
  const ul = h("ul");
  for (const i of items) ul.append(h("li", i));
  return ul;
}

async function openPanel(ref: Selected): Promise<void> {
  const panel = document.getElementById("panel")!;
  try {
    const parts =
      ref.kind === "node"
        ? await nodePanel(ref.id)
        : ref.kind === "pod"
          ? await podPanel(ref.id)
          : ref.kind === "session"
            ? sessionPanel(ref.id)
            : peerPanel(ref.id);
    // Only the answer for what is still selected is shown.
    if (selected?.kind !== ref.kind || selected.id !== ref.id) return;
    panel.replaceChildren(...parts);
    panel.setAttribute("data-kind", ref.kind);
    panel.setAttribute("data-id", ref.id);
  } catch (e) {
    panel.replaceChildren(h("p", `failed: ${(e as Error).message}`, { class: "error" }));
  }
}

interface NodeAnswer {
  name: string;
  record?: Record<string, unknown> & { updated: string };
  routes?: {
    blackholes: string[];
    originated: string[];
    workloads: number;
    learned: number;
    perPeer: { peer: string; state: string; received: number; advertised: number }[];
  };
  issues: { resource: string; path: string; message: string }[];
  events: { at: string; kind: string; text: string }[];
}

async function nodePanel(name: string): Promise<HTMLElement[]> {
  const d = await getJson<NodeAnswer>(`/api/node?name=${encodeURIComponent(name)}`);
  const n = graph?.nodes.find((x) => x.name === name);
  const out: HTMLElement[] = [h("h2", `node ${name}`)];
  if (n) {
    out.push(h("p", `${n.address ?? "no address"}${n.asn !== undefined ? ` · AS ${n.asn}` : ""}`));
    out.push(h("p", `agent ${n.health}: ${n.healthNote}`, { "data-health": n.health }));
    if (n.reported)
      out.push(
        h("p", `status record last written ${n.reported} (the agent writes it when it changes)`),
      );
  }
  out.push(h("h3", "Routes"));
  if (d.routes) {
    out.push(
      table(
        ["what", "count", "prefixes"],
        [
          [
            "blackholes (one per affine block)",
            String(d.routes.blackholes.length),
            d.routes.blackholes.join(", "),
          ],
          ["originated in BGP", String(d.routes.originated.length), d.routes.originated.join(", ")],
          ["programmed to local pods", String(d.routes.workloads), ""],
          ["learned over BGP, installed", String(d.routes.learned), ""],
        ],
      ),
    );
    out.push(h("h3", "Sessions (as this agent reports them)"));
    out.push(
      table(
        ["peer", "state", "in", "out"],
        d.routes.perPeer.map((p) => [p.peer, p.state, String(p.received), String(p.advertised)]),
      ),
    );
  } else out.push(h("p", "no status record from this node's agent", { class: "hint" }));
  out.push(h("h3", "Problems the agent reports"));
  out.push(
    list(
      d.issues.map((i) => `${i.resource}${i.path ? ` ${i.path}` : ""}: ${i.message}`),
      "none",
    ),
  );
  out.push(h("h3", "Recent events"));
  out.push(
    list(
      [...d.events].reverse().map((e) => `${e.at.slice(11, 19)} ${e.kind}: ${e.text}`),
      "none since the dashboard started",
    ),
  );
  out.push(h("h3", "Status record"));
  out.push(h("pre", d.record ? JSON.stringify(d.record, null, 2) : "(none)", { class: "record" }));
  return out;
}

interface PodAnswer {
  id: string;
  endpoint?: {
    metadata: { name: string; namespace?: string; labels?: Record<string, string> };
    spec: Record<string, unknown>;
  };
  policies: { direction: string; tier: string; name: string; order?: number; selector: string }[];
  profiles: string[];
}

async function podPanel(id: string): Promise<HTMLElement[]> {
  const d = await getJson<PodAnswer>(`/api/pod?id=${encodeURIComponent(id)}`);
  const out: HTMLElement[] = [h("h2", `pod ${id}`)];
  if (!d.endpoint)
    return [...out, h("p", "no workload endpoint (the pod is gone)", { class: "hint" })];
  const spec = d.endpoint.spec as {
    pod?: string;
    node?: string;
    ipNetworks?: string[];
    interfaceName?: string;
  };
  out.push(h("h3", "Endpoint"));
  out.push(
    table(
      ["field", "value"],
      [
        ["pod", spec.pod ?? ""],
        ["namespace", d.endpoint.metadata.namespace ?? "default"],
        ["endpoint", d.endpoint.metadata.name],
        ["node", spec.node ?? ""],
        ["addresses", (spec.ipNetworks ?? []).join(", ")],
        ["host interface", spec.interfaceName ?? ""],
        ["profiles", d.profiles.join(", ")],
      ],
    ),
  );
  out.push(h("h3", "Labels"));
  const labels = h("ul", undefined, { class: "labels" });
  for (const [k, v] of Object.entries(d.endpoint.metadata.labels ?? {}))
    labels.append(h("li", `${k}=${v}`));
  out.push(labels);
  out.push(h("h3", "Policies selecting it (evaluation order)"));
  out.push(
    d.policies.length
      ? table(
          ["dir", "tier", "policy", "selector"],
          d.policies.map((p) => [
            p.direction,
            p.tier,
            `${p.name}${p.order !== undefined ? ` (order ${p.order})` : ""}`,
            p.selector,
          ]),
        )
      : h("p", "none (profiles decide)", { class: "hint" }),
  );
  out.push(h("h3", "Can X reach this pod?"));
  const form = h("form", undefined, { id: "reach" });
  const from = h("input", undefined, {
    name: "from",
    placeholder: "pod ns/name or IP",
    size: "22",
    required: "",
  });
  const port = h("input", undefined, {
    name: "port",
    placeholder: "port[/proto]",
    size: "10",
    value: "8080/TCP",
  });
  const go = h("button", "Explain", { type: "submit" });
  const result = h("div", undefined, { id: "reach-result" });
  form.append(from, port, go);
  const to = `${d.endpoint.metadata.namespace ?? "default"}/${d.endpoint.metadata.name}`;
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void explain(from.value.trim(), to, port.value.trim(), result);
  });
  out.push(form, result);
  return out;
}

async function explain(from: string, to: string, port: string, result: HTMLElement): Promise<void> {
  result.replaceChildren(h("p", "asking the policy engine…", { class: "hint" }));
  const q = new URLSearchParams({ from, to, ...(port ? { port } : {}) });
  try {
    const r = await getJson<{ verdict: string; text: string }>(`/api/explain?${q}`);
    result.replaceChildren(
      h("span", r.verdict, { class: "verdict", "data-verdict": r.verdict }),
      h("pre", r.text, { class: "trace" }),
    );
  } catch (e) {
    result.replaceChildren(h("p", (e as Error).message, { class: "error" }));
  }
}

function sessionPanel(id: string): HTMLElement[] {
  const ss = graph?.sessions.find((x) => x.id === id);
  if (!ss) return [h("p", "session gone", { class: "hint" })];
  const name = (v: string) => v.replace(/^(node|peer):/, "");
  const out: HTMLElement[] = [
    h("h2", `session ${name(ss.a)} ⇄ ${name(ss.b)}`),
    h("p", ss.state, { "data-state": ss.state }),
  ];
  if (ss.note) out.push(h("p", ss.note));
  out.push(
    table(
      ["reported by", "state", "since", "in", "out", "live"],
      ss.reports.map((r) => [
        r.node,
        `${r.state}${r.lastError ? ` (${r.lastError})` : ""}`,
        new Date(r.since).toISOString().slice(11, 19),
        String(r.received),
        String(r.advertised),
        r.live ? "yes" : "no (agent silent)",
      ]),
    ),
  );
  return out;
}

function peerPanel(id: string): HTMLElement[] {
  const p = graph?.peers.find((x) => x.address === id);
  if (!p) return [h("p", "peer gone", { class: "hint" })];
  return [
    h("h2", `peer ${p.name}`),
    h(
      "p",
      `${p.address}${p.asn !== undefined ? ` · AS ${p.asn}` : ""} · ${p.origin === "bgppeer" ? "named by a BGPPeer" : "seen only in status records"}`,
    ),
  ];
}

// ---------------------------------------------------------------- live

/** Session states and agent health, as the server sends them ahead of a layout. */
interface States {
  readonly sessions: Record<string, [string, keyof typeof SESSION_COLOURS]>;
  readonly nodes: Record<string, string>;
}

/** Recolours what is drawn in place. */
function applyStates(d: States): void {
  for (const g of document.querySelectorAll('#graph g[data-kind="session"]')) {
    const st = d.sessions[g.getAttribute("data-id") ?? ""];
    if (!st) continue;
    g.setAttribute("data-state", st[0]);
    for (const e of g.querySelectorAll("path, rect")) {
      e.setAttribute("stroke", SESSION_COLOURS[st[1]]);
      if (st[1] === "unknown") e.setAttribute("stroke-dasharray", "6 4");
      else e.removeAttribute("stroke-dasharray");
    }
  }
  for (const g of document.querySelectorAll('#graph g[data-kind="node"]')) {
    const health = d.nodes[g.getAttribute("data-id") ?? ""];
    if (health) g.setAttribute("data-state", health);
  }
}

function connect(): void {
  const live = document.getElementById("live")!;
  const es = new EventSource("/api/stream");
  // The states last received. The server sends a picture's states before
  // laying it out, so a drawing that arrives is of that picture or an older
  // one (pictures read while it was laid out): its states are never newer
  // than these, which are applied again over it.
  let states: States | undefined;
  es.addEventListener("graph", (ev) => {
    const d = JSON.parse((ev as MessageEvent<string>).data) as {
      graph: ClusterGraph;
      scene: Scene;
    };
    graph = d.graph;
    draw(d.scene);
    if (states) applyStates(states);
    live.setAttribute("data-state", "live");
    live.textContent = `live · ${d.graph.generatedAt.slice(11, 19)} UTC`;
    document.body.setAttribute("data-generated", d.graph.generatedAt);
    if (selected && selected.kind !== "pod") void openPanel(selected);
  });
  // Session states and agent health ahead of the new layout: recolour in place.
  es.addEventListener("states", (ev) => {
    states = JSON.parse((ev as MessageEvent<string>).data) as States;
    applyStates(states);
  });
  es.addEventListener("failure", (ev) => {
    live.setAttribute("data-state", "lost");
    live.textContent = `datastore: ${JSON.parse((ev as MessageEvent<string>).data) as string}`;
  });
  es.onerror = () => {
    states = undefined; // a new connection starts from the server's newest drawing
    live.setAttribute("data-state", "lost");
    live.textContent = "reconnecting…";
  };
}

setInterval(() => {
  const now = Date.now();
  for (const u of uptimes) u.el.textContent = itemText(u.item, now);
}, 1000);
connect();
