// Graceful restart, helper role (RFC 4724 §4.2): the GrHelper on a real RIB,
// its one timer driven by a hand-moved clock. The stale flags, the per-family
// End-of-RIB sweep and the deadline are the RIB's; the helper arms the timer
// at the RIB's deadline and reports what went.
import { describe, expect, it } from "vitest";
import type { GracefulRestartDescriptor } from "../fsm/index.js";
import { attrs, pfx } from "../rib/rib.fixture.js";
import { Rib, type RibDelta } from "../rib/rib.js";
import { formatPrefix } from "../wire/prefix.js";
import { GrHelper, type GrTimer } from "./gr-helper.js";

const V4 = { afi: 1, safi: 1 };
const V6 = { afi: 2, safi: 1 };

/** A clock and the one timer a GrHelper arms on it. */
class Clock implements GrTimer {
  now = 0;
  pending: { fn: () => void; at: number } | undefined;
  set(fn: () => void, ms: number): unknown {
    this.pending = { fn, at: this.now + ms };
    return this.pending;
  }
  clear(h: unknown): void {
    if (this.pending === h) this.pending = undefined;
  }
  /** Moves to `t`, firing the timer when due (it may fire early by `early` ms, as real timers can). */
  to(t: number, early = 0): void {
    this.now = t;
    const p = this.pending;
    if (p && p.at - early <= t) {
      this.pending = undefined;
      p.fn();
    }
  }
}

function setUp() {
  const rib = new Rib({ localAs: 64500, routerId: "192.0.2.254" });
  rib.addPeer({ id: "192.0.2.1", address: "192.0.2.1", asn: 65001, routerId: "192.0.2.1" });
  rib.addPeer({ id: "192.0.2.2", address: "192.0.2.2", asn: 65002, routerId: "192.0.2.2" });
  const clock = new Clock();
  const events: { gone: string[][]; stale: [string[], number][]; warnings: string[] } = {
    gone: [],
    stale: [],
    warnings: [],
  };
  let changed = 0;
  const deltas: RibDelta[] = [];
  rib.subscribe((d) => deltas.push(...d));
  const gr = new GrHelper(
    {
      rib,
      id: "192.0.2.1",
      registered: () => true,
      routesGone: (k) => events.gone.push(k),
      stale: (k, t) => events.stale.push([k, t]),
      warning: (m) => events.warnings.push(m),
      changed: () => changed++,
      guard: (_where, fn) => fn(),
      now: () => clock.now,
    },
    clock,
  );
  const a1 = attrs({ path: [65001], nextHop: "192.0.2.1" });
  rib.announce(
    "192.0.2.1",
    pfx("198.51.100.0/26", "198.51.100.64/26"),
    attrs({ path: [65001], nextHop: "192.0.2.1" }),
  );
  rib.announce(
    "192.0.2.1",
    pfx("2001:db8:1::/48"),
    attrs({ path: [65001], nextHop: "2001:db8::1" }),
  );
  // A longer path from the other peer to the first prefix: the backup.
  rib.announce(
    "192.0.2.2",
    pfx("198.51.100.0/26"),
    attrs({ path: [65002, 65003], nextHop: "192.0.2.2" }),
  );
  deltas.length = 0;
  return { rib, clock, gr, events, deltas, a1, changes: () => changed };
}

const grCap = (restartTime: number, ...fams: (typeof V4)[]) => ({
  restartTime,
  restarting: false,
  families: fams.map((f) => ({ ...f, forwardingPreserved: true })),
});
const shown = (ds: readonly RibDelta[]) =>
  ds.map((d) => [formatPrefix(d.prefix), d.kind, d.best?.source.id]);

