import { describe, expect, it } from "vitest";
import { affinity, builderWith, node, res, wep } from "../../testing/fixtures.js";
import { desiredBgp } from "../bgp-config/desired.js";
import { learnedRoute, staticRoutes } from "./desired.js";

describe("routes: best paths → kernel routes", () => {
  it("one next hop is a plain route; several are one ECMP route (the speaker's multipath)", () => {
    expect(learnedRoute({ prefix: "198.51.100.64/26", nextHops: ["192.0.2.12"] })).toEqual({
      dst: "198.51.100.64/26",
      gateway: "192.0.2.12",
      priority: 100,
    });
    expect(
      learnedRoute({ prefix: "198.51.100.64/26", nextHops: ["192.0.2.12", "192.0.2.13"] }),
    ).toEqual({
      dst: "198.51.100.64/26",
      nexthops: [{ gateway: "192.0.2.12" }, { gateway: "192.0.2.13" }],
      priority: 100,
    });
  });
});

describe("routes: static routes (Felix)", () => {
  it("blackholes affine blocks, /32 per local workload via its veth, host routes to reachableBy gateways", () => {
    const s = builderWith(
      [
        node("node1", "192.0.2.11"),
        node("node2", "192.0.2.12"),
        res("IPPool", "pods", { cidr: "198.51.100.0/24" }),
        res("BGPPeer", "far", { peerIP: "203.0.113.9", asNumber: 65000, reachableBy: "192.0.2.1" }),
      ],
      [
        affinity("node1", "198.51.100.0/26"),
        affinity("node2", "198.51.100.64/26"),
        wep("node1", "a", ["198.51.100.5/32", "2001:db8::5/128"], "calia"),
        wep("node2", "b", ["198.51.100.66/32"], "calib"),
      ],
    ).snapshot();
    const bgp = desiredBgp(s, { nodeName: "node1", nodeIP: "192.0.2.11", secret: () => undefined });
    expect(staticRoutes(s, bgp, "node1")).toEqual({
      workloads: [
        { dst: "198.51.100.5/32", dev: "calia", priority: 10 },
        { dst: "2001:db8::5/128", dev: "calia", priority: 10 },
      ],
      peers: [{ dst: "203.0.113.9/32", gateway: "192.0.2.1", priority: 20 }],
      blocks: [{ dst: "198.51.100.0/26", type: "blackhole", priority: 50 }],
    });
  });
});
