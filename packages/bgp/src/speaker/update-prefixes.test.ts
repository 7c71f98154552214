// The pieces of a session's lazily built "routes" event: which announced
// prefixes are held (heldIndices) and the array made on first read
// (lazyArray), checked against the eager forms they replace.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codecContext } from "../wire/context.js";
import type { UpdateMessage } from "../wire/messages/update.js";
import type { Prefix } from "../wire/prefix.js";
import { routesFromUpdate } from "./routes.js";
import { announcedPrefixes, heldIndices, lazyArray } from "./update-prefixes.js";

const ctx = codecContext({ fourOctetAs: true });
const v4 = fc.record({ a: fc.nat(255), len: fc.constantFrom(24, 32) }).map(({ a, len }): Prefix => {
  const bytes = Uint8Array.of(198, 51, 100, a).slice(0, len >> 3);
  return { afi: 1, length: len, bytes };
});
const v6 = fc
  .nat(255)
  .map((a): Prefix => ({ afi: 2, length: 48, bytes: Uint8Array.of(0x20, 1, 0x0d, 0xb8, 0, a) }));
const updateArb = fc
  .record({
    nlri: fc.array(v4, { maxLength: 8 }),
    reach: fc.array(fc.record({ nlri: fc.array(v6, { maxLength: 5 }), hasNextHop: fc.boolean() }), {
      maxLength: 2,
    }),
  })
  .map(
    ({ nlri, reach }): UpdateMessage => ({
      type: "update",
      withdrawn: [],
      nlri,
      attributes: [
        { type: "origin", origin: 0 },
        { type: "as-path", segments: [{ type: 2, asns: [64501] }] },
        { type: "next-hop", nextHop: "192.0.2.1" },
        ...reach.map((r) => ({
          type: "mp-reach" as const,
          afi: 2,
          safi: 1,
          nlri: r.nlri,
          nextHop: r.hasNextHop ? "2001:db8::1" : undefined,
        })),
      ],
    }),
  );

describe("heldIndices", () => {
  it("picks the same routes as filtering routesFromUpdate by the predicate", () => {
    fc.assert(
      fc.property(
        updateArb,
        fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }),
        (msg, bits) => {
          const all = announcedPrefixes(msg);
          const held = (p: Prefix) => bits[all.indexOf(p)]!;
          const routes = routesFromUpdate(msg, ctx).announced;
          const eager = routes.filter((_, i) => held(all[i]!));
          expect(heldIndices(msg, held).map((i) => routes[i])).toEqual(eager);
        },
      ),
    );
  });

  it("without a predicate: every prefix but MP_REACH_NLRI ones without a next hop", () => {
    fc.assert(
      fc.property(updateArb, (msg) => {
        const noNextHop = new Set<Prefix>();
        for (const a of msg.attributes)
          if (a.type === "mp-reach" && a.nextHop === undefined)
            for (const p of a.nlri) noNextHop.add(p);
        const all = announcedPrefixes(msg);
        expect(heldIndices(msg)).toEqual(heldIndices(msg, (p) => !noNextHop.has(p)));
        expect(heldIndices(msg).length).toBe(all.length - noNextHop.size);
      }),
    );
  });
});

describe("lazyArray", () => {
  it("answers length without making the elements", () => {
    let made = 0;
    const a = lazyArray(3, () => {
      made++;
      return ["a", "b", "c"];
    });
    expect(a.length).toBe(3);
    expect(made).toBe(0);
    expect(Array.isArray(a)).toBe(true);
    expect(a[1]).toBe("b");
    expect(made).toBe(1);
    expect([...a]).toEqual(["a", "b", "c"]);
    expect(a.map((x) => x.toUpperCase())).toEqual(["A", "B", "C"]);
    expect(a).toEqual(["a", "b", "c"]);
    expect(JSON.stringify(a)).toBe('["a","b","c"]');
    expect({ ...{ list: a } }.list.includes("c")).toBe(true);
    expect(made).toBe(1);
  });

  it("is read-only", () => {
    const a = lazyArray(1, () => [1]) as number[];
    expect(() => {
      a[0] = 2;
    }).toThrow(TypeError);
    expect(() => a.push(3)).toThrow(TypeError);
    expect([...a]).toEqual([1]);
  });
});
