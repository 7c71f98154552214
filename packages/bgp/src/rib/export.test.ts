// Outbound: who gets a path (split horizon, reflection, well-known
// communities, never back to the source) and what it looks like (BIRD's
// transformation: AS prepend, LOCAL_PREF/MED, unknown attributes with
// Partial, AS4 for 2-octet peers, next-hop modes, reflection attributes);
// the Adj-RIB-Out (full sync, coalescing, grouping by attribute set, export
// policy changes sending only the difference, ADD-PATH send) and packing
// into real UPDATE bytes that decode back to the same routes.
import { describe, expect, it } from "vitest";
import type { PathAttribute } from "../wire/attributes/table.js";
import { codecContext } from "../wire/context.js";
import { decodeMessage } from "../wire/message.js";
import { encodeUpdates } from "../wire/messages/pack.js";
import { formatPrefix, prefixKey } from "../wire/prefix.js";
import { AdjRibOut, type OutboundBatch, type PackedBatch, v4FromKey } from "./adj-rib-out.js";
import { AttrInterner, type AttrSet } from "./attrs.js";
import { batchToUpdates } from "./pack.js";
import { attrs, nthPrefix, pfx } from "./rib.fixture.js";
import { Rib, type RibPeerConfig } from "./rib.js";

const LOCAL_AS = 65000;
const P = pfx("198.51.100.0/24");

/** A RIB with peers on 192.0.2.0/24 (we are .254); `rr` makes us a reflector. */
function topo(rr = false, extra: Record<string, Partial<RibPeerConfig>> = {}) {
  const r = new Rib({
    localAs: LOCAL_AS,
    routerId: "192.0.2.254",
    ...(rr ? { clusterId: "192.0.2.253" } : {}),
  });
  const add = (id: string, n: number, asn: number, more: Partial<RibPeerConfig> = {}) =>
    r.addPeer({
      id,
      address: `192.0.2.${n}`,
      asn,
      routerId: `10.0.0.${n}`,
      localAddress: "192.0.2.254",
      sharedSubnets: ["192.0.2.0/24"],
      ...more,
      ...extra[id],
    });
  add("e1", 1, 65001);
  add("e2", 2, 65002);
  add("i3", 3, LOCAL_AS, { rrClient: true });
  add("i4", 4, LOCAL_AS, { rrClient: true });
  add("i5", 5, LOCAL_AS);
  add("i6", 6, LOCAL_AS);
  return r;
}

function sent(r: Rib, peer: string, prefix = P[0]!) {
  const out = r.adjRibOut(peer) ?? r.startExport(peer);
  out.take();
  return out.advertised(prefix);
}
const types = (a: readonly PathAttribute[] | undefined) => a?.map((x) => x.type);

describe("who gets a path", () => {
  it("eBGP-learned: to every other peer, not back to its source", () => {
    const r = topo();
    for (const p of ["e1", "e2", "i3", "i5"]) r.startExport(p);
    r.announce("e1", P, attrs({ path: [65001], nextHop: "192.0.2.1" }));
    expect(sent(r, "e1")).toBeUndefined();
    expect(sent(r, "e2")).toBeDefined();
    expect(sent(r, "i3")).toBeDefined();
    expect(sent(r, "i5")).toBeDefined();
  });

  it("iBGP split horizon without reflection", () => {
    const r = topo(false);
    r.announce("i5", P, attrs({ path: [], nextHop: "192.0.2.5", localPref: 100 }));
    expect(sent(r, "i6")).toBeUndefined();
    expect(sent(r, "i3")).toBeUndefined();
    expect(sent(r, "e1")).toBeDefined();
    expect(r.exportPreview(r.best(P[0]!)!, P[0]!, "i6")).toEqual({ skip: "ibgp-split-horizon" });
  });

  it("route reflection (RFC 4456 §6): client → all; non-client → clients only; never to the originator", () => {
    const r = topo(true);
    r.announce("i3", P, attrs({ path: [], nextHop: "192.0.2.3", localPref: 100 }));
    expect(sent(r, "i4")).toBeDefined();
    expect(sent(r, "i5")).toBeDefined();
    expect(sent(r, "i3")).toBeUndefined();
    const q = pfx("203.0.113.0/24");
    r.announce("i5", q, attrs({ path: [], nextHop: "192.0.2.5", localPref: 100 }));
    expect(sent(r, "i3", q[0])).toBeDefined();
    expect(sent(r, "i6", q[0])).toBeUndefined();
    expect(r.exportPreview(r.best(q[0]!)!, q[0]!, "i6")).toEqual({
      skip: "reflect-non-client-to-non-client",
    });
    // A path whose ORIGINATOR_ID is client i4's router id is not reflected back to i4.
    const z = pfx("192.0.2.128/25");
    r.announce(
      "i3",
      z,
      attrs({
        path: [],
        nextHop: "192.0.2.3",
        originatorId: "10.0.0.4",
        clusterList: ["192.0.2.99"],
      }),
    );
    expect(r.exportPreview(r.best(z[0]!)!, z[0]!, "i4")).toEqual({ skip: "reflect-to-originator" });
  });

  it("NO_ADVERTISE to nobody; NO_EXPORT and NO_EXPORT_SUBCONFED not to eBGP", () => {
    const r = topo(true);
    const cases: [number, Record<string, boolean>][] = [
      [0xffffff02, { e2: false, i5: false }],
      [0xffffff01, { e2: false, i5: true }],
      [0xffffff03, { e2: false, i5: true }],
    ];
    cases.forEach(([c, expected], i) => {
      const p = nthPrefix(i);
      r.announce("e1", [p], attrs({ path: [65001], nextHop: "192.0.2.1", communities: [c] }));
      for (const [peer, yes] of Object.entries(expected))
        expect(sent(r, peer, p) !== undefined).toBe(yes);
    });
  });
});

