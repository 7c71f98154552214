import { describe, expect, it } from "vitest";
import type { Route } from "../wire/route.js";
import { KernelRoutes } from "./cache.js";
import { routeKey } from "./desired.js";

const r = (dst: string, over: Partial<Route> = {}): Route => ({
  family: 2,
  dst,
  table: 254,
  protocol: 84,
  scope: 0,
  type: 1,
  gateway: "192.0.2.2",
  oif: 2,
  ...over,
});

describe("KernelRoutes", () => {
  it("keeps one route per key and metric; add replaces, remove drops", () => {
    const k = new KernelRoutes();
    k.load([r("198.51.100.0/26"), r("198.51.100.0/26", { priority: 10 }), r("198.51.100.64/26")]);
    const key = routeKey(254, "198.51.100.0/26");
    expect(k.get([key])).toHaveLength(2);
    k.add(r("198.51.100.0/26", { gateway: "192.0.2.3" }));
    expect(k.get([key]).map((x) => [x.priority ?? 0, x.gateway])).toEqual([
      [10, "192.0.2.2"],
      [0, "192.0.2.3"],
    ]);
    k.remove(r("198.51.100.0/26", { priority: 10 }));
    k.remove(r("198.51.100.0/26"));
    expect(k.get([key])).toEqual([]);
    expect(k.size).toBe(1);
  });

  it("drops every route through an interface and reports their keys", () => {
    const k = new KernelRoutes();
    k.load([
      r("198.51.100.0/26", { oif: 5 }),
      r("198.51.100.64/26", { oif: 6 }),
      r("203.0.113.0/24", { oif: 0, multipath: [{ oif: 5 }, { oif: 6 }] }),
    ]);
    expect(k.dropInterface(5).sort()).toEqual([
      routeKey(254, "198.51.100.0/26"),
      routeKey(254, "203.0.113.0/24"),
    ]);
    expect(k.all().map((x) => x.dst)).toEqual(["198.51.100.64/26"]);
  });

  it("loadKeys replaces only the given keys", () => {
    const k = new KernelRoutes();
    k.load([r("198.51.100.0/26"), r("198.51.100.64/26")]);
    k.loadKeys(
      [routeKey(254, "198.51.100.0/26")],
      [r("198.51.100.0/26", { gateway: "192.0.2.9" })],
    );
    expect(
      k
        .all()
        .map((x) => `${x.dst} ${x.gateway}`)
        .sort(),
    ).toEqual(["198.51.100.0/26 192.0.2.9", "198.51.100.64/26 192.0.2.2"]);
  });
});
