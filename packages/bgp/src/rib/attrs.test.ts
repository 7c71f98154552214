// Interned attribute sets: equal attributes share one object whatever their
// order; references are counted and a set is forgotten with its last one;
// wireAttributes puts NEXT_HOP / MP_REACH_NLRI back.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PathAttribute } from "../wire/attributes/table.js";
import { parsePrefix, prefixKey } from "../wire/prefix.js";
import { AttrInterner, attrOf, wireAttributes } from "./attrs.js";
import { prefixFromKey, ribKey } from "./keys.js";
import { attrs } from "./rib.fixture.js";

const attrArb: fc.Arbitrary<PathAttribute> = fc.oneof(
  fc.integer({ min: 0, max: 2 }).map((origin) => ({ type: "origin", origin }) as PathAttribute),
  fc
    .array(fc.integer({ min: 1, max: 4294967295 }), { minLength: 1, maxLength: 6 })
    .map((asns) => ({ type: "as-path", segments: [{ type: 2, asns }] }) as PathAttribute),
  fc.nat().map((med) => ({ type: "med", med }) as PathAttribute),
  fc.nat().map((localPref) => ({ type: "local-pref", localPref }) as PathAttribute),
  fc
    .array(fc.nat({ max: 0xffffffff }), { minLength: 1, maxLength: 4 })
    .map((communities) => ({ type: "communities", communities }) as PathAttribute),
  fc
    .uint8Array({ minLength: 0, maxLength: 8 })
    .map((value) => ({ type: "unknown", code: 99, flags: 0xc0, value }) as PathAttribute),
);
// One attribute per type (as an UPDATE has), in any order.
const setArb = fc.uniqueArray(attrArb, { selector: (a) => a.type, maxLength: 6 });

describe("AttrInterner", () => {
  it("returns the same object for equal attributes, whatever their order", () => {
    fc.assert(
      fc.property(setArb, fc.ipV4(), (list, nh) => {
        const i = new AttrInterner();
        const a = i.intern({ attributes: list, nextHop: nh });
        const b = i.intern({ attributes: [...list].reverse(), nextHop: nh });
        // A structurally equal copy (new objects) also hits.
        const c = i.intern({ attributes: structuredClone(list), nextHop: nh });
        expect(b).toBe(a);
        expect(c).toBe(a);
        expect(i.size).toBe(1);
        expect(i.refs(a)).toBe(3);
      }),
    );
  });

  it("different attributes, next hops or priorities are different sets", () => {
    const i = new AttrInterner();
    const a = i.intern(attrs({ path: [65001], nextHop: "192.0.2.1" }));
    const b = i.intern(attrs({ path: [65001], nextHop: "192.0.2.2" }));
    const c = i.intern(attrs({ path: [65002], nextHop: "192.0.2.1" }));
    const d = i.intern({ ...attrs({ path: [65001], nextHop: "192.0.2.1" }), priority: 7 });
    expect(new Set([a, b, c, d]).size).toBe(4);
    expect(new Set([a.id, b.id, c.id, d.id]).size).toBe(4);
  });

  it("forgets a set when its last reference is released", () => {
    const i = new AttrInterner();
    const a = i.intern(attrs({ path: [1] }));
    i.retain(a);
    i.release(a);
    expect(i.size).toBe(1);
    i.release(a);
    expect(i.size).toBe(0);
    // Interning again makes a fresh object.
    const b = i.intern(attrs({ path: [1] }));
    expect(b).not.toBe(a);
    expect(b.id).not.toBe(a.id);
  });

  it("derives the decision fields once", () => {
    const i = new AttrInterner();
    const s = i.intern({
      attributes: [
        {
          type: "as-path",
          segments: [
            { type: 2, asns: [65001, 65002] },
            { type: 1, asns: [7, 8, 9] },
          ],
        },
        { type: "origin", origin: 1 },
        { type: "med", med: 5 },
        { type: "local-pref", localPref: 300 },
        { type: "originator-id", originatorId: "192.0.2.9" },
        { type: "cluster-list", clusterIds: ["192.0.2.7"] },
        { type: "next-hop", nextHop: "192.0.2.1" },
      ],
    });
    expect(s).toMatchObject({
      origin: 1,
      asPathLength: 3,
      neighborAs: 65001,
      med: 5,
      localPref: 300,
      originatorId: "192.0.2.9",
      clusterList: ["192.0.2.7"],
      nextHop: "192.0.2.1",
    });
    // NEXT_HOP is taken out of the set and kept in nextHop; order is by type code.
    expect(s.attributes.map((a) => a.type)).toEqual([
      "origin",
      "as-path",
      "med",
      "local-pref",
      "originator-id",
      "cluster-list",
    ]);
    expect(attrOf(s, "med")).toEqual({ type: "med", med: 5 });
    expect(Object.isFrozen(s.attributes)).toBe(true);
  });

  it("takes the next hop from MP_REACH_NLRI and drops MP_UNREACH_NLRI", () => {
    const i = new AttrInterner();
    const s = i.intern({
      attributes: [
        { type: "origin", origin: 0 },
        {
          type: "mp-reach",
          afi: 2,
          safi: 1,
          nextHop: "2001:db8::1",
          linkLocalNextHop: "fe80::1",
          nlri: [parsePrefix("2001:db8:1::/48")],
        },
        { type: "mp-unreach", afi: 2, safi: 1, withdrawn: [] } as unknown as PathAttribute,
      ],
    });
    expect(s.nextHop).toBe("2001:db8::1");
    expect(s.linkLocalNextHop).toBe("fe80::1");
    expect(s.attributes.map((a) => a.type)).toEqual(["origin"]);
  });
});