describe("what it looks like", () => {
  const unknownT: PathAttribute = {
    type: "unknown",
    code: 250,
    flags: 0xc0,
    value: Uint8Array.of(1),
  };
  const unknownN: PathAttribute = {
    type: "unknown",
    code: 251,
    flags: 0x80,
    value: Uint8Array.of(2),
  };

  it("eBGP transit: our AS prepended, MED and LOCAL_PREF removed, next hop self off-subnet, unknown attributes as BIRD", () => {
    const r = topo(false, {
      e2: { sharedSubnets: ["203.0.113.0/24"], localAddress: "203.0.113.254" },
    });
    r.announce(
      "e1",
      P,
      attrs({
        path: [65001, 65010],
        nextHop: "192.0.2.1",
        med: 50,
        localPref: 300,
        extra: [unknownT, unknownN],
      }),
    );
    const s = sent(r, "e2")!;
    expect(s.asPath).toEqual([{ type: 2, asns: [LOCAL_AS, 65001, 65010] }]);
    expect(s.med).toBeUndefined();
    expect(s.localPref).toBeUndefined();
    expect(s.nextHop).toBe("203.0.113.254");
    const u = s.attributes.filter((a) => a.type === "unknown");
    expect(u).toEqual([{ ...unknownT, flags: 0xe0 }]);
  });

  it("eBGP third-party next hop on the shared subnet is kept (auto); `self` overrides", () => {
    const r = topo(false, { e1: { nextHopMode: "self" } });
    r.announce("e2", P, attrs({ path: [65002], nextHop: "192.0.2.2" }));
    expect(sent(r, "e1")!.nextHop).toBe("192.0.2.254");
    r.announce("i5", pfx("203.0.113.0/24"), attrs({ path: [], nextHop: "192.0.2.5" }));
    expect(sent(r, "e2", pfx("203.0.113.0/24")[0])!.nextHop).toBe("192.0.2.5");
  });

  it("eBGP → iBGP: LOCAL_PREF 100 added, next hop kept (auto) or ours (self), MED kept", () => {
    const r = topo(false, { i6: { nextHopMode: "self" } });
    r.announce("e1", P, attrs({ path: [65001], nextHop: "192.0.2.1", med: 7 }));
    const s = sent(r, "i5")!;
    expect(s.localPref).toBe(100);
    expect(s.med).toBe(7);
    expect(s.nextHop).toBe("192.0.2.1");
    expect(s.asPath).toEqual([{ type: 2, asns: [65001] }]);
    expect(sent(r, "i6")!.nextHop).toBe("192.0.2.254");
  });

  it("reflected: ORIGINATOR_ID set once, our cluster id prepended, next hop kept, stripped towards eBGP", () => {
    const r = topo(true);
    r.announce("i3", P, attrs({ path: [], nextHop: "192.0.2.3", localPref: 120 }));
    const s = sent(r, "i5")!;
    expect(s.originatorId).toBe("10.0.0.3");
    expect(s.clusterList).toEqual(["192.0.2.253"]);
    expect(s.nextHop).toBe("192.0.2.3");
    expect(s.localPref).toBe(120);
    const q = pfx("203.0.113.0/24");
    r.announce(
      "i3",
      q,
      attrs({
        path: [],
        nextHop: "192.0.2.3",
        originatorId: "10.9.9.9",
        clusterList: ["192.0.2.77"],
      }),
    );
    const t = sent(r, "i4", q[0])!;
    expect(t.originatorId).toBe("10.9.9.9");
    expect(t.clusterList).toEqual(["192.0.2.253", "192.0.2.77"]);
    const e = sent(r, "e1")!;
    expect(e.originatorId).toBeUndefined();
    expect(e.clusterList).toEqual([]);
  });

  it("2-octet peer: AS4_PATH rebuilt (RFC 6793 §4.2.2); 4-octet peer: never AS4_PATH", () => {
    const r = topo(false, { e2: { fourOctetAs: false } });
    r.announce(
      "e1",
      P,
      attrs({
        path: [65001, 4200000001],
        nextHop: "192.0.2.1",
        extra: [{ type: "as4-path", segments: [{ type: 2, asns: [1] }] }],
      }),
    );
    const old = sent(r, "e2")!;
    expect(types(old.attributes)).toContain("as4-path");
    expect(old.attributes.find((a) => a.type === "as4-path")).toEqual({
      type: "as4-path",
      segments: [{ type: 2, asns: [LOCAL_AS, 65001, 4200000001] }],
    });
    expect(types(sent(r, "i5")!.attributes)).not.toContain("as4-path");
    // Only 2-octet ASes: no AS4_PATH needed.
    r.announce("e1", pfx("203.0.113.0/24"), attrs({ path: [65001], nextHop: "192.0.2.1" }));
    expect(types(sent(r, "e2", pfx("203.0.113.0/24")[0])!.attributes)).not.toContain("as4-path");
  });

  it("local origination: ORIGIN IGP and AS_PATH [our AS] to eBGP, empty path and LOCAL_PREF 100 to iBGP, next hop self, MED kept", () => {
    const r = topo();
    r.originate(P, {
      attributes: [
        { type: "med", med: 9 },
        { type: "unknown", code: 250, flags: 0xc0, value: Uint8Array.of(1) },
      ],
    });
    const e = sent(r, "e1")!;
    expect(e.origin).toBe(0);
    expect(e.asPath).toEqual([{ type: 2, asns: [LOCAL_AS] }]);
    expect(e.nextHop).toBe("192.0.2.254");
    expect(e.med).toBe(9);
    // Our own optional transitive attribute goes out without Partial.
    expect(e.attributes.find((a) => a.type === "unknown")).toMatchObject({ flags: 0xc0 });
    const i = sent(r, "i5")!;
    expect(i.asPath).toEqual([]);
    expect(i.localPref).toBe(100);
    expect(i.nextHop).toBe("192.0.2.254");
  });

  it("IPv6: link-local next hop only on its own link; self puts ours", () => {
    const r = new Rib({ localAs: LOCAL_AS, routerId: "192.0.2.254" });
    r.addPeer({
      id: "a",
      address: "2001:db8::1",
      asn: 65001,
      routerId: "10.0.0.1",
      localAddress: "2001:db8::fe",
      localLinkLocal: "fe80::fe",
      sharedSubnets: ["2001:db8::/64"],
    });
    r.addPeer({
      id: "b",
      address: "2001:db8:1::1",
      asn: 65002,
      routerId: "10.0.0.2",
      localAddress: "2001:db8:1::fe",
      localLinkLocal: "fe80::1:fe",
      sharedSubnets: ["2001:db8:1::/64"],
    });
    r.addPeer({
      id: "c",
      address: "2001:db8::3",
      asn: LOCAL_AS,
      routerId: "10.0.0.3",
      localAddress: "2001:db8::fe",
    });
    const q = pfx("2001:db8:99::/48");
    r.announce("a", q, attrs({ path: [65001], nextHop: "2001:db8::1", linkLocal: "fe80::1" }));
    const b = sent(r, "b", q[0])!;
    expect([b.nextHop, b.linkLocalNextHop]).toEqual(["2001:db8:1::fe", "fe80::1:fe"]);
    const c = sent(r, "c", q[0])!;
    expect([c.nextHop, c.linkLocalNextHop]).toEqual(["2001:db8::1", undefined]);
  });
});

