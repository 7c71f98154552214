import { describe, expect, it } from "vitest";
import { affinity, builderWith, keyOf, node, res, wep } from "../testing/fixtures.js";
import {
  AFFINITY_PREFIX,
  RESOURCES_PREFIX,
  SnapshotBuilder,
  WORKLOAD_ENDPOINTS_PREFIX,
} from "./snapshot.js";

describe("snapshot", () => {
  it("types Calico resources by kind and name, with Calico's defaults", () => {
    const s = builderWith([
      res("IPPool", "pods", { cidr: "198.51.100.0/24" }),
      node("node1", "192.0.2.11"),
    ]).snapshot();
    expect(s.resources.IPPool.get("pods")?.spec.blockSize).toBe(26);
    expect(s.resources.Node.get("node1")?.spec.bgp?.ipv4Address).toBe("192.0.2.11/24");
    expect(s.issues).toEqual([]);
  });

  it("an invalid value keeps the last good one and is reported with its path until fixed or deleted", () => {
    const pool = res("IPPool", "pods", { cidr: "198.51.100.0/24" });
    const b = builderWith([pool]);
    const key = keyOf(pool);
    const r = b.apply([
      {
        type: "put",
        key,
        value: JSON.stringify(res("IPPool", "pods", { cidr: "198.51.100.0/24", blockSize: 99 })),
      },
    ]);
    expect(r.kinds.size).toBe(0);
    expect(r.newIssues).toEqual([
      {
        key,
        resource: "IPPool/pods",
        path: "spec.blockSize",
        message: expect.stringContaining("between 20 and 32"),
      },
    ]);
    expect(b.snapshot().resources.IPPool.get("pods")?.spec.blockSize).toBe(26);
    // the same bad value again is not a new issue
    expect(
      b.apply([
        {
          type: "put",
          key,
          value: JSON.stringify(res("IPPool", "pods", { cidr: "198.51.100.0/24", blockSize: 99 })),
        },
      ]).newIssues,
    ).toEqual([]);
    b.apply([{ type: "put", key, value: "{not json" }]);
    expect(b.snapshot().issues[0]?.message).toMatch(/not JSON/);
    b.apply([
      {
        type: "put",
        key,
        value: JSON.stringify(res("IPPool", "pods", { cidr: "198.51.100.0/24", blockSize: 28 })),
      },
    ]);
    expect(b.snapshot().issues).toEqual([]);
    expect(b.snapshot().resources.IPPool.get("pods")?.spec.blockSize).toBe(28);
    b.apply([{ type: "put", key, value: "[]" }]);
    expect(b.snapshot().issues).toHaveLength(1);
    b.apply([{ type: "delete", key }]);
    expect(b.snapshot().issues).toEqual([]);
    expect(b.snapshot().resources.IPPool.size).toBe(0);
  });

  it("a resource stored under another kind's prefix is refused", () => {
    const b = new SnapshotBuilder();
    const r = b.apply([
      {
        type: "put",
        key: `${RESOURCES_PREFIX}ippools/x`,
        value: JSON.stringify(node("x", "192.0.2.1")),
      },
    ]);
    expect(r.newIssues[0]).toMatchObject({ path: "kind" });
  });

  it("workload endpoints (Calico resources) and affinities: decoded, malformed ones reported", () => {
    const b = builderWith(
      [],
      [wep("node1", "a", ["198.51.100.5/32"]), affinity("node1", "198.51.100.0/26")],
    );
    expect([...b.snapshot().workloadEndpoints.values()][0]).toMatchObject({
      key: `${WORKLOAD_ENDPOINTS_PREFIX}default/node1-k8s-a-eth0`,
      name: "node1-k8s-a-eth0",
      namespace: "default",
      node: "node1",
      interfaceName: "calia",
      ipNetworks: ["198.51.100.5/32"],
    });
    expect([...b.snapshot().affinities.values()]).toEqual([
      { host: "node1", cidr: "198.51.100.0/26", state: "confirmed" },
    ]);
    const r = b.apply([
      {
        // valid for Calico, but nothing the agent could route: reported
        type: "put",
        key: `${WORKLOAD_ENDPOINTS_PREFIX}default/n-k8s-y-eth0`,
        value: JSON.stringify(res("WorkloadEndpoint", "n-k8s-y-eth0", { node: "n" })),
      },
      {
        type: "put",
        key: `${AFFINITY_PREFIX}n/x`,
        value: JSON.stringify({ host: "n", cidr: "x", state: "maybe" }),
      },
    ]);
    expect(r.newIssues.map((i) => i.path)).toEqual(["spec.interfaceName", "spec.ipNetworks", ""]);
    expect(r.newIssues[0]?.resource).toBe("WorkloadEndpoint/default/n-k8s-y-eth0");
    // an invalid address is refused by the API model, with its path
    const bad = JSON.parse(wep("node1", "a", ["198.51.100.5/32"]).value);
    bad.spec.ipNetworks = ["198.51.100.500/32"];
    const r2 = b.apply([
      { type: "put", key: wep("node1", "a", []).key, value: JSON.stringify(bad) },
    ]);
    expect(r2.newIssues[0]?.path).toBe("spec.ipNetworks[0]");
    expect(b.snapshot().workloadEndpoints.size).toBe(1); // the last good one stays
    // deleting the resource removes the endpoint
    b.apply([{ type: "delete", key: wep("node1", "a", []).key }]);
    expect(b.snapshot().workloadEndpoints.size).toBe(0);
    expect(b.snapshot().resources.WorkloadEndpoint.size).toBe(0);
  });

  it("ignores the CNI plugin's old /tortie/workloadendpoints/v1/ copies (nothing to migrate)", () => {
    const b = new SnapshotBuilder();
    const r = b.apply([
      {
        type: "put",
        key: "/tortie/workloadendpoints/v1/node1/net/c1/eth0",
        value: wep("node1", "c1", ["198.51.100.9/32"]).value,
      },
    ]);
    expect(r.kinds.size).toBe(0);
    expect(b.snapshot().workloadEndpoints.size).toBe(0);
  });

  it("a listing replaces a prefix: keys gone while away are deleted", () => {
    const b = builderWith(
      [],
      [affinity("node1", "198.51.100.0/26"), affinity("node1", "198.51.100.64/26")],
    );
    const r = b.replacePrefix(AFFINITY_PREFIX, [affinity("node1", "198.51.100.64/26")]);
    expect([...r.kinds]).toEqual(["Affinity"]);
    expect([...b.snapshot().affinities.values()].map((a) => a.cidr)).toEqual(["198.51.100.64/26"]);
    expect(
      b.replacePrefix(AFFINITY_PREFIX, [affinity("node1", "198.51.100.64/26")]).kinds.size,
    ).toBe(0);
  });
});
