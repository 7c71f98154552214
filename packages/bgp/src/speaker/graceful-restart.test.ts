import { describe, expect, it } from "vitest";
import type { GracefulRestartDescriptor, SessionError } from "../fsm/index.js";
import { familiesToFlush, keepsRoutes } from "./graceful-restart.js";
import { buildOpen, localDescriptor, openDescriptor } from "./open-map.js";

const v4 = { afi: 1, safi: 1 };
const v6 = { afi: 2, safi: 1 };
const peerGr: GracefulRestartDescriptor = {
  restartTime: 120,
  restarting: false,
  families: [{ ...v4, forwardingPreserved: true }],
};
const down = (extra: Partial<SessionError>): SessionError => ({
  event: "TcpConnectionFails",
  state: "Established",
  at: 0,
  ...extra,
});

describe("graceful restart: when routes are kept (RFC 4724 §4.2)", () => {
  it("TCP failure of a GR peer keeps them; no capability does not", () => {
    expect(keepsRoutes(peerGr, down({}))).toBe(true);
    expect(keepsRoutes(undefined, down({}))).toBe(false);
  });
  it("hold timer expiry (we sent Hold Timer Expired) keeps them", () => {
    const sent = { code: 4, subcode: 0, data: new Uint8Array() };
    expect(keepsRoutes(peerGr, down({ event: "HoldTimer_Expires", sent }))).toBe(true);
  });
  it("a NOTIFICATION received, or our operator's stop, does not", () => {
    const received = { code: 6, subcode: 2, data: new Uint8Array() };
    expect(keepsRoutes(peerGr, down({ event: "NotifMsg", received }))).toBe(false);
    expect(keepsRoutes(peerGr, down({ event: "ManualStop" }))).toBe(false);
    expect(keepsRoutes(peerGr, down({ event: "AutomaticStop" }))).toBe(false);
  });
  it("with both N bits (RFC 8538) a NOTIFICATION keeps them, a Hard Reset never", () => {
    const n = { ...peerGr, notification: true };
    const received = { code: 6, subcode: 2, data: new Uint8Array() };
    expect(keepsRoutes(n, down({ event: "NotifMsg", received }), true)).toBe(true);
    const hard = { code: 6, subcode: 9, data: new Uint8Array() };
    expect(keepsRoutes(n, down({ event: "NotifMsg", received: hard }), true)).toBe(false);
  });
});

describe("graceful restart: the peer comes back", () => {
  it("without the capability every family is flushed; without F only that family", () => {
    expect(familiesToFlush(undefined, [v4, v6])).toEqual([v4, v6]);
    const back: GracefulRestartDescriptor = {
      restartTime: 120,
      restarting: true,
      families: [
        { ...v4, forwardingPreserved: true },
        { ...v6, forwardingPreserved: false },
      ],
    };
    expect(familiesToFlush(back, [v4, v6])).toEqual([v6]);
  });
});

describe("graceful restart capability in our OPEN (RFC 4724 §3)", () => {
  it("carries Restart Time, the R bit and an F bit per family", () => {
    const caps = {
      asn: 65001,
      families: ["ipv4-unicast", "ipv6-unicast"] as const,
      gracefulRestart: { restartTime: 90, restarting: true, forwardingPreserved: true },
    };
    const open = buildOpen(caps, 90, "192.0.2.1");
    const gr = open.capabilities.find((c) => c.type === "graceful-restart");
    expect(gr).toEqual({
      type: "graceful-restart",
      flags: 0x8,
      restartTime: 90,
      families: [
        { afi: 1, safi: 1, flags: 0x80 },
        { afi: 2, safi: 1, flags: 0x80 },
      ],
    });
    expect(openDescriptor(open).capabilities.gracefulRestart).toEqual({
      ...localDescriptor(caps).gracefulRestart,
      notification: false,
    });
    const plain = buildOpen({ asn: 65001, families: ["ipv4-unicast"] }, 90, "192.0.2.1");
    expect(plain.capabilities.some((c) => c.type === "graceful-restart")).toBe(false);
  });
});