describe("Adj-RIB-Out", () => {
  it("startExport queues the whole Loc-RIB grouped by attribute set; take() marks it advertised", () => {
    const r = topo();
    const a = attrs({ path: [65001], nextHop: "192.0.2.1" });
    const b = attrs({ path: [65001, 5], nextHop: "192.0.2.1" });
    r.announce(
      "e1",
      Array.from({ length: 300 }, (_, i) => nthPrefix(i)),
      a,
    );
    r.announce(
      "e1",
      Array.from({ length: 200 }, (_, i) => nthPrefix(300 + i)),
      b,
    );
    expect(r.pendingPeers()).toEqual([]);
    const out = r.startExport("e2");
    expect(r.pendingPeers()).toEqual(["e2"]);
    expect(out.pendingCount).toBe(500);
    const batch = out.take();
    expect(batch.announce.map((g) => g.prefixes.length).sort()).toEqual([200, 300]);
    expect(out.size).toBe(500);
    expect(out.pendingCount).toBe(0);
    expect(r.pendingPeers()).toEqual([]);
  });

  it("coalesces: a flap before sending sends the final state once; announce+withdraw of something never sent is nothing", () => {
    const r = topo();
    const out = r.startExport("e2");
    const a = attrs({ path: [65001], nextHop: "192.0.2.1" });
    r.announce("e1", P, a);
    r.withdraw("e1", P);
    expect(out.pendingCount).toBe(0);
    r.announce("e1", P, a);
    out.take();
    r.announce("e1", P, attrs({ path: [65001, 9], nextHop: "192.0.2.1" }));
    r.announce("e1", P, a);
    expect(out.pendingCount).toBe(0);
    r.withdraw("e1", P);
    const batch = out.take();
    expect(batch.withdraw.map(formatPrefix)).toEqual(["198.51.100.0/24"]);
    expect(out.size).toBe(0);
  });

  it("resendAll queues the whole advertised table again (ROUTE-REFRESH)", () => {
    const r = topo();
    r.announce(
      "e1",
      Array.from({ length: 5 }, (_, i) => nthPrefix(i)),
      attrs({ path: [65001], nextHop: "192.0.2.1" }),
    );
    const out = r.startExport("e2");
    out.take();
    r.withdraw("e1", [nthPrefix(0)]);
    expect(out.resendAll()).toBe(4);
    const batch = out.take();
    expect(batch.withdraw.map(formatPrefix)).toEqual(["198.18.0.0/24"]);
    expect(batch.announce[0]!.prefixes).toHaveLength(4);
    expect(out.size).toBe(4);
    r.stopExport("e2");
    r.flushPeer("e1");
    expect(r.interner.size).toBe(0);
  });

  it("take(limit) hands out at most `limit` changes (back-pressure)", () => {
    const r = topo();
    r.announce(
      "e1",
      Array.from({ length: 50 }, (_, i) => nthPrefix(i)),
      attrs({ path: [65001], nextHop: "192.0.2.1" }),
    );
    const out = r.startExport("e2");
    expect(out.take(20).announce[0]!.prefixes).toHaveLength(20);
    expect(out.pendingCount).toBe(30);
  });

  it("an export policy change queues only the difference", () => {
    const r = topo();
    r.announce(
      "e1",
      Array.from({ length: 10 }, (_, i) => nthPrefix(i)),
      attrs({ path: [65001], nextHop: "192.0.2.1" }),
    );
    const out = r.startExport("e2");
    out.take();
    r.setExportPolicy("e2", (route) => ({ accept: route.prefix.bytes[2]! !== 3 }));
    let batch = out.take();
    expect(batch.withdraw.map(formatPrefix)).toEqual(["198.18.3.0/24"]);
    expect(batch.announce).toEqual([]);
    r.setExportPolicy("e2", (route) =>
      route.prefix.bytes[2]! < 2
        ? { accept: true, modify: { prependAsPath: [65000, 65000] } }
        : { accept: true },
    );
    batch = out.take();
    expect(batch.announce.map((g) => [g.attrs.asPathLength, g.prefixes.length]).sort()).toEqual([
      [2, 1],
      [4, 2],
    ]);
    expect(r.exportPreview(r.best(nthPrefix(9))!, nthPrefix(9), "e2")).toMatchObject({ attrs: {} });
  });

  it("stopExport releases every set; the interner is empty once the Loc-RIB is", () => {
    const r = topo();
    r.announce(
      "e1",
      Array.from({ length: 10 }, (_, i) => nthPrefix(i)),
      attrs({ path: [65001], nextHop: "192.0.2.1" }),
    );
    r.startExport("e2").take();
    r.startExport("i5");
    r.stopExport("e2");
    r.stopExport("i5");
    r.flushPeer("e1");
    expect(r.interner.size).toBe(0);
  });

  it("ADD-PATH send: every path goes out with our own Path Identifier", () => {
    const r = topo(false, { i5: { addPathSend: true } });
    const out = r.startExport("i5");
    r.announce("e1", P, attrs({ path: [65001], nextHop: "192.0.2.1" }));
    r.announce("e2", P, attrs({ path: [65002, 1], nextHop: "192.0.2.2" }));
    let batch = out.take();
    const ids = batch.announce.flatMap((g) => g.prefixes.map((p) => p.pathId)).sort();
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    r.withdraw("e2", P);
    batch = out.take();
    expect(batch.withdraw).toHaveLength(1);
    expect(batch.withdraw[0]!.pathId).toBeGreaterThan(0);
    r.withdraw("e1", P);
    expect(out.take().withdraw).toHaveLength(1);
    expect(out.size).toBe(0);
  });

  it("ADD-PATH send still gets a losing path after other peers and itself stopped and started exporting", () => {
    const r = topo(false, { i5: { addPathSend: true } });
    // A peer without ADD-PATH comes and goes; the ADD-PATH peer stops twice, then starts again.
    r.startExport("i6");
    r.stopExport("i6");
    r.startExport("i5");
    r.stopExport("i5");
    r.stopExport("i5");
    const out = r.startExport("i5");
    r.startExport("i6");
    r.stopExport("i6");
    r.announce("e1", P, attrs({ path: [65001], nextHop: "192.0.2.1" }));
    // Loses to e1's path (longer AS_PATH): only an ADD-PATH peer is sent it.
    r.announce("e2", P, attrs({ path: [65002, 1], nextHop: "192.0.2.2" }));
    const ids = out.take().announce.flatMap((g) => g.prefixes.map((p) => p.pathId));
    expect(new Set(ids).size).toBe(2);
  });

  it("a peer sending ever-new attributes does not keep them alive in the export cache", () => {
    const r = topo();
    const out = r.startExport("e2");
    for (let med = 0; med < 3000; med++)
      r.announce("e1", P, attrs({ path: [65001], nextHop: "192.0.2.1", med }));
    // Each announcement replaces the last: the RIB holds one set, the
    // Adj-RIB-Out one; the cache only what it has not swept yet (< 2 × 64
    // entries, each a key set and its export).
    expect(r.interner.size).toBeLessThan(300);
    const batch = out.take();
    expect(batch.announce).toHaveLength(1);
    expect(batch.announce[0]!.attrs.med).toBeUndefined(); // MED is not sent to another AS (RFC 4271 §5.1.4)
    expect(batch.announce[0]!.attrs.asPath[0]!.asns).toEqual([LOCAL_AS, 65001]);
    r.stopExport("e2");
    r.flushPeer("e1");
    expect(r.interner.size).toBe(0);
  });

  it("AdjRibOut on its own: setting the advertised state again is not a change", () => {
    const i = new AttrInterner();
    const out = new AdjRibOut(i);
    const a = i.intern(attrs({ path: [1] }));
    const key = P[0]!;
    out.set(key, a);
    out.take();
    i.retain(a);
    out.set(key, a);
    expect(out.pendingCount).toBe(0);
    out.set(key, null);
    out.set(key, null);
    expect(out.take().withdraw).toHaveLength(1);
    out.clear();
    expect(i.size).toBe(0);
  });
});

