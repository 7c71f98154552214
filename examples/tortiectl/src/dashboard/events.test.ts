// The node panel's "recent events": what diffEvents makes of two pictures of
// the fixed topology (fixture.ts) — a session flap, an agent going silent,
// a reconcile problem, a pod appearing.
import { describe, expect, it } from "vitest";
import { NODE_STATUS_PREFIX } from "../commands/node.js";
import { diffEvents } from "./events.js";
import { fixtureStore, NOW } from "./fixture.js";
import { buildGraph, type StatusRecord } from "./model.js";
import { readGraphInputs } from "./read.js";

describe("recent events", () => {
  it("at start: one line per Established session and per unhealthy agent", async () => {
    const store = await fixtureStore();
    const i = await readGraphInputs(store, NOW);
    const ev = diffEvents(undefined, { graph: buildGraph(i), records: i.records }, "T");
    const node2 = ev.filter((e) => e.nodes.includes("node2")).map((e) => `${e.kind}: ${e.text}`);
    expect(node2).toEqual([
      "session: session to 192.0.2.11 Established",
      "session: session to 192.0.2.13 Established",
      "session: session to 192.0.2.250 Established",
      expect.stringMatching(/^agent: agent silent: its peers report its sessions down/),
    ]);
    expect(ev.filter((e) => e.nodes.includes("node1")).map((e) => e.text)).toContain(
      "session to 192.0.2.12 Active",
    );
    await store.close();
  });

  it("then: a flap, an agent back, a reconcile problem, a pod", async () => {
    const store = await fixtureStore();
    const i0 = await readGraphInputs(store, NOW);
    const before = { graph: buildGraph(i0), records: i0.records };
    const change = async (node: string, f: (r: StatusRecord) => StatusRecord) => {
      const kv = (await store.get(`${NODE_STATUS_PREFIX}${node}`))!;
      await store.update(kv.key, JSON.stringify(f(JSON.parse(kv.value))), kv.modRevision);
    };
    // node2 comes back (its sessions restart after its peers lost them);
    // node1's BIG-IP session flaps; node3 reports nftables failing.
    await change("node2", (r) => ({
      ...r,
      bgp: { ...r.bgp, peers: r.bgp.peers.map((p) => ({ ...p, state: "OpenSent", since: NOW })) },
    }));
    await change("node1", (r) => ({
      ...r,
      bgp: {
        ...r.bgp,
        peers: r.bgp.peers.map((p) =>
          p.address === "192.0.2.250"
            ? { ...p, state: "Idle", since: NOW - 500, lastError: "Hold Timer Expired" }
            : p,
        ),
      },
    }));
    await change("node3", (r) => ({
      ...r,
      issues: [{ resource: "nftables", path: "", message: "nft: Operation not permitted" }],
    }));
    const i1 = await readGraphInputs(store, NOW);
    const w = i1.workloadEndpoints[0]!;
    const extra = {
      ...w,
      metadata: { ...w.metadata, name: "node1-k8s-web--1--7-eth0" },
      spec: { ...(w.spec as object), pod: "web-1-7", ipNetworks: ["198.51.100.7/32"] },
    } as typeof w;
    const after = {
      graph: buildGraph({ ...i1, workloadEndpoints: [...i1.workloadEndpoints, extra] }),
      records: i1.records,
    };
    const ev = diffEvents(before, after, new Date(NOW).toISOString()).map(
      (e) => `${e.nodes.join(",")} ${e.kind}: ${e.text}`,
    );
    expect(ev).toEqual(
      expect.arrayContaining([
        "node1 session: session to 192.0.2.250 Established → Idle (Hold Timer Expired)",
        "node2 session: session to 192.0.2.11 Established → OpenSent",
        "node3 issue: nftables: nft: Operation not permitted",
        expect.stringMatching(/^node2 agent: agent silent → ok: /),
        "node1 pod: pod default/web-1-7 appeared (198.51.100.7)",
      ]),
    );
    // Nothing about what did not change.
    expect(ev.filter((e) => e.includes("192.0.2.13") && e.startsWith("node1"))).toEqual([]);
    await store.close();
  });
});
