// The snapshot decodes whatever a datastore holds: any value under a watched
// key either becomes a typed value or an issue — never an exception, and an
// issue never removes the last good value.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { affinity, builderWith, keyOf, res } from "../testing/fixtures.js";
import {
  AFFINITY_PREFIX,
  RESOURCES_PREFIX,
  SnapshotBuilder,
  WORKLOAD_ENDPOINTS_PREFIX,
} from "./snapshot.js";

const keys = fc.oneof(
  fc.constantFrom(
    `${RESOURCES_PREFIX}ippools/p`,
    `${RESOURCES_PREFIX}bgppeers/x`,
    `${RESOURCES_PREFIX}nodes/n`,
    `${RESOURCES_PREFIX}bgpconfigurations/default`,
    `${WORKLOAD_ENDPOINTS_PREFIX}n/net/c/eth0`,
    `${AFFINITY_PREFIX}n/b`,
  ),
  fc.string().map((s) => `${RESOURCES_PREFIX}${s}`),
);
const values = fc.oneof(
  fc.string(),
  fc.json(),
  fc.anything().map((v) => {
    try {
      return JSON.stringify(v) ?? "null";
    } catch {
      return "null";
    }
  }),
  fc
    .record({
      apiVersion: fc.constant("projectcalico.org/v3"),
      kind: fc.string(),
      metadata: fc.anything(),
      spec: fc.anything(),
    })
    .map((v) => JSON.stringify(v)),
);

describe("snapshot decoding (fuzz)", () => {
  it("any value under any key: no exception; every put is either taken or reported", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(keys, values), { maxLength: 20 }), (puts) => {
        const b = new SnapshotBuilder();
        b.apply(puts.map(([key, value]) => ({ type: "put" as const, key, value })));
        const s = b.snapshot();
        expect(Array.isArray(s.issues)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("garbage never replaces a good value", () => {
    const pool = res("IPPool", "p", { cidr: "198.51.100.0/24" });
    fc.assert(
      fc.property(values, (v) => {
        const b = builderWith([pool], [affinity("n", "198.51.100.0/26")]);
        b.apply([
          { type: "put", key: keyOf(pool), value: v },
          { type: "put", key: affinity("n", "198.51.100.0/26").key, value: v },
        ]);
        const s = b.snapshot();
        // either still the pool, or a valid replacement that parsed
        const p = s.resources.IPPool.get("p");
        expect(p === undefined ? false : typeof p.spec.cidr === "string").toBe(true);
        expect(s.affinities.size).toBe(1);
      }),
      { numRuns: 300 },
    );
  });
});