describe("packing", () => {
  it("10,000 prefixes sharing one set become a handful of UPDATEs that decode back to the same routes", () => {
    const r = topo(false, {
      e1: { sharedSubnets: ["192.0.2.0/24", "2001:db8::/64"] },
      e2: { localAddress6: "2001:db8::fe" },
    });
    const n = 10_000;
    r.announce(
      "e1",
      Array.from({ length: n }, (_, i) => nthPrefix(i)),
      attrs({ path: [65001], nextHop: "192.0.2.1" }),
    );
    r.announce(
      "e1",
      pfx("2001:db8:1::/48", "2001:db8:2::/48"),
      attrs({ path: [65001], nextHop: "2001:db8::1" }),
    );
    const out = r.startExport("e2");
    out.take();
    r.withdraw("e1", [nthPrefix(0), ...pfx("2001:db8:2::/48")]);
    const first = batchToUpdates({ announce: [], withdraw: [] });
    expect(first).toEqual([]);
    // Re-export from scratch to pack everything.
    r.stopExport("e2");
    const batch = r.startExport("e2").take();
    const logical = batchToUpdates(batch);
    expect(logical).toHaveLength(2);
    const ctx = codecContext({ fourOctetAs: true });
    const bytes = logical.flatMap((u) => encodeUpdates(u, ctx));
    expect(bytes.length).toBeLessThan(20);
    const got = new Set<string>();
    for (const b of bytes) {
      const m = decodeMessage(b, ctx).message;
      if (m.type !== "update") throw new Error("not an UPDATE");
      for (const p of m.nlri) got.add(formatPrefix(p));
      for (const a of m.attributes)
        if (a.type === "mp-reach") for (const p of a.nlri) got.add(formatPrefix(p));
    }
    expect(got.size).toBe(n - 1 + 1);
    expect(got.has("2001:db8:1::/48")).toBe(true);
    // Without an IPv6 address of ours, IPv6 routes cannot be sent with next hop self.
    const r2 = topo(false, { e1: { sharedSubnets: ["2001:db8::/64"] } });
    r2.announce("e1", pfx("2001:db8:1::/48"), attrs({ path: [65001], nextHop: "2001:db8::1" }));
    expect(
      r2.exportPreview(r2.best(pfx("2001:db8:1::/48")[0]!)!, pfx("2001:db8:1::/48")[0]!, "e2"),
    ).toEqual({ skip: "no-next-hop" });
    expect(got.has(formatPrefix(nthPrefix(0)))).toBe(false);
  });

  it("withdrawals: IPv4 in Withdrawn Routes, IPv6 in MP_UNREACH_NLRI, in one message first", () => {
    const u = batchToUpdates({
      announce: [],
      withdraw: [...pfx("198.51.100.0/24", "2001:db8::/32")],
    });
    expect(u).toHaveLength(1);
    expect(u[0]!.withdrawn.map(formatPrefix)).toEqual(["198.51.100.0/24"]);
    expect(u[0]!.attributes).toEqual([
      { type: "mp-unreach", afi: 2, safi: 1, withdrawn: pfx("2001:db8::/32") },
    ]);
  });
});

