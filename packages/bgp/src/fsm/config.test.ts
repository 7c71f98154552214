// Configuration checks (local misuse → FsmConfigError) and BGP Identifier text form.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BgpIdError, formatBgpId, parseBgpId } from "./bgp-id.js";
import type { FsmOptions } from "./config.js";
import { FsmConfigError, resolveConfig } from "./config.js";
import { LOCAL } from "./harness.js";

describe("resolveConfig", () => {
  it("fills RFC 4271 §10 defaults", () => {
    const c = resolveConfig(LOCAL);
    expect([c.holdTime, c.connectRetryTime, c.openHoldTime]).toEqual([90, 120, 240]);
    expect([c.passive, c.delayOpen, c.allowAutomaticStart, c.dampPeerOscillations]).toEqual([
      false,
      false,
      true,
      true,
    ]);
    expect(c.capabilities).toEqual({
      multiprotocol: [{ afi: 1, safi: 1 }],
      routeRefresh: true,
      fourOctetAs: 64512,
    });
  });

  it.each<[string, Partial<FsmOptions>]>([
    ["localAs", { localAs: 0 }],
    ["localAs", { localAs: 2 ** 32 }],
    ["bgpId", { bgpId: 0 }],
    ["bgpId", { bgpId: 1.5 }],
    ["peerAs", { peerAs: 0 }],
    ["peerBgpId", { peerBgpId: 0 }],
    ["holdTime", { holdTime: 1 }],
    ["holdTime", { holdTime: 2 }],
    ["holdTime", { holdTime: 70000 }],
    ["keepaliveTime", { keepaliveTime: -1 }],
    ["minHoldTime", { minHoldTime: 2 }],
    ["connectRetryTime", { connectRetryTime: 0 }],
    ["delayOpenTime", { delayOpenTime: Number.NaN }],
    ["idleHoldTime", { idleHoldTime: 0 }],
    ["maxIdleHoldTime", { idleHoldTime: 10, maxIdleHoldTime: 5 }],
    ["idleHoldResetTime", { idleHoldResetTime: -1 }],
  ])("rejects a bad %s", (option, over) => {
    expect(() => resolveConfig({ ...LOCAL, ...over })).toThrow(FsmConfigError);
    try {
      resolveConfig({ ...LOCAL, ...over });
    } catch (e) {
      expect((e as FsmConfigError).option).toBe(option);
    }
  });

  it("accepts hold time 0 and 3", () => {
    expect(resolveConfig({ ...LOCAL, holdTime: 0 }).holdTime).toBe(0);
    expect(resolveConfig({ ...LOCAL, holdTime: 3 }).holdTime).toBe(3);
  });
});

describe("BGP Identifier text", () => {
  it("parses and formats dotted quads", () => {
    expect(parseBgpId("192.0.2.1")).toBe(0xc0000201);
    expect(formatBgpId(0xcb007101)).toBe("203.0.113.1");
  });

  it.each(["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "a.b.c.d", "1..2.3", "-1.0.0.0", "1.2.3.04444"])(
    "rejects %j",
    (text) => {
      expect(() => parseBgpId(text)).toThrow(BgpIdError);
    },
  );

  it("rejects numbers outside 32 bits when formatting", () => {
    expect(() => formatBgpId(-1)).toThrow(BgpIdError);
    expect(() => formatBgpId(2 ** 32)).toThrow(BgpIdError);
  });

  it("round-trips every 32-bit value", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff_ffff }),
        (n) => parseBgpId(formatBgpId(n)) === n,
      ),
    );
  });
});