describe("GrHelper: the peer goes away (RFC 4724 §4.2)", () => {
  it("keeps its listed families stale until its Restart Time, then the RIB's expiry sweeps them", () => {
    const { rib, clock, gr, events, deltas, changes } = setUp();
    clock.now = 1_000;
    // The peer listed IPv4 only: its IPv6 route is not preserved.
    gr.keep(grCap(30, V4));
    expect(events.gone).toEqual([["2001:db8:1::/48"]]);
    expect(events.stale).toEqual([[["198.51.100.0/26", "198.51.100.64/26"], 30]]);
    expect(rib.staleCount("192.0.2.1")).toBe(2);
    expect(gr.staleRoutes()).toEqual(["198.51.100.0/26", "198.51.100.64/26"]);
    // One timer, at the RIB's deadline (the peer's Restart Time from now).
    expect(rib.nextDeadline("192.0.2.1")).toBe(31_000);
    expect(clock.pending?.at).toBe(31_000);
    // Stale routes stay best: no change for the kernel while the peer is away.
    expect(shown(deltas)).toEqual([["2001:db8:1::/48", "withdrawn", undefined]]);
    deltas.length = 0;
    clock.to(30_999);
    expect(rib.staleCount("192.0.2.1")).toBe(2);
    clock.to(31_000);
    expect(rib.staleCount("192.0.2.1")).toBe(0);
    expect(events.gone.at(-1)).toEqual(["198.51.100.0/26", "198.51.100.64/26"]);
    expect(events.warnings).toEqual([
      "graceful restart: 2 stale route(s) withdrawn (restart-time)",
    ]);
    // Best-path deltas for what changed: the backup takes over, the other goes.
    expect(shown(deltas)).toEqual([
      ["198.51.100.0/26", "best", "192.0.2.2"],
      ["198.51.100.64/26", "withdrawn", undefined],
    ]);
    expect(changes()).toBeGreaterThan(0);
    expect(rib.nextDeadline("192.0.2.1")).toBeUndefined();
    expect(clock.pending).toBeUndefined();
  });

  it("a timer that fires before the deadline on the speaker's clock sweeps nothing and waits", () => {
    const { rib, clock, gr } = setUp();
    gr.keep(grCap(10, V4, V6));
    clock.to(9_990, 20);
    expect(rib.staleCount("192.0.2.1")).toBe(3);
    expect(clock.pending?.at).toBe(10_000);
    clock.to(10_000);
    expect(rib.staleCount("192.0.2.1")).toBe(0);
  });
});

describe("GrHelper: the peer comes back (RFC 4724 §4.2)", () => {
  const back = (gr: GracefulRestartDescriptor | undefined, ...families: (typeof V4)[]) => ({
    capabilities: { families, ...(gr ? { gracefulRestart: gr } : {}) },
  });

  it("flushes a family without the F bit, then waits for End-of-RIB per family up to the stale time", () => {
    const { rib, clock, gr, events, deltas, a1 } = setUp();
    gr.keep(grCap(120, V4, V6));
    expect(rib.staleCount("192.0.2.1")).toBe(3);
    clock.now = 5_000;
    gr.peerReturned(
      back(
        {
          restartTime: 120,
          restarting: true,
          families: [
            { ...V4, forwardingPreserved: true },
            { ...V6, forwardingPreserved: false },
          ],
        },
        V4,
        V6,
      ),
      60,
    );
    // IPv6 had no forwarding state kept: its stale route went at once.
    expect(events.gone).toEqual([["2001:db8:1::/48"]]);
    expect(rib.staleCount("192.0.2.1")).toBe(2);
    // The restart timer became the stale timer.
    expect(rib.nextDeadline("192.0.2.1")).toBe(65_000);
    expect(clock.pending?.at).toBe(65_000);
    // One route re-announced: fresh again, kept by End-of-RIB.
    rib.announce("192.0.2.1", pfx("198.51.100.64/26"), a1);
    deltas.length = 0;
    // End-of-RIB of another family sweeps nothing of IPv4.
    gr.sweep("ipv6-unicast", "end-of-rib");
    expect(rib.staleCount("192.0.2.1")).toBe(1);
    gr.sweep("ipv4-unicast", "end-of-rib");
    expect(events.gone.at(-1)).toEqual(["198.51.100.0/26"]);
    expect(gr.staleRoutes()).toEqual([]);
    expect(shown(deltas)).toEqual([["198.51.100.0/26", "best", "192.0.2.2"]]);
    expect([...rib.routes({ peer: "192.0.2.1" })].map((r) => formatPrefix(r.prefix))).toEqual([
      "198.51.100.64/26",
    ]);
    // Nothing stale: no timer, no deadline.
    expect(clock.pending).toBeUndefined();
    expect(rib.nextDeadline("192.0.2.1")).toBeUndefined();
  });

  it("no End-of-RIB within the stale time: the RIB's expiry sweeps", () => {
    const { rib, clock, gr, events } = setUp();
    gr.keep(grCap(120, V4, V6));
    clock.now = 2_000;
    gr.peerReturned(back(grCap(120, V4, V6), V4, V6), 30);
    expect(rib.staleCount("192.0.2.1")).toBe(3);
    clock.to(31_999);
    expect(rib.staleCount("192.0.2.1")).toBe(3);
    clock.to(32_000);
    expect(rib.staleCount("192.0.2.1")).toBe(0);
    expect(events.warnings.at(-1)).toBe(
      "graceful restart: 3 stale route(s) withdrawn (stale-time)",
    );
  });

  it("back without the capability, or without a family: those stale routes go at once", () => {
    const { rib, clock, gr, events } = setUp();
    gr.keep(grCap(120, V4, V6));
    gr.peerReturned(back(undefined, V4, V6), 30);
    expect(rib.staleCount("192.0.2.1")).toBe(0);
    expect(clock.pending).toBeUndefined();
    const s2 = setUp();
    s2.gr.keep(grCap(120, V4, V6));
    // IPv6 is no longer negotiated: it will never see an End-of-RIB.
    s2.gr.peerReturned(back(grCap(120, V4, V6), V4), 30);
    expect(s2.events.gone).toEqual([["2001:db8:1::/48"]]);
    expect(s2.rib.staleCount("192.0.2.1")).toBe(2);
    expect(events.warnings[0]).toContain("(no-forwarding-state)");
    expect(s2.events.warnings[0]).toContain("(family-gone)");
  });
});

