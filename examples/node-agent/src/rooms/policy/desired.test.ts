import { describe, expect, it } from "vitest";
import { builderWith, res, wep } from "../../testing/fixtures.js";
import { policyResources } from "./desired.js";

describe("policy: resources for the engine", () => {
  it("global policy, every workload with its namespace profile, only this node's host endpoints", () => {
    const s = builderWith(
      [
        res("GlobalNetworkPolicy", "deny-x", { selector: "all()", ingress: [{ action: "Deny" }] }),
        res("HostEndpoint", "node1-eth0", { node: "node1", interfaceName: "eth0" }),
        res("HostEndpoint", "node2-eth0", { node: "node2", interfaceName: "eth0" }),
      ],
      [wep("node1", "a", ["198.51.100.5/32"]), wep("node2", "b", ["198.51.100.70/32"])],
    ).snapshot();
    const r = policyResources(s, "node1");
    expect([...r.keys()].sort()).toEqual([
      "GlobalNetworkPolicy//deny-x",
      "HostEndpoint//node1-eth0",
      "Profile//kns.default",
      "WorkloadEndpoint/default/node1-k8s-a-eth0",
      "WorkloadEndpoint/default/node2-k8s-b-eth0",
    ]);
    expect(r.get("WorkloadEndpoint/default/node1-k8s-a-eth0")).toEqual({
      apiVersion: "projectcalico.org/v3",
      kind: "WorkloadEndpoint",
      metadata: { name: "node1-k8s-a-eth0", namespace: "default", labels: {} },
      spec: {
        node: "node1",
        interfaceName: "calia",
        ipNetworks: ["198.51.100.5/32"],
        profiles: ["kns.default"],
      },
    });
  });
});
