// The destination table against a Map model under random inserts, updates
// and deletes (backward-shift deletion is where open addressing goes wrong),
// across growth, with IPv4 and IPv6 mixed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatPrefix, type Prefix, prefixKey } from "../wire/prefix.js";
import { DestTable, type ValueIds } from "./dest-table.js";
import { prefixFromKey } from "./keys.js";

// A small key space so that collisions, long probe runs and re-inserts happen.
const prefixArb: fc.Arbitrary<Prefix> = fc.oneof(
  fc.record({ a: fc.nat(40), len: fc.constantFrom(24, 32, 8, 0) }).map(({ a, len }) => {
    const x = (0xc6120000 + a * 256) >>> 0;
    const n = (len + 7) >> 3;
    return {
      afi: 1,
      length: len,
      bytes: Uint8Array.of(x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255).slice(0, n),
    };
  }),
  fc
    .nat(5)
    .map((a) => ({ afi: 2, length: 48, bytes: Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, a) })),
);
const opArb = fc.record({ del: fc.boolean(), p: prefixArb, v: fc.nat() });

describe.each([
  { mode: "values by slot", sharedValues: false },
  { mode: "shared values (registry references)", sharedValues: true },
])("DestTable, $mode", ({ sharedValues }) => {
  it("behaves as a Map keyed by prefix", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
        const t = new DestTable<number>(4, { sharedValues });
        const m = new Map<string, number>();
        for (const { del, p, v } of ops) {
          const k = prefixKey(p, false);
          if (del) expect(t.delete(p)).toBe(m.delete(k));
          else {
            // A lookup first, as the RIB does (a miss remembers its slot for the set).
            if (v % 2 === 0) expect(t.get(p)).toBe(m.get(k));
            t.set(p, v);
            m.set(k, v);
          }
          expect(t.size).toBe(m.size);
        }
        for (const { p } of ops) expect(t.get(p)).toBe(m.get(prefixKey(p, false)));
        const listed = new Map([...t.entries()].map(([p, v]) => [prefixKey(p, false), v]));
        expect(listed).toEqual(m);
        expect([...t.values()].sort()).toEqual([...m.values()].sort());
      }),
      { numRuns: 300 },
    );
  });

  it("shares object values by identity, across mapValues, deletes and clear", () => {
    type Val = { n: number; id: number };
    const ids: ValueIds<Val> = {
      get: (v) => v.id,
      set: (v, id) => {
        v.id = id;
      },
    };
    // Registry ids in a Map, or on the values themselves (as the Loc-RIB keeps them).
    for (const opt of sharedValues ? [true, ids] : [false]) {
      const pool: Val[] = [0, 1, 2].map((n) => ({ n, id: -1 }));
      fc.assert(
        fc.property(
          fc.array(fc.record({ op: fc.nat(9), p: prefixArb, v: fc.nat(2) }), { maxLength: 200 }),
          (ops) => {
            const t = new DestTable<Val>(4, { sharedValues: opt });
            const m = new Map<string, Val>();
            for (const { op, p, v } of ops) {
              const k = prefixKey(p, false);
              if (op < 3) expect(t.delete(p)).toBe(m.delete(k));
              else if (op === 3) {
                // markStale-like rewrites: every value moved on in the pool, or
                // replaced by a fresh object of its own (a node per prefix).
                const fresh = v === 0;
                const next = (x: Val): Val => (fresh ? { n: x.n, id: -1 } : pool[(x.n + 1) % 3]!);
                t.mapValues(next);
                // Fresh objects: the model takes the ones the table now holds;
                // the later steps check they stay put (no id freed while in use).
                for (const [key, x] of m) m.set(key, fresh ? t.get(prefixFromKey(key))! : next(x));
              } else if (op === 4 && v === 0) {
                t.clear();
                m.clear();
              } else {
                t.set(p, pool[v]!);
                m.set(k, pool[v]!);
              }
              expect(t.get(p)).toBe(m.get(k));
            }
            expect(t.size).toBe(m.size);
            for (const { p } of ops) expect(t.get(p)).toBe(m.get(prefixKey(p, false)));
            const seen = new Map<string, Val>();
            t.forEach((p, x) => {
              seen.set(prefixKey(p, false), x);
            });
            expect(seen).toEqual(m);
            for (const [key, x] of m) expect(t.get(prefixFromKey(key))).toBe(x);
            const where = t.prefixesWhere((x) => x === pool[1]).map((p) => prefixKey(p, false));
            expect(where.sort()).toEqual(
              [...m]
                .filter(([, x]) => x === pool[1])
                .map(([k]) => k)
                .sort(),
            );
          },
        ),
        { numRuns: 200 },
      );
    }
  });

  it("holds 100,000 IPv4 prefixes and deletes them all", () => {
    const t = new DestTable<number>(1024, { sharedValues });
    const p = (i: number): Prefix => ({
      afi: 1,
      length: 32,
      bytes: Uint8Array.of(198, 18 + (i >> 16), (i >> 8) & 255, i & 255),
    });
    for (let i = 0; i < 100_000; i++) t.set(p(i), i);
    expect(t.size).toBe(100_000);
    expect(t.get(p(54_321))).toBe(54_321);
    expect(formatPrefix([...t.entries()].find(([, v]) => v === 7)![0])).toBe("198.18.0.7/32");
    for (let i = 0; i < 100_000; i += 2) t.delete(p(i));
    for (let i = 1; i < 100_000; i += 2) expect(t.get(p(i))).toBe(i);
    for (let i = 1; i < 100_000; i += 2) t.delete(p(i));
    expect(t.size).toBe(0);
    expect([...t.values()]).toEqual([]);
  });
});
