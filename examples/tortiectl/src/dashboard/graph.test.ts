// `tortiectl graph` on a fixed topology in a memory store, checked against
// golden files (testdata/graph/), and the model's rules for session state
// and agent health on that topology. UPDATE_GOLDEN=1 rewrites the goldens.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CALICO_API, ResourceClient } from "@tortie/api";
import { MemoryStore } from "@tortie/datastore";
import { Ipam } from "@tortie/ipam";
import { describe, expect, it } from "vitest";
import { graphCommand } from "../commands/graph.js";
import { NODE_STATUS_PREFIX } from "../commands/node.js";
import { graphToDot } from "./dot.js";
import type { ClusterGraph, StatusRecord } from "./model.js";
import { readGraph } from "./read.js";
import { layoutGraph } from "./scene.js";
import { sceneToSvg } from "./svg.js";

const GOLDEN = fileURLToPath(new URL("../../testdata/graph/", import.meta.url));
// The picture is drawn for this instant; every session started before it.
const NOW = Date.parse("2026-03-01T12:00:00Z");
const T0 = NOW - 3 * 3600_000 - 125_000; // sessions up 3h02m
const T1 = NOW - 40_000; // node2's peers lost it 40 s ago

const peer = (
  address: string,
  source: string,
  state: string,
  since: number,
  received: number,
  advertised: number,
) => ({ address, source, state, since, received, advertised });

function record(node: string, peers: StatusRecord["bgp"]["peers"], blocks: string[]): StatusRecord {
  return {
    node,
    updated: new Date(Math.max(...peers.map((p) => p.since))).toISOString(),
    agent: { ready: true, datastore: "connected", startedAt: new Date(T0 - 5000).toISOString() },
    bgp: { asn: 64512, routerId: "", peers, originated: blocks },
    routes: { blocks, workloads: 2, learned: 3 },
    issues: [],
  };
}

/**
 * Three nodes in a full mesh with BIG-IP as a global BGPPeer; node3 is a
 * route reflector; node2's agent was killed 40 s ago (node1 and node3 report
 * their sessions to it down, its own record still says Established); pod
 * web-3-9 on node3 took an address from node1's block.
 */
export async function fixtureStore(): Promise<MemoryStore> {
  const store = new MemoryStore();
  const client = new ResourceClient(store);
  await client.apply({
    apiVersion: CALICO_API,
    kind: "BGPConfiguration",
    metadata: { name: "default" },
    spec: { nodeToNodeMeshEnabled: true, asNumber: 64512 },
  });
  await client.apply({
    apiVersion: CALICO_API,
    kind: "BGPPeer",
    metadata: { name: "bgppeer-global-bigip1" },
    spec: { peerIP: "192.0.2.250", asNumber: 64512 },
  });
  for (const i of [1, 2, 3])
    await client.apply({
      apiVersion: CALICO_API,
      kind: "Node",
      metadata: { name: `node${i}` },
      spec: {
        bgp: {
          ipv4Address: `192.0.2.${10 + i}/24`,
          ...(i === 3 ? { routeReflectorClusterID: "224.0.0.1" } : {}),
        },
      },
    });
  const ipam = new Ipam({ store });
  await ipam.applyPool({ name: "default-ipv4-ippool", cidr: "198.51.100.0/24", blockSize: 26 });
  const pods: [string, string, string][] = [
    ["node1", "web-1-1", "default"],
    ["node1", "web-1-2", "default"],
    ["node2", "web-2-1", "default"],
    ["node3", "web-3-1", "shop"],
  ];
  const weps: [string, string, string, string][] = [];
  for (const [node, pod, ns] of pods) {
    const r = await ipam.autoAssign({
      handleId: `k8s-pod-network.${pod}`,
      hostname: node,
      num4: 1,
      attrs: { node, pod, namespace: ns },
    });
    weps.push([node, pod, ns, r.ipv4[0]!.ip]);
  }
  // Borrowed: a pod on node3 holds an address in node1's block.
  await ipam.assignIp({
    ip: "198.51.100.20",
    handleId: "k8s-pod-network.web-3-9",
    hostname: "node3",
    attrs: { node: "node3", pod: "web-3-9", namespace: "default" },
  });
  weps.push(["node3", "web-3-9", "default", "198.51.100.20"]);
  for (const [node, pod, ns, ip] of weps)
    await client.apply({
      apiVersion: CALICO_API,
      kind: "WorkloadEndpoint",
      metadata: {
        name: `${node}-k8s-${pod.replace(/-/g, "--")}-eth0`,
        namespace: ns,
        labels: { app: "web", "projectcalico.org/namespace": ns },
      },
      spec: {
        orchestrator: "k8s",
        workload: pod,
        node,
        pod,
        endpoint: "eth0",
        interfaceName: `cali${pod.replace(/-/g, "")}`,
        ipNetworks: [`${ip}/32`],
      },
    });
  const blocks = (await ipam.listBlocks()).map((b) => [b.affinity?.slice(5), b.cidr]);
  const blocksOf = (n: string) => blocks.filter(([a]) => a === n).map(([, c]) => c!);
  const records = [
    record(
      "node1",
      [
        peer("192.0.2.12", "mesh", "Active", T1, 0, 0),
        peer("192.0.2.13", "mesh", "Established", T0, 2, 1),
        peer("192.0.2.250", "BGPPeer/bgppeer-global-bigip1", "Established", T0, 0, 1),
      ],
      blocksOf("node1"),
    ),
    record(
      "node2",
      [
        peer("192.0.2.11", "mesh", "Established", T0, 2, 1),
        peer("192.0.2.13", "mesh", "Established", T0, 2, 1),
        peer("192.0.2.250", "BGPPeer/bgppeer-global-bigip1", "Established", T0, 0, 1),
      ],
      blocksOf("node2"),
    ),
    record(
      "node3",
      [
        peer("192.0.2.11", "mesh", "Established", T0, 1, 2),
        peer("192.0.2.12", "mesh", "Connect", T1, 0, 0),
        peer("192.0.2.250", "BGPPeer/bgppeer-global-bigip1", "Established", T0, 0, 1),
      ],
      blocksOf("node3"),
    ),
  ];
  for (const r of records) await store.create(`${NODE_STATUS_PREFIX}${r.node}`, JSON.stringify(r));
  return store;
}

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
