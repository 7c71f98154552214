// Feasibility: each reason a received path is treated as withdrawn, and the
// cases that look close but are fine.
import { describe, expect, it } from "vitest";
import { parseAddress } from "../wire/address.js";
import { parseSubnet } from "./addr.js";
import { AttrInterner } from "./attrs.js";
import { checkFeasible, type FeasibilityContext, type InfeasibleReason } from "./feasibility.js";
import { type AttrsSpec, attrs } from "./rib.fixture.js";

const interner = new AttrInterner();
const base: FeasibilityContext = {
  localAs: 65000,
  routerId: "192.0.2.254",
  clusterId: "192.0.2.253",
  ownAddresses: [parseAddress("192.0.2.254"), parseAddress("2001:db8::fe")],
  kind: "ebgp",
  allowAsIn: 0,
  multihop: false,
  sharedSubnets: [parseSubnet("192.0.2.0/24"), parseSubnet("2001:db8::/64")],
};
const check = (spec: AttrsSpec, ctx: Partial<FeasibilityContext> = {}) =>
  checkFeasible(interner.intern(attrs(spec)), { ...base, ...ctx })?.reason;

describe("checkFeasible", () => {
  it.each<[string, AttrsSpec, Partial<FeasibilityContext>, InfeasibleReason | undefined]>([
    [
      "a plain eBGP path on the shared subnet",
      { path: [65001], nextHop: "192.0.2.1" },
      {},
      undefined,
    ],
    ["our AS in the path", { path: [65001, 65000], nextHop: "192.0.2.1" }, {}, "as-path-loop"],
    [
      "our AS once with allowas-in 1",
      { path: [65001, 65000], nextHop: "192.0.2.1" },
      { allowAsIn: 1 },
      undefined,
    ],
    [
      "our AS twice with allowas-in 1",
      { path: [65000, 65001, 65000], nextHop: "192.0.2.1" },
      { allowAsIn: 1 },
      "as-path-loop",
    ],
    [
      "our ORIGINATOR_ID",
      { path: [], originatorId: "192.0.2.254", nextHop: "192.0.2.1" },
      { kind: "ibgp", multihop: true },
      "originator-id-loop",
    ],
    [
      "another ORIGINATOR_ID",
      { path: [], originatorId: "192.0.2.7", nextHop: "192.0.2.1" },
      { kind: "ibgp", multihop: true },
      undefined,
    ],
    [
      "our cluster id in CLUSTER_LIST",
      { path: [], clusterList: ["192.0.2.1", "192.0.2.253"], nextHop: "192.0.2.1" },
      { kind: "ibgp", multihop: true },
      "cluster-list-loop",
    ],
    ["no next hop", { path: [65001] }, {}, "next-hop-missing"],
    ["next hop 0.0.0.0", { path: [65001], nextHop: "0.0.0.0" }, {}, "next-hop-unusable"],
    ["next hop multicast", { path: [65001], nextHop: "224.0.0.5" }, {}, "next-hop-unusable"],
    ["next hop class E", { path: [65001], nextHop: "240.0.0.1" }, {}, "next-hop-unusable"],
    ["next hop loopback", { path: [65001], nextHop: "127.0.0.1" }, {}, "next-hop-unusable"],
    [
      "next hop is our own address",
      { path: [65001], nextHop: "192.0.2.254" },
      {},
      "next-hop-own-address",
    ],
    [
      "single-hop eBGP next hop off the shared subnet",
      { path: [65001], nextHop: "198.51.100.1" },
      {},
      "next-hop-off-subnet",
    ],
    [
      "multihop eBGP next hop anywhere",
      { path: [65001], nextHop: "198.51.100.1" },
      { multihop: true },
      undefined,
    ],
    [
      "iBGP next hop anywhere",
      { path: [], nextHop: "198.51.100.1" },
      { kind: "ibgp", multihop: true },
      undefined,
    ],
    ["IPv6 global on the link", { path: [65001], nextHop: "2001:db8::1" }, {}, undefined],
    ["IPv6 multicast", { path: [65001], nextHop: "ff02::1" }, {}, "next-hop-unusable"],
    ["IPv6 :: ", { path: [65001], nextHop: "::" }, {}, "next-hop-unusable"],
    [
      "IPv6 link-local only, directly connected (RFC 2545)",
      { path: [65001], nextHop: "fe80::1" },
      {},
      undefined,
    ],
    [
      "IPv6 link-local only, multihop",
      { path: [65001], nextHop: "fe80::1" },
      { multihop: true },
      "next-hop-link-local-multihop",
    ],
    [
      "IPv6 global off-link plus link-local (32-octet next hop)",
      { path: [65001], nextHop: "2001:db8:9::1", linkLocal: "fe80::1" },
      {},
      undefined,
    ],
    [
      "IPv6 global off-link, no link-local",
      { path: [65001], nextHop: "2001:db8:9::1" },
      {},
      "next-hop-off-subnet",
    ],
    [
      "IPv6 our own address",
      { path: [65001], nextHop: "2001:db8::fe" },
      {},
      "next-hop-own-address",
    ],
  ])("%s", (_name, spec, ctx, reason) => {
    expect(check(spec, ctx)).toBe(reason);
  });

  it("an empty shared-subnet list skips the subnet check", () => {
    expect(
      check({ path: [65001], nextHop: "198.51.100.1" }, { sharedSubnets: [] }),
    ).toBeUndefined();
  });

  it("local origination is always feasible", () => {
    expect(check({ path: [65000] }, { kind: "local" })).toBeUndefined();
  });

  it("says why in words", () => {
    const r = checkFeasible(interner.intern(attrs({ path: [65000], nextHop: "192.0.2.1" })), base);
    expect(r?.message).toMatch(/AS_PATH contains our AS 65000 1 time/);
  });
});
