import type { Route } from "@tortie/bgp";
import { describe, expect, it } from "vitest";
import { affinity, builderWith, node, res, wep } from "../../testing/fixtures.js";
import { desiredBgp } from "../bgp-config/desired.js";
import { learnedRoute, staticRoutes } from "./desired.js";
import { importAccepted, ruleMatches } from "./filters.js";
import { bestRoute, LearnedTable, type PeerPolicy, type SelectionContext } from "./learned.js";

const route = (prefix: string, nextHop: string, extra: Partial<Route> = {}): Route => ({
  prefix,
  nextHop,
  origin: "igp",
  asPath: [],
  communities: [],
  largeCommunities: [],
  attributes: [],
  ...extra,
});
const policy = (
  asn = 64512,
  accept: (p: string) => boolean = () => true,
  allowOwnAs = 0,
): PeerPolicy => ({
  asn,
  accept,
  allowOwnAs,
});
const ctx = (peers: Record<string, PeerPolicy>): SelectionContext => ({
  localAsn: 64512,
  ownAddresses: new Set(["192.0.2.11"]),
  peer: (a) => peers[a],
});

describe("routes: learned routes → kernel", () => {
  it("one peer's route goes in via its next hop; two equal ones become ECMP; a withdrawal leaves one", () => {
    const t = new LearnedTable();
    const c = ctx({ "192.0.2.12": policy(), "192.0.2.13": policy() });
    expect([...t.update("192.0.2.12", [route("198.51.100.64/26", "192.0.2.12")], [])]).toEqual([
      "198.51.100.64/26",
    ]);
    expect(
      learnedRoute(bestRoute("198.51.100.64/26", t.candidates("198.51.100.64/26"), c)!),
    ).toEqual({
      dst: "198.51.100.64/26",
      gateway: "192.0.2.12",
      priority: 100,
    });
    t.update("192.0.2.13", [route("198.51.100.64/26", "192.0.2.13")], []);
    expect(
      learnedRoute(bestRoute("198.51.100.64/26", t.candidates("198.51.100.64/26"), c)!),
    ).toEqual({
      dst: "198.51.100.64/26",
      nexthops: [{ gateway: "192.0.2.12" }, { gateway: "192.0.2.13" }],
      priority: 100,
    });
    t.update("192.0.2.12", [], ["198.51.100.64/26"]);
    expect(t.peerPrefixes("192.0.2.12")).toBe(0);
    expect(t.peerPrefixes("192.0.2.13")).toBe(1);
    expect(bestRoute("198.51.100.64/26", t.candidates("198.51.100.64/26"), c)?.nextHops).toEqual([
      "192.0.2.13",
    ]);
    expect([...t.clearPeer("192.0.2.13")]).toEqual(["198.51.100.64/26"]);
    expect(t.size).toBe(0);
  });

  it("ranks by LOCAL_PREF, AS_PATH length, ORIGIN, MED, then eBGP over iBGP", () => {
    const c = ctx({ a: policy(), b: policy(), e: policy(65001) });
    const pick = (...cs: [string, Route][]) =>
      bestRoute(
        "p",
        cs.map(([peer, r]) => ({ peer, route: r })),
        c,
      )?.nextHops;
    expect(
      pick(["a", route("p", "192.0.2.1", { localPref: 200 })], ["b", route("p", "192.0.2.2")]),
    ).toEqual(["192.0.2.1"]);
    expect(
      pick(
        ["a", route("p", "192.0.2.1", { asPath: [1, 2] })],
        ["b", route("p", "192.0.2.2", { asPath: [[3, 4, 5]] })],
      ),
    ).toEqual(["192.0.2.2"]);
    expect(
      pick(
        ["a", route("p", "192.0.2.1", { origin: "incomplete" })],
        ["b", route("p", "192.0.2.2", { origin: "egp" })],
      ),
    ).toEqual(["192.0.2.2"]);
    expect(
      pick(["a", route("p", "192.0.2.1", { med: 5 })], ["b", route("p", "192.0.2.2", { med: 1 })]),
    ).toEqual(["192.0.2.2"]);
    expect(
      pick(["a", route("p", "192.0.2.1")], ["e", route("p", "192.0.2.5", { asPath: [] })]),
    ).toEqual(["192.0.2.5"]);
  });

  it("drops routes from unknown peers, with our own next hop, with our AS in the path (unless allowed), or rejected by import", () => {
    const c = ctx({
      a: policy(),
      loop: policy(65001),
      allowed: policy(65001, () => true, 1),
      filtered: policy(64512, () => false),
    });
    const one = (peer: string, r: Route) => bestRoute("p", [{ peer, route: r }], c);
    expect(one("nobody", route("p", "192.0.2.1"))).toBeUndefined();
    expect(one("a", route("p", "192.0.2.11"))).toBeUndefined();
    expect(one("loop", route("p", "192.0.2.1", { asPath: [65001, 64512] }))).toBeUndefined();
    expect(one("allowed", route("p", "192.0.2.1", { asPath: [65001, 64512] }))?.nextHops).toEqual([
      "192.0.2.1",
    ]);
    expect(
      one("allowed", route("p", "192.0.2.1", { asPath: [64512, 65001, 64512] })),
    ).toBeUndefined();
    expect(one("filtered", route("p", "192.0.2.1"))).toBeUndefined();
  });

  it("ADD-PATH routes of one peer are kept apart by path id", () => {
    const t = new LearnedTable();
    t.update(
      "a",
      [route("p", "192.0.2.1", { pathId: 1 }), route("p", "192.0.2.2", { pathId: 2 })],
      [],
    );
    expect(t.candidates("p")).toHaveLength(2);
    t.update("a", [], ["p#1"]);
    expect(t.candidates("p").map((c) => c.route.nextHop)).toEqual(["192.0.2.2"]);
  });
});

