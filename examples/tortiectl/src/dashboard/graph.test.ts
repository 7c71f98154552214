// `tortiectl graph` on a fixed topology in a memory store, checked against
// golden files (testdata/graph/), and the model's rules for session state
// and agent health on that topology. UPDATE_GOLDEN=1 rewrites the goldens.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { graphCommand } from "../commands/graph.js";
import { NODE_STATUS_PREFIX } from "../commands/node.js";
import { graphToDot } from "./dot.js";
import { fixtureStore, NOW } from "./fixture.js";
import type { ClusterGraph, StatusRecord } from "./model.js";
import { readGraph } from "./read.js";
import { layoutGraph } from "./scene.js";
import { sceneToSvg } from "./svg.js";

const GOLDEN = fileURLToPath(new URL("../../testdata/graph/", import.meta.url));
function golden(name: string, text: string): void {
  const file = `${GOLDEN}${name}`;
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, "utf8"));
}

describe("the routing picture of a fixed topology", () => {
  it("the model: sessions by state, node2 silent, the borrowed address marked", async () => {
    const store = await fixtureStore();
    const g = await readGraph(store, NOW);
    expect(g.nodes.map((n) => [n.name, n.health])).toEqual([
      ["node1", "ok"],
      ["node2", "silent"],
      ["node3", "ok"],
    ]);
    expect(g.peers.map((p) => [p.name, p.address, p.asn])).toEqual([
      ["bgppeer-global-bigip1", "192.0.2.250", 64512],
    ]);
    expect(g.nodes[2]!.routeReflector).toBe("224.0.0.1");
    const state = Object.fromEntries(g.sessions.map((s) => [s.id, [s.state, s.colour]]));
    expect(state).toEqual({
      "node:node1|node:node2": ["Active", "down"],
      "node:node1|node:node3": ["Established", "up"],
      "node:node1|peer:192.0.2.250": ["Established", "up"],
      "node:node2|node:node3": ["Connect", "down"],
      // Only node2 reports its BIG-IP session, and node2 is silent.
      "node:node2|peer:192.0.2.250": ["Unknown", "unknown"],
      "node:node3|peer:192.0.2.250": ["Established", "up"],
    });
    const node1Block = g.nodes[0]!.blocks[0]!;
    expect(node1Block.cidr).toBe("198.51.100.0/26");
    expect(node1Block.pods.map((p) => [p.name, p.address, p.borrowedBy])).toEqual([
      ["web-1-1", "198.51.100.0", undefined],
      ["web-1-2", "198.51.100.1", undefined],
      ["web-3-9", "198.51.100.20", "node3"],
    ]);
    expect(node1Block.borrowed).toEqual([{ ip: "198.51.100.20", node: "node3", pod: "web-3-9" }]);
    await store.close();
  });

  it("an agent that comes back and re-establishes is healthy again", async () => {
    const store = await fixtureStore();
    const g0 = await readGraph(store, NOW);
    expect(g0.nodes[1]!.health).toBe("silent");
    // node2's agent restarts: it reports its sessions coming up after its peers saw them go.
    const kv = (await store.get(`${NODE_STATUS_PREFIX}node2`))!;
    const r = JSON.parse(kv.value) as StatusRecord;
    const back = {
      ...r,
      bgp: {
        ...r.bgp,
        peers: r.bgp.peers.map((p) => ({ ...p, state: "Connect", since: NOW - 1000 })),
      },
    };
    await store.update(kv.key, JSON.stringify(back), kv.modRevision);
    const g1 = await readGraph(store, NOW);
    expect(g1.nodes[1]!.health).toBe("ok");
    expect(g1.sessions.find((s) => s.id === "node:node2|peer:192.0.2.250")!.colour).toBe("down");
    await store.close();
  });

  it("SVG: matches testdata/graph/cluster.svg", async () => {
    const store = await fixtureStore();
    const text: string[] = [];
    await graphCommand(
      store,
      { output: "svg" },
      {
        stdout: { write: (s: string) => text.push(s) },
        stderr: { write: () => true },
        progress: false,
        readStdin: () => "",
      },
      NOW,
    );
    golden("cluster.svg", text.join(""));
    await store.close();
  });

  it("DOT: matches testdata/graph/cluster.dot", async () => {
    const store = await fixtureStore();
    golden("cluster.dot", graphToDot(await readGraph(store, NOW), NOW));
    await store.close();
  });

  it("the layout is the same every run (ELK is deterministic here)", async () => {
    const store = await fixtureStore();
    const g = await readGraph(store, NOW);
    const a = sceneToSvg(await layoutGraph(g), NOW);
    const b = sceneToSvg(await layoutGraph(g), NOW);
    expect(a).toBe(b);
    await store.close();
  });
});

describe("hostile text from the datastore", () => {
  const evil = `<script>window.__pwned=1</script>"'&<img src=x onerror=alert(1)>\u0001`;
  const g: ClusterGraph = {
    generatedAt: new Date(NOW).toISOString(),
    nodes: [
      {
        id: "node:n1",
        name: evil,
        address: "192.0.2.11",
        health: "ok",
        healthNote: evil,
        blocks: [
          {
            cidr: "198.51.100.0/26",
            inUse: 1,
            capacity: 64,
            borrowed: [],
            pods: [
              {
                id: `pod:default/${evil}`,
                name: evil,
                namespace: evil,
                endpoint: evil,
                node: "n1",
                address: "198.51.100.1",
                labels: { note: evil },
              },
            ],
          },
        ],
        unblocked: [],
      },
    ],
    peers: [{ id: "peer:192.0.2.250", name: evil, address: "192.0.2.250", origin: "bgppeer" }],
    sessions: [
      {
        id: "node:n1|peer:192.0.2.250",
        a: "node:n1",
        b: "peer:192.0.2.250",
        kind: "external",
        state: "Idle",
        colour: "down",
        note: evil,
        reports: [
          {
            node: evil,
            state: "Idle",
            since: NOW,
            received: 0,
            advertised: 0,
            source: evil,
            lastError: evil,
            live: true,
          },
        ],
      },
    ],
  };

  it("SVG: no markup from the data, every character escaped", async () => {
    const svg = sceneToSvg(await layoutGraph(g), NOW);
    expect(svg).not.toMatch(/<script|<img|\u0001/);
    expect(svg).toContain("&#60;script&#62;window.__pwned=1&#60;/script&#62;&#34;&#39;&#38;");
  });

  it("DOT: names cannot end their quoted string", () => {
    const dot = graphToDot(g, NOW);
    // Every line is a statement of ours: a name's quote never closes early.
    for (const line of dot.split("\n")) {
      const unescapedQuotes = line.replace(/\\\\/g, "").replace(/\\"/g, "").split('"').length - 1;
      expect(unescapedQuotes % 2, line).toBe(0);
    }
    expect(dot).toContain('\\"');
  });
});
