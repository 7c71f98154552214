import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RouteType } from "../wire/constants.js";
import type { Route } from "../wire/route.js";
import { type CanonicalRoute, canonical, type DesiredRoute, routeKey } from "./desired.js";
import { type PlanInput, planReconcile, routeMatches, toKernelRoute } from "./plan.js";

const P = 84;
const links = new Map([
  ["eth0", 2],
  ["cali1", 5],
  ["cali2", 6],
]);
const own = new Set([5, 6]);

function desired(...rs: DesiredRoute[]): Map<string, CanonicalRoute> {
  return new Map(
    rs.map((r) => {
      const c = canonical(r);
      return [routeKey(c.table, c.dst), c] as const;
    }),
  );
}

/** The route as the kernel would dump it after installing it. */
function kernelOf(r: DesiredRoute, extra: Partial<Route> = {}): Route {
  return { ...toKernelRoute(canonical(r), links, P)!, ...extra };
}

const base = (over: Partial<PlanInput>): PlanInput => ({
  desired: new Map(),
  observed: [],
  links,
  own,
  protocol: P,
  now: 1_000,
  graceMs: 10_000,
  unknownSince: new Map(),
  ...over,
});

describe("planReconcile", () => {
  it("installs what is missing, and nothing when the kernel already matches", () => {
    const want = desired(
      { dst: "198.51.100.0/26", gateway: "192.0.2.2" },
      { dst: "198.51.100.7/32", dev: "cali1" },
    );
    const p = planReconcile(base({ desired: want }));
    expect(p.replace.map((r) => r.dst)).toEqual(["198.51.100.0/26", "198.51.100.7/32"]);
    expect(p.replace[1]).toMatchObject({ oif: 5, scope: 253, protocol: P });
    // what the kernel dumps back: the gateway route gets an oif filled in
    const observed = [
      kernelOf({ dst: "198.51.100.0/26", gateway: "192.0.2.2" }, { oif: 2 }),
      kernelOf({ dst: "198.51.100.7/32", dev: "cali1" }),
    ];
    const again = planReconcile(base({ desired: want, observed }));
    expect(again.replace).toEqual([]);
    expect(again.delete).toEqual([]);
  });

  it("replaces a changed route, and deletes its copy with another metric", () => {
    const want = desired({ dst: "198.51.100.0/26", gateway: "192.0.2.2", metric: 10 });
    const p1 = planReconcile(
      base({
        desired: want,
        observed: [kernelOf({ dst: "198.51.100.0/26", gateway: "192.0.2.3", metric: 10 })],
      }),
    );
    expect(p1.replace.map((r) => r.gateway)).toEqual(["192.0.2.2"]);
    expect(p1.delete).toEqual([]); // replaced in place (same metric)
    const p2 = planReconcile(
      base({
        desired: want,
        observed: [kernelOf({ dst: "198.51.100.0/26", gateway: "192.0.2.2", metric: 20 })],
      }),
    );
    expect(p2.replace).toHaveLength(1);
    expect(p2.delete.map((r) => r.priority)).toEqual([20]);
  });

  it("deletes unknown routes at once, but those on own interfaces only after the grace period", () => {
    const stray = kernelOf({ dst: "203.0.113.0/24", gateway: "192.0.2.9" });
    const pod = kernelOf({ dst: "198.51.100.9/32", dev: "cali2" });
    const p1 = planReconcile(base({ observed: [stray, pod] }));
    expect(p1.delete).toEqual([stray]);
    expect(p1.waiting).toEqual([routeKey(254, "198.51.100.9/32")]);
    expect(p1.nextDeadline).toBe(11_000);
    const p2 = planReconcile(base({ observed: [pod], now: 10_999, unknownSince: p1.unknownSince }));
    expect(p2.delete).toEqual([]);
    const p3 = planReconcile(base({ observed: [pod], now: 11_000, unknownSince: p2.unknownSince }));
    expect(p3.delete).toEqual([pod]);
    expect(p3.unknownSince.size).toBe(0);
  });

  it("never touches routes of other protocols", () => {
    const foreign = { ...kernelOf({ dst: "203.0.113.0/24", gateway: "192.0.2.9" }), protocol: 12 };
    expect(planReconcile(base({ observed: [foreign] })).delete).toEqual([]);
  });

  it("a desired route whose interface is missing is pending, not an error", () => {
    const p = planReconcile(base({ desired: desired({ dst: "198.51.100.9/32", dev: "cali9" }) }));
    expect(p.pending).toEqual([routeKey(254, "198.51.100.9/32")]);
    expect(p.replace).toEqual([]);
  });

  it("matching tolerates what the kernel fills in: IPv6 blackholes on lo, link-down flags", () => {
    const bh = kernelOf({ dst: "2001:db8:5::/64", type: "blackhole" });
    expect(bh.type).toBe(RouteType.blackhole);
    expect(routeMatches(bh, { ...bh, oif: 1 })).toBe(true);
    const ecmp = kernelOf({
      dst: "203.0.113.0/24",
      nexthops: [{ gateway: "192.0.2.2" }, { gateway: "192.0.2.3", weight: 2 }],
    });
    const dumped = {
      ...ecmp,
      multipath: [
        { gateway: "192.0.2.3", oif: 2, weight: 2, flags: 0x10 },
        { gateway: "192.0.2.2", oif: 2, weight: 1, flags: 0 },
      ],
    };
    expect(routeMatches(ecmp, dumped)).toBe(true);
    expect(routeMatches(ecmp, { ...dumped, multipath: dumped.multipath.slice(1) })).toBe(false);
  });

  it("a partial plan only looks at its keys and keeps other grace timers", () => {
    const pod = kernelOf({ dst: "198.51.100.9/32", dev: "cali2" });
    const k = routeKey(254, "198.51.100.9/32");
    const p = planReconcile(
      base({
        desired: desired({ dst: "198.51.100.0/26", gateway: "192.0.2.2" }),
        observed: [pod],
        unknownSince: new Map([[k, 500]]),
        only: (x) => x !== k,
      }),
    );
    expect(p.delete).toEqual([]);
    expect(p.unknownSince.get(k)).toBe(500);
    expect(p.replace).toHaveLength(1);
  });

  it("grouped kernel routes (observedByKey) give the same plan as the flat list", () => {
    const want = desired(
      { dst: "198.51.100.0/26", gateway: "192.0.2.2" },
      { dst: "198.51.100.64/26", gateway: "192.0.2.2", metric: 5 },
    );
    const observed = [
      kernelOf({ dst: "198.51.100.0/26", gateway: "192.0.2.3" }),
      kernelOf({ dst: "198.51.100.64/26", gateway: "192.0.2.2", metric: 9 }),
      kernelOf({ dst: "203.0.113.0/24", gateway: "192.0.2.9" }),
      { ...kernelOf({ dst: "203.0.113.128/25", gateway: "192.0.2.9" }), protocol: 12 },
    ];
    const grouped = new Map<string, Route[]>();
    for (const r of observed) {
      const k = routeKey(r.table, r.dst);
      grouped.set(k, [...(grouped.get(k) ?? []), r]);
    }
    const flat = planReconcile(base({ desired: want, observed }));
    const byKey = planReconcile(base({ desired: want, observed: [], observedByKey: grouped }));
    expect(byKey.replace).toEqual(flat.replace);
    expect(byKey.delete).toEqual(flat.delete);
    expect(flat.delete.map((r) => r.dst).sort()).toEqual(["198.51.100.64/26", "203.0.113.0/24"]);
  });

  it("converges: applying the plan to a model kernel leaves nothing to do", () => {
    const dst = fc.integer({ min: 0, max: 15 }).map((i) => `198.51.100.${i * 16}/28`);
    const spec = fc.record({
      dst,
      gw: fc.constantFrom("192.0.2.2", "192.0.2.3"),
      metric: fc.constantFrom(0, 10),
    });
    fc.assert(
      fc.property(
        fc.array(spec, { maxLength: 12 }),
        fc.array(spec, { maxLength: 12 }),
        (want, have) => {
          const d = desired(...want.map((w) => ({ dst: w.dst, gateway: w.gw, metric: w.metric })));
          // the model kernel: (dst, metric) is the identity; replace overwrites it
          const kernel = new Map<string, Route>();
          for (const h of have) {
            const r = kernelOf({ dst: h.dst, gateway: h.gw, metric: h.metric });
            kernel.set(`${r.dst}/${r.priority}`, r);
          }
          const p = planReconcile(base({ desired: d, observed: [...kernel.values()] }));
          for (const r of p.replace) kernel.set(`${r.dst}/${r.priority}`, r);
          for (const r of p.delete) kernel.delete(`${r.dst}/${r.priority}`);
          const p2 = planReconcile(base({ desired: d, observed: [...kernel.values()] }));
          expect(p2.replace).toEqual([]);
          expect(p2.delete).toEqual([]);
          expect(kernel.size).toBe(d.size);
        },
      ),
    );
  });
});
