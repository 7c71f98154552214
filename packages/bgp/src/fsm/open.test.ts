// validateOpen: RFC 4271 §6.2 checks and hold/keepalive negotiation, table-driven.
import { describe, expect, it } from "vitest";
import { parseBgpId } from "./bgp-id.js";
import { BgpRole } from "./capabilities.js";
import type { FsmOptions } from "./config.js";
import { resolveConfig } from "./config.js";
import { LOCAL, peerOpen } from "./harness.js";
import type { OpenDescriptor } from "./open.js";
import { keepaliveFor, validateOpen } from "./open.js";

/** AS_TRANS (RFC 6793 §9). */
const AS_TRANS = 23456;

function check(open: Partial<OpenDescriptor>, options: Partial<FsmOptions> = {}) {
  return validateOpen(resolveConfig({ ...LOCAL, ...options }), peerOpen(open));
}

function subcode(open: Partial<OpenDescriptor>, options: Partial<FsmOptions> = {}): number | "ok" {
  const v = check(open, options);
  if (v.ok) return "ok";
  expect(v.notification.code).toBe(2);
  return v.notification.subcode;
}

describe("version (RFC 4271 §6.2)", () => {
  it.each([
    [4, "ok"],
    [3, 1],
    [5, 1],
    [0, 1],
  ] as const)("version %i → %s", (version, want) => {
    expect(subcode({ version })).toBe(want);
  });
  it("answers with the version we support as 2-octet data", () => {
    const v = check({ version: 5 });
    expect(!v.ok && [...v.notification.data]).toEqual([0, 4]);
  });
});

describe("peer AS (RFC 4271 §6.2, RFC 6793 §4.1, RFC 7607)", () => {
  const four = (as: number) => ({ multiprotocol: [{ afi: 1, safi: 1 }], fourOctetAs: as });
  it.each<[string, Partial<OpenDescriptor>, Partial<FsmOptions>, number | "ok"]>([
    ["matching 2-octet AS without capability", { myAs: 64512, capabilities: {} }, {}, "ok"],
    ["wrong 2-octet AS", { myAs: 64513, capabilities: {} }, {}, 2],
    [
      "4-octet AS via AS_TRANS",
      { myAs: AS_TRANS, capabilities: four(4200000001) },
      { peerAs: 4200000001 },
      "ok",
    ],
    [
      "AS_TRANS without the capability",
      { myAs: AS_TRANS, capabilities: {} },
      { peerAs: 4200000001 },
      2,
    ],
    [
      "wrong 4-octet AS",
      { myAs: AS_TRANS, capabilities: four(4200000002) },
      { peerAs: 4200000001 },
      2,
    ],
    ["capability wins over My AS", { myAs: 64999, capabilities: four(64512) }, {}, "ok"],
    ["AS 0 in My AS", { myAs: 0, capabilities: four(64512) }, {}, 2],
    ["AS 0 in the capability", { myAs: 64512, capabilities: four(0) }, {}, 2],
    [
      "internal wanted, internal given",
      { myAs: 64512, capabilities: {} },
      { peerAs: "internal" },
      "ok",
    ],
    [
      "internal wanted, external given",
      { myAs: 65001, capabilities: {} },
      { peerAs: "internal" },
      2,
    ],
    [
      "external wanted, external given",
      { myAs: 65001, capabilities: {} },
      { peerAs: "external" },
      "ok",
    ],
    [
      "external wanted, internal given",
      { myAs: 64512, capabilities: {} },
      { peerAs: "external" },
      2,
    ],
    ["any AS (dynamic neighbor)", { myAs: 65001, capabilities: {} }, { peerAs: undefined }, "ok"],
  ])("%s", (_name, open, options, want) => {
    expect(subcode(open, options)).toBe(want);
  });

  it("marks the session internal or external", () => {
    const i = check({});
    const e = check({ myAs: 65001, capabilities: {} }, { peerAs: 65001 });
    expect(i.ok && i.session.internal).toBe(true);
    expect(e.ok && e.session.internal).toBe(false);
    expect(e.ok && e.session.peerAs).toBe(65001);
  });
});