describe("wireAttributes", () => {
  it("IPv4 unicast: NEXT_HOP after AS_PATH and the NLRI field", () => {
    const i = new AttrInterner();
    const s = i.intern(attrs({ path: [65001], nextHop: "192.0.2.1", med: 3 }));
    const p = [parsePrefix("198.51.100.0/24")];
    const w = wireAttributes(s, 1, p);
    expect(w.attributes.map((a) => a.type)).toEqual(["origin", "as-path", "next-hop", "med"]);
    expect(w.nlri).toBe(p);
  });

  it("IPv6: MP_REACH_NLRI with global and link-local next hops", () => {
    const i = new AttrInterner();
    const s = i.intern(attrs({ path: [65001], nextHop: "2001:db8::1", linkLocal: "fe80::1" }));
    const p = [parsePrefix("2001:db8:1::/48")];
    const w = wireAttributes(s, 2, p);
    expect(w.nlri).toEqual([]);
    expect(w.attributes.find((a) => a.type === "mp-reach")).toEqual({
      type: "mp-reach",
      afi: 2,
      safi: 1,
      nextHop: "2001:db8::1",
      linkLocalNextHop: "fe80::1",
      nlri: p,
    });
  });

  it("IPv4 prefixes with an IPv6 next hop (RFC 8950) go in MP_REACH_NLRI", () => {
    const i = new AttrInterner();
    const s = i.intern(attrs({ nextHop: "2001:db8::1" }));
    const w = wireAttributes(s, 1, [parsePrefix("198.51.100.0/24")]);
    expect(w.attributes.some((a) => a.type === "mp-reach" && a.afi === 1)).toBe(true);
    expect(w.attributes.some((a) => a.type === "next-hop")).toBe(false);
  });
});

describe("keys", () => {
  it("ribKey equals prefixKey(p, false) and prefixFromKey inverts it", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.nat(128),
        fc.option(fc.nat(), { nil: undefined }),
        (v6, raw, len, pathId) => {
          const length = v6 ? len : len % 33;
          const n = (length + 7) >> 3;
          const bytes = raw.slice(0, n);
          if (length & 7) bytes[n - 1]! &= 0xff << (8 - (length & 7));
          const p = { afi: v6 ? 2 : 1, length, bytes, ...(pathId !== undefined ? { pathId } : {}) };
          expect(ribKey(p)).toBe(prefixKey(p, false));
          expect(prefixFromKey(prefixKey(p, true))).toEqual(p);
        },
      ),
    );
  });
});
