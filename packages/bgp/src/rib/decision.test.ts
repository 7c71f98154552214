// The decision process: each step on its own, with its reason; a table of
// competing paths with the choice BIRD 2 documents for it (bgp_rte_better:
// LOCAL_PREF, AS_PATH length, ORIGIN, MED within a neighbour AS, eBGP over
// iBGP, IGP metric, router id / ORIGINATOR_ID, CLUSTER_LIST length, neighbour
// address); and properties: the result never depends on the order of paths.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAddress } from "../wire/address.js";
import { ipv4ToNumber } from "./addr.js";
import { AttrInterner } from "./attrs.js";
import { bestPath, comparePaths, comparePostMed, comparePreMed, decide } from "./decision.js";
import { BIRD_DECISION_TABLE, type DecisionRow } from "./decision-table.fixture.js";
import type { Path, PathSource, SourceKind } from "./path.js";
import { type AttrsSpec, attrs } from "./rib.fixture.js";

const interner = new AttrInterner();
let nextIndex = 1;

function source(
  o: {
    kind?: SourceKind;
    asn?: number;
    routerId?: string;
    address?: string;
    igpCost?: number;
  } = {},
): PathSource {
  const address = o.address ?? "192.0.2.10";
  return {
    id: `${address}-${nextIndex}`,
    index: nextIndex++,
    kind: o.kind ?? "ebgp",
    asn: o.asn ?? 65001,
    address,
    addressBytes: parseAddress(address),
    routerId: ipv4ToNumber(o.routerId ?? address),
    rrClient: false,
    igpCost: o.igpCost ?? 0,
  };
}

function path(spec: AttrsSpec, src: PathSource = source(), pathId = 0): Path {
  return {
    source: src,
    attrs: interner.intern(attrs({ nextHop: "192.0.2.1", ...spec })),
    pathId,
    stale: false,
  };
}

function buildRow(row: DecisionRow): Path[] {
  return row.paths.map((p) => {
    let init = attrs({ nextHop: "192.0.2.1", ...p.attrs });
    if (p.attrs.asSet) {
      const segments = [
        { type: 2, asns: p.attrs.path ?? [] },
        { type: 1, asns: p.attrs.asSet },
      ];
      init = {
        ...init,
        attributes: init.attributes.map((a) =>
          a.type === "as-path" ? { type: "as-path", segments } : a,
        ),
      };
    }
    return { source: source(p.source), attrs: interner.intern(init), pathId: 0, stale: false };
  });
}

describe("decision process against BIRD's documented choices", () => {
  it.each(BIRD_DECISION_TABLE)("$name", (row) => {
    const { best, reason, opts } = row;
    const paths = buildRow(row);
    for (const order of [paths, [...paths].reverse()]) {
      const d = decide(order, opts);
      expect(d.best).toBe(paths[best]);
      const loser = paths.find((_, i) => i !== best)!;
      expect(d.reasons.get(loser)).toBe(reason);
      expect(comparePaths(order[0]!, order[1]!, opts)).toEqual({ winner: paths[best], reason });
    }
  });

  it("the table is exported as data for the BIRD side-by-side test", () => {
    expect(BIRD_DECISION_TABLE.length).toBeGreaterThanOrEqual(15);
    expect(new Set(BIRD_DECISION_TABLE.map((r) => r.reason)).size).toBeGreaterThanOrEqual(10);
  });
});

describe("MED within a neighbour AS (RFC 4271 §9.1.2.2 c)", () => {
  // The classic non-transitive triple: pairwise comparison would cycle.
  const a = path({ path: [1], med: 10 }, source({ routerId: "192.0.2.3" }));
  const b = path({ path: [1], med: 5 }, source({ routerId: "192.0.2.4" }));
  const c = path({ path: [2], med: 0 }, source({ routerId: "192.0.2.2" }));
  it("removes the higher MED of AS 1 before comparing router ids", () => {
    for (const order of [
      [a, b, c],
      [a, c, b],
      [b, a, c],
      [b, c, a],
      [c, a, b],
      [c, b, a],
    ]) {
      const d = decide(order);
      expect(d.best).toBe(c);
      expect(d.reasons.get(a)).toBe("med");
      expect(d.reasons.get(b)).toBe("router-id");
    }
  });
});

describe("IGP cost hook", () => {
  it("a cost function of the next hop decides step e", () => {
    const a = path(
      { path: [1], nextHop: "192.0.2.1" },
      source({ kind: "ibgp", routerId: "192.0.2.1" }),
    );
    const b = path(
      { path: [1], nextHop: "192.0.2.2" },
      source({ kind: "ibgp", routerId: "192.0.2.2" }),
    );
    const igpCost = (p: Path) => (p.attrs.nextHop === "192.0.2.1" ? 50 : 10);
    const d = decide([a, b], { igpCost });
    expect(d.best).toBe(b);
    expect(d.reasons.get(a)).toBe("igp-cost");
    expect(bestPath([a, b], 2, { igpCost })).toBe(b);
    expect(decide([a, b]).best).toBe(a);
  });
});