describe("Adj-RIB-Out against a model", () => {
  it("after any sequence of sets, partial takes and resends, the advertised state is the last state set", async () => {
    const fc = (await import("fast-check")).default;
    const opArb = fc.oneof(
      fc.record({ t: fc.constant("set" as const), k: fc.nat(30), v: fc.nat(3), id: fc.nat(2) }),
      fc.record({ t: fc.constant("take" as const), n: fc.integer({ min: 1, max: 7 }) }),
      fc.record({ t: fc.constant("resend" as const) }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
        const i = new AttrInterner();
        const sets = [null, ...[1, 2, 3].map((n) => i.intern(attrs({ path: [n] })))];
        const out = new AdjRibOut(i);
        const want = new Map<string, number>();
        const seen = new Map<string, number>();
        /** Routes queued again by resendAll and not taken since. */
        const resent = new Set<string>();
        const apply = (b: ReturnType<AdjRibOut["take"]>) => {
          for (const p of b.withdraw) {
            seen.delete(prefixKey(p, true));
            resent.delete(prefixKey(p, true));
          }
          for (const g of b.announce)
            for (const p of g.prefixes) {
              seen.set(prefixKey(p, true), sets.indexOf(g.attrs));
              resent.delete(prefixKey(p, true));
            }
        };
        for (const op of ops) {
          if (op.t === "take") apply(out.take(op.n));
          else if (op.t === "resend") {
            // ROUTE-REFRESH: every advertised route without a change pending is queued again.
            const pending = (k: string) => resent.has(k) || want.get(k) !== seen.get(k);
            const idle = [...seen.keys()].filter((k) => !pending(k));
            const before = out.pendingCount;
            expect(out.resendAll()).toBe(idle.length);
            expect(out.pendingCount).toBe(before + idle.length);
            for (const k of idle) resent.add(k);
          } else {
            // With and without ADD-PATH Path Identifiers (kept apart inside).
            const prefix = op.id ? { ...nthPrefix(op.k), pathId: op.id } : nthPrefix(op.k);
            const key = prefixKey(prefix, true);
            const a = sets[op.v]!;
            if (a) i.retain(a);
            out.set(prefix, a);
            if (op.v === 0) want.delete(key);
            else want.set(key, op.v);
          }
        }
        apply(out.take());
        expect(out.pendingCount).toBe(0);
        expect(seen).toEqual(want);
        expect(
          new Map(
            [...out.prefixes()].map((p) => [prefixKey(p, true), sets.indexOf(out.advertised(p)!)]),
          ),
        ).toEqual(want);
      }),
    );
  });
});

