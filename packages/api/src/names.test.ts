import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseWorkloadEndpointName, workloadEndpointName } from "./names.js";

describe("WorkloadEndpoint names", () => {
  it("doubles dashes inside parts, as Calico names them", () => {
    expect(
      workloadEndpointName({
        node: "node1",
        orchestrator: "k8s",
        workload: "my-nginx-b1337a",
        endpoint: "eth0",
      }),
    ).toBe("node1-k8s-my--nginx--b1337a-eth0");
    expect(parseWorkloadEndpointName("node1-k8s-my--nginx--b1337a-eth0")).toEqual({
      node: "node1",
      orchestrator: "k8s",
      workload: "my-nginx-b1337a",
      endpoint: "eth0",
    });
    expect(parseWorkloadEndpointName("a-b-c")).toBeUndefined();
    expect(() =>
      workloadEndpointName({ node: "", orchestrator: "k8s", workload: "w", endpoint: "e" }),
    ).toThrow(TypeError);
  });
  it("round-trips any parts that do not start or end with a dash", () => {
    const part = fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,10}[a-z0-9])?$/);
    fc.assert(
      fc.property(part, part, part, part, (node, orchestrator, workload, endpoint) => {
        const id = { node, orchestrator, workload, endpoint };
        expect(parseWorkloadEndpointName(workloadEndpointName(id))).toEqual(id);
      }),
    );
  });
});