describe("Rib graceful-restart sweeps the helper relies on", () => {
  it("End-of-RIB of one AFI sweeps that AFI only and keeps the deadline while others are stale", () => {
    const { rib } = setUp();
    rib.markStale("192.0.2.1", 0, 60);
    expect(shown(rib.endOfRib("192.0.2.1", 2))).toEqual([
      ["2001:db8:1::/48", "withdrawn", undefined],
    ]);
    expect(rib.staleCount("192.0.2.1")).toBe(2);
    expect(rib.nextDeadline("192.0.2.1")).toBe(60_000);
    rib.endOfRib("192.0.2.1", 1);
    expect(rib.nextDeadline("192.0.2.1")).toBeUndefined();
  });

  it("expireStale for one peer leaves another peer's due stale paths alone", () => {
    const { rib } = setUp();
    rib.markStale("192.0.2.1", 0, 10);
    rib.markStale("192.0.2.2", 0, 10);
    rib.expireStale(10_000, "192.0.2.2");
    expect(rib.staleCount("192.0.2.2")).toBe(0);
    expect(rib.staleCount("192.0.2.1")).toBe(3);
    expect(rib.nextDeadline()).toBe(10_000);
  });

  it("a swept stale path leaves the Adj-RIB-In before policy too (no return on a policy change)", () => {
    const rib = new Rib({ localAs: 64500, routerId: "192.0.2.254" });
    rib.addPeer({
      id: "192.0.2.1",
      address: "192.0.2.1",
      asn: 65001,
      routerId: "192.0.2.1",
      keepPreImport: true,
    });
    const a = attrs({ path: [65001], nextHop: "192.0.2.1" });
    rib.announce("192.0.2.1", pfx("198.51.100.0/26", "198.51.100.64/26"), a);
    rib.markStale("192.0.2.1", 0, 60);
    rib.announce("192.0.2.1", pfx("198.51.100.64/26"), a);
    rib.endOfRib("192.0.2.1", 1);
    expect([...rib.preImport("192.0.2.1")].map((x) => formatPrefix(x.prefix))).toEqual([
      "198.51.100.64/26",
    ]);
    // A policy change re-evaluates the Adj-RIB-In before policy: the swept route stays gone.
    rib.setImportPolicy("192.0.2.1", undefined);
    expect([...rib.routes({ peer: "192.0.2.1" })].map((r) => formatPrefix(r.prefix))).toEqual([
      "198.51.100.64/26",
    ]);
  });
});