describe("routes: BGPFilter import rules", () => {
  it("matches by operator, CIDR and prefix length; first match decides; no match accepts", () => {
    expect(
      ruleMatches(
        { action: "Accept", matchOperator: "Equal", cidr: "198.51.100.0/24" },
        "198.51.100.0/24",
      ),
    ).toBe(true);
    expect(
      ruleMatches(
        { action: "Accept", matchOperator: "Equal", cidr: "198.51.100.0/24" },
        "198.51.100.0/26",
      ),
    ).toBe(false);
    expect(
      ruleMatches(
        { action: "Accept", matchOperator: "NotEqual", cidr: "198.51.100.0/24" },
        "198.51.100.0/26",
      ),
    ).toBe(true);
    expect(
      ruleMatches(
        { action: "Accept", matchOperator: "In", cidr: "198.51.100.0/24" },
        "198.51.100.64/26",
      ),
    ).toBe(true);
    expect(
      ruleMatches(
        { action: "Accept", matchOperator: "NotIn", cidr: "198.51.100.0/24" },
        "203.0.113.0/24",
      ),
    ).toBe(true);
    expect(
      ruleMatches(
        { action: "Accept", cidr: "198.51.100.0/24", prefixLength: { max: 26 } },
        "198.51.100.1/32",
      ),
    ).toBe(false);
    const f = [
      {
        importV4: [
          { action: "Reject" as const, matchOperator: "In" as const, cidr: "203.0.113.0/24" },
        ],
      },
    ];
    expect(importAccepted(f, "203.0.113.0/25")).toBe(false);
    expect(importAccepted(f, "198.51.100.0/26")).toBe(true);
    expect(importAccepted([{ importV6: [{ action: "Reject" as const }] }], "2001:db8::/64")).toBe(
      false,
    );
    expect(importAccepted([{ importV6: [{ action: "Reject" as const }] }], "198.51.100.0/26")).toBe(
      true,
    );
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