describe("multipath", () => {
  it("paths equal through the IGP cost form the ECMP set", () => {
    const p1 = path({ path: [1, 2] }, source({ routerId: "192.0.2.1", address: "192.0.2.11" }));
    const p2 = path({ path: [1, 3] }, source({ routerId: "192.0.2.2", address: "192.0.2.12" }));
    const p3 = path({ path: [1, 4, 5] }, source({ routerId: "192.0.2.0", address: "192.0.2.13" }));
    const d = decide([p3, p2, p1]);
    expect(d.best).toBe(p1);
    expect(d.multipath).toEqual([p1, p2]);
  });

  it("without relax, eBGP multipath needs the same neighbour AS", () => {
    const p1 = path({ path: [1] }, source({ routerId: "192.0.2.1" }));
    const p2 = path({ path: [2] }, source({ routerId: "192.0.2.2" }));
    expect(decide([p1, p2]).multipath).toEqual([p1]);
    expect(decide([p1, p2], { multipathRelax: true }).multipath).toEqual([p1, p2]);
  });

  it("a single path is its own multipath set; none gives none", () => {
    const p = path({});
    expect(decide([p])).toMatchObject({ best: p, multipath: [p] });
    expect(decide([]).best).toBeUndefined();
  });
});

describe("properties", () => {
  const pathArb = fc
    .record({
      lp: fc.option(fc.constantFrom(90, 100, 200), { nil: undefined }),
      len: fc.integer({ min: 1, max: 3 }),
      nas: fc.constantFrom(1, 2),
      origin: fc.integer({ min: 0, max: 2 }),
      med: fc.option(fc.constantFrom(0, 5, 10), { nil: undefined }),
      kind: fc.constantFrom<SourceKind>("ibgp", "ebgp"),
      igp: fc.constantFrom(0, 10),
      rid: fc.integer({ min: 1, max: 6 }),
      addr: fc.integer({ min: 1, max: 250 }),
      pathId: fc.nat({ max: 3 }),
    })
    .map((r) =>
      path(
        {
          path: [r.nas, ...Array(r.len - 1).fill(9)],
          localPref: r.lp,
          origin: r.origin,
          med: r.med,
        },
        source({
          kind: r.kind,
          igpCost: r.igp,
          routerId: `192.0.2.${r.rid}`,
          address: `198.51.100.${r.addr}`,
        }),
        r.pathId,
      ),
    );

  it("the best path does not depend on the order of the candidates", () => {
    fc.assert(
      fc.property(
        fc.array(pathArb, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        (paths, always) => {
          const opts = { alwaysCompareMed: always };
          const a = decide(paths, opts);
          const b = decide([...paths].reverse(), opts);
          const shuffled = [...paths].sort(
            (x, y) => x.attrs.id - y.attrs.id || x.source.index - y.source.index,
          );
          expect(b.best).toBe(a.best);
          expect(decide(shuffled, opts).best).toBe(a.best);
          expect(new Set(b.multipath)).toEqual(new Set(a.multipath));
        },
      ),
    );
  });

  it("bestPath (the RIB's allocation-free hot path) picks what decide picks", () => {
    fc.assert(
      fc.property(
        fc.array(pathArb, { minLength: 1, maxLength: 10 }),
        fc.boolean(),
        (paths, always) => {
          const opts = { alwaysCompareMed: always };
          expect(bestPath([...paths], paths.length, opts)).toBe(decide(paths, opts).best);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("comparePreMed and comparePostMed (the RIB's shortcuts) order a pair as decide does", () => {
    fc.assert(
      fc.property(pathArb, pathArb, fc.boolean(), (a, b, always) => {
        const opts = { alwaysCompareMed: always, defaultLocalPref: 100 };
        const d = decide([a, b], opts);
        const pre = comparePreMed(a, b, opts);
        if (pre !== 0) {
          expect(d.best).toBe(pre < 0 ? a : b);
          expect(["local-origin", "local-pref", "as-path-length", "origin"]).toContain(
            d.reasons.get(pre < 0 ? b : a),
          );
          return;
        }
        if (d.reasons.get(d.best === a ? b : a) === "med") return;
        const post = comparePostMed(a, b, opts);
        if (post !== 0) expect(d.best).toBe(post < 0 ? a : b);
      }),
      { numRuns: 500 },
    );
  });

  it("every loser has a reason; the best has none", () => {
    fc.assert(
      fc.property(fc.array(pathArb, { minLength: 1, maxLength: 8 }), (paths) => {
        const d = decide(paths);
        expect(d.reasons.has(d.best!)).toBe(false);
        for (const p of paths) if (p !== d.best) expect(d.reasons.get(p)).toBeDefined();
      }),
    );
  });

  it("the best wins every pairwise comparison under always-compare-med (a total order)", () => {
    fc.assert(
      fc.property(fc.array(pathArb, { minLength: 1, maxLength: 8 }), (paths) => {
        const opts = { alwaysCompareMed: true };
        const best = decide(paths, opts).best!;
        for (const p of paths) expect(comparePaths(best, p, opts).winner).toBe(best);
      }),
    );
  });
});