describe("incremental initial export (feedExport)", () => {
  /** e1 feeds routes in; e2 is exported to; both eBGP on 192.0.2.0/24. */
  function feedTopo() {
    const r = new Rib({ localAs: LOCAL_AS, routerId: "192.0.2.254" });
    for (const [id, n, asn] of [
      ["e1", 1, 65001],
      ["e2", 2, 65002],
    ] as const)
      r.addPeer({
        id,
        address: `192.0.2.${n}`,
        asn,
        localAddress: "192.0.2.254",
        localAddress6: "2001:db8::fe",
        sharedSubnets: ["192.0.2.0/24"],
      });
    return r;
  }
  const v6 = (k: number) => pfx(`2001:db8:${k.toString(16)}::/48`)[0]!;

  /** An attribute set's content (its interner id and count left out). */
  const content = (a: AttrSet) =>
    JSON.stringify(a, (k, v) => (k === "id" || k === "refs" ? undefined : v));

  /** What the peer holds: key → attribute set content, from what it was sent. */
  function receiver() {
    const held = new Map<string, string>();
    let announced = 0;
    return {
      held,
      get announced() {
        return announced;
      },
      packed(b: PackedBatch | undefined) {
        if (!b) return;
        for (const g of b.announce4)
          for (const v of g.v4) {
            held.set(prefixKey(v4FromKey(v), false), content(g.attrs));
            announced++;
          }
        for (const v of b.withdraw4) held.delete(prefixKey(v4FromKey(v), false));
        this.batch(b.rest);
      },
      batch(b: OutboundBatch) {
        for (const p of b.withdraw) held.delete(prefixKey(p, false));
        for (const g of b.announce)
          for (const p of g.prefixes) {
            held.set(prefixKey(p, false), content(g.attrs));
            announced++;
          }
      },
    };
  }

  it("sends each route once, first piece at once, and ends with what a full walk gives", () => {
    const r = feedTopo();
    r.announce(
      "e1",
      Array.from({ length: 5000 }, (_, k) => nthPrefix(k)),
      attrs({ path: [65001], nextHop: "192.0.2.1" }),
    );
    r.originate([v6(1), v6(2)], attrs({ nextHop: "2001:db8::fe" }));
    const out = r.startExport("e2", { incremental: true });
    expect(out.pendingCount).toBe(0); // nothing walked yet
    expect(r.pendingPeers()).toEqual(["e2"]);
    const peer = receiver();
    const first = r.feedExport("e2", 1000)!;
    expect(first.announce4.reduce((n, g) => n + g.v4.length, 0)).toBe(1000);
    peer.packed(first);
    while (r.exportFeeding("e2")) peer.packed(r.feedExport("e2", 1000));
    peer.batch(out.take()); // the IPv6 routes, queued as changes
    expect(peer.announced).toBe(5002);
    expect(peer.held.size).toBe(5002);
    expect(out.size).toBe(5002);
    expect(r.pendingPeers()).toEqual([]);
  });

  it("a family the export policy rejects outright is not walked (BIRD's export none)", () => {
    const r = feedTopo();
    r.announce(
      "e1",
      Array.from({ length: 5000 }, (_, k) => nthPrefix(k)),
      attrs({ path: [65001], nextHop: "192.0.2.1" }),
    );
    r.originate([v6(1)], attrs({ nextHop: "2001:db8::fe" }));
    r.setExportPolicy(
      "e2",
      Object.assign((route: { prefix: { afi: number } }) => ({ accept: route.prefix.afi !== 1 }), {
        rejectsAfi: [1],
      }),
    );
    const out = r.startExport("e2", { incremental: true });
    // Steps of one destination: the IPv6 one, then the end — the 5,000 IPv4
    // ones are skipped, not visited (a walk would take 5,000 more steps).
    expect(r.feedExport("e2", 1)!.announce4).toEqual([]);
    expect(r.feedExport("e2", 1)!.announce4).toEqual([]);
    expect(r.exportFeeding("e2")).toBe(false);
    expect(out.take().announce.flatMap((g) => g.prefixes.map(formatPrefix))).toEqual([
      "2001:db8:1::/48",
    ]);
  });

  it("with Loc-RIB changes between its pieces, ends where an export from scratch would", async () => {
    const fc = (await import("fast-check")).default;
    const opArb = fc.oneof(
      fc.record({ t: fc.constant("announce" as const), k: fc.nat(80), v: fc.nat(2) }),
      fc.record({ t: fc.constant("withdraw" as const), k: fc.nat(80) }),
      fc.record({ t: fc.constant("originate" as const), k: fc.nat(80), six: fc.boolean() }),
      fc.record({ t: fc.constant("unoriginate" as const), k: fc.nat(80), six: fc.boolean() }),
      fc.record({ t: fc.constant("feed" as const), n: fc.integer({ min: 1, max: 9 }) }),
      fc.record({ t: fc.constant("take" as const), n: fc.integer({ min: 1, max: 9 }) }),
    );
    fc.assert(
      fc.property(fc.nat(80), fc.array(opArb, { maxLength: 150 }), (initial, ops) => {
        const r = feedTopo();
        const learned = (v: number) => attrs({ path: [65001, 64512 + v], nextHop: "192.0.2.1" });
        if (initial > 0)
          r.announce(
            "e1",
            Array.from({ length: initial }, (_, k) => nthPrefix(k)),
            learned(0),
          );
        r.originate([v6(1)], attrs({ nextHop: "2001:db8::fe" }));
        const out = r.startExport("e2", { incremental: true });
        const peer = receiver();
        for (const op of ops) {
          const k = "k" in op ? op.k : 0;
          const p = "six" in op && op.six ? v6(k) : nthPrefix(k, 32);
          if (op.t === "announce") r.announce("e1", [nthPrefix(op.k)], learned(op.v));
          else if (op.t === "withdraw") r.withdraw("e1", [nthPrefix(op.k)]);
          else if (op.t === "originate")
            r.originate([p], attrs(p.afi === 2 ? { nextHop: "2001:db8::fe" } : {}));
          else if (op.t === "unoriginate") r.unoriginate([p]);
          else if (op.t === "feed") peer.packed(r.feedExport("e2", op.n));
          else peer.packed(out.takePacked(op.n));
        }
        while (r.exportFeeding("e2")) peer.packed(r.feedExport("e2", 7));
        peer.packed(out.takePacked());
        expect(out.pendingCount).toBe(0);
        // The reference: the same peer's export started afresh and walked whole.
        r.stopExport("e2");
        const fresh = receiver();
        fresh.batch(r.startExport("e2").take());
        expect(peer.held).toEqual(fresh.held);
        expect(new Set([...r.adjRibOut("e2")!.prefixes()].map((q) => prefixKey(q, false)))).toEqual(
          new Set(fresh.held.keys()),
        );
        // Every reference the feed took is given back: nothing is left interned
        // once the export stops and the Loc-RIB is empty.
        r.stopExport("e2");
        r.flushPeer("e1");
        r.unoriginate([
          ...Array.from({ length: 81 }, (_, k) => nthPrefix(k, 32)),
          ...Array.from({ length: 81 }, (_, k) => v6(k)),
          v6(1),
        ]);
        expect(r.size).toBe(0);
        expect(r.interner.size).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