describe("hold time (RFC 4271 §4.2, §6.2)", () => {
  it.each<[number, Partial<FsmOptions>, number | "ok"]>([
    [0, {}, "ok"],
    [1, {}, 6],
    [2, {}, 6],
    [3, {}, "ok"],
    [65535, {}, "ok"],
    [0, { allowZeroHoldTime: false }, 6],
    [5, { minHoldTime: 10 }, 6],
    [10, { minHoldTime: 10 }, "ok"],
    [0, { minHoldTime: 10 }, "ok"],
  ])("peer proposes %i with %o → %s", (holdTime, options, want) => {
    expect(subcode({ holdTime }, options)).toBe(want);
  });

  it.each<[number, number, number | undefined, number, number]>([
    // local hold, peer hold, configured keepalive → negotiated hold, keepalive
    [90, 180, undefined, 90, 30],
    [180, 90, undefined, 90, 30],
    [90, 3, undefined, 3, 1],
    [90, 4, undefined, 4, 1],
    [90, 0, undefined, 0, 0],
    [0, 90, undefined, 0, 0],
    [90, 90, 10, 90, 10],
    [90, 30, 20, 30, 10], // never above hold/3
    [90, 90, 0, 90, 30], // 0 = default
  ])(
    "local %i, peer %i, keepalive %s → hold %i, keepalive %i",
    (local, peer, ka, hold, keepalive) => {
      const v = check({ holdTime: peer }, { holdTime: local, keepaliveTime: ka });
      expect(v.ok && [v.session.holdTime, v.session.keepaliveTime]).toEqual([hold, keepalive]);
    },
  );

  it("keepaliveFor is never more than a third and never 0 for a running hold timer", () => {
    for (let h = 3; h < 1000; h++) {
      const k = keepaliveFor(h);
      expect(k).toBeGreaterThanOrEqual(1);
      expect(k * 3).toBeLessThanOrEqual(h);
      expect(keepaliveFor(h, 1_000)).toBe(k);
    }
  });
});

describe("BGP Identifier (RFC 4271 §6.2, RFC 6286 §2.2)", () => {
  const ours = LOCAL.bgpId;
  it.each<[string, number, Partial<FsmOptions>, Partial<OpenDescriptor>, number | "ok"]>([
    ["zero", 0, {}, {}, 3],
    ["ours on iBGP", ours, {}, {}, 3],
    [
      "ours on eBGP (allowed by RFC 6286)",
      ours,
      { peerAs: 65001 },
      { myAs: 65001, capabilities: {} },
      "ok",
    ],
    [
      "configured and matching",
      parseBgpId("192.0.2.2"),
      { peerBgpId: parseBgpId("192.0.2.2") },
      {},
      "ok",
    ],
    [
      "configured and different",
      parseBgpId("192.0.2.3"),
      { peerBgpId: parseBgpId("192.0.2.2") },
      {},
      3,
    ],
    ["above 2^31", parseBgpId("203.0.113.1"), {}, {}, "ok"],
  ])("%s", (_name, bgpId, options, open, want) => {
    expect(subcode({ bgpId, ...open }, options)).toBe(want);
  });
});

describe("BGP role (RFC 9234 §4.2)", () => {
  const withRole = (role: number, strictRole = false): Partial<FsmOptions> => ({
    capabilities: { fourOctetAs: 64512, role },
    strictRole,
  });
  it.each<[string, Partial<FsmOptions>, number | undefined, number | "ok"]>([
    ["provider/customer", withRole(BgpRole.Provider), BgpRole.Customer, "ok"],
    ["customer/provider", withRole(BgpRole.Customer), BgpRole.Provider, "ok"],
    ["rs/rs-client", withRole(BgpRole.RouteServer), BgpRole.RouteServerClient, "ok"],
    ["rs-client/rs", withRole(BgpRole.RouteServerClient), BgpRole.RouteServer, "ok"],
    ["peer/peer", withRole(BgpRole.Peer), BgpRole.Peer, "ok"],
    ["provider/provider", withRole(BgpRole.Provider), BgpRole.Provider, 11],
    ["peer/customer", withRole(BgpRole.Peer), BgpRole.Customer, 11],
    ["no peer role, lax", withRole(BgpRole.Peer), undefined, "ok"],
    ["no peer role, strict", withRole(BgpRole.Peer, true), undefined, 11],
    ["no local role", {}, BgpRole.Peer, "ok"],
  ])("%s", (_name, options, role, want) => {
    const caps = { fourOctetAs: 64512, ...(role === undefined ? {} : { role }) };
    expect(subcode({ capabilities: caps }, options)).toBe(want);
  });
});

it("the negotiated session keeps the peer's OPEN and identifier", () => {
  const open = peerOpen();
  const v = validateOpen(resolveConfig(LOCAL), open);
  expect(v.ok && v.session.peerOpen).toBe(open);
  expect(v.ok && v.session.peerBgpId).toBe(parseBgpId("192.0.2.2"));
});
