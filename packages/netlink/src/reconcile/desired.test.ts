import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NetlinkInputError } from "../wire/errors.js";
import { canonical, DesiredSet, routeKey } from "./desired.js";

describe("desired routes", () => {
  it("canonicalises addresses and fills the kernel's defaults", () => {
    expect(canonical({ dst: "2001:0db8:0:0::/64", gateway: "2001:db8:0::1" })).toMatchObject({
      dst: "2001:db8::/64",
      gateway: "2001:db8::1",
      family: 10,
      metric: 1024,
      table: 254,
      type: "unicast",
      priority: 100,
    });
    expect(canonical({ dst: "198.51.100.0/24" }).metric).toBe(0);
    expect(() => canonical({ dst: "198.51.100.1/24" })).toThrow(NetlinkInputError);
    expect(() => canonical({ dst: "198.51.100.0/24", gateway: "2001:db8::1" })).toThrow(/via/);
    expect(canonical({ dst: "198.51.100.0/24", via: "2001:db8::1" }).via).toBe("2001:db8::1");
  });

  it("resolves conflicts by priority, then by source name", () => {
    const s = new DesiredSet();
    s.setSource("bgp", [{ dst: "198.51.100.0/26", gateway: "192.0.2.2", priority: 200 }]);
    s.setSource("blocks", [{ dst: "198.51.100.0/26", type: "blackhole", priority: 50 }]);
    const k = routeKey(254, "198.51.100.0/26");
    expect(s.winner(k)?.type).toBe("blackhole");
    s.setSource("blocks", []);
    expect(s.winner(k)?.gateway).toBe("192.0.2.2");
    s.upsert("another", { dst: "198.51.100.0/26", gateway: "192.0.2.3", priority: 200 });
    expect(s.winner(k)?.gateway).toBe("192.0.2.3");
    s.remove("another", "198.51.100.0/26");
    s.remove("bgp", "198.51.100.0/26");
    expect(s.winner(k)).toBeUndefined();
    expect(s.size).toBe(0);
  });

  it("the winner does not depend on the order sources were set", () => {
    const entry = fc.record({
      source: fc.constantFrom("a", "b", "c", "d"),
      priority: fc.integer({ min: 0, max: 3 }),
      gw: fc.integer({ min: 1, max: 250 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => e.source, minLength: 1 }), (entries) => {
        const build = (list: typeof entries) => {
          const s = new DesiredSet();
          for (const e of list) {
            s.setSource(e.source, [
              { dst: "203.0.113.0/24", gateway: `192.0.2.${e.gw}`, priority: e.priority },
            ]);
          }
          return s.winner(routeKey(254, "203.0.113.0/24"));
        };
        expect(build(entries)).toEqual(build([...entries].reverse()));
        const best = [...entries].sort(
          (x, y) => x.priority - y.priority || (x.source < y.source ? -1 : 1),
        )[0]!;
        expect(build(entries)?.gateway).toBe(`192.0.2.${best.gw}`);
      }),
    );
  });
});
