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

  it("a walk in pieces visits every destination present throughout, whatever changes in between", () => {
    // A larger key space than above (more moves on delete), growth from a small table.
    const keyArb = fc.oneof(
      fc.record({ a: fc.nat(300), len: fc.constantFrom(24, 32) }).map(({ a, len }) => {
        const x = (0xc6120000 + a * 256 + (len === 32 ? a & 255 : 0)) >>> 0;
        const n = (len + 7) >> 3;
        return {
          afi: 1,
          length: len,
          bytes: Uint8Array.of(x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255).slice(0, n),
        } as Prefix;
      }),
      prefixArb,
    );
    const stepArb = fc.record({ op: fc.nat(9), p: keyArb, n: fc.integer({ min: 1, max: 4 }) });
    fc.assert(
      fc.property(
        fc.array(keyArb, { maxLength: 150 }),
        fc.array(stepArb, { maxLength: 300 }),
        (initial, steps) => {
          const t = new DestTable<number>(4, { sharedValues });
          for (const p of initial) t.set(p, 1);
          // Present at the start and never deleted: must be visited.
          const throughout = new Set<string>();
          t.forEach((p) => {
            throughout.add(prefixKey(p, false));
          });
          const ever = new Set(throughout);
          const visited = new Set<string>();
          const c = t.openCursor();
          const visit4 = (addr: number, length: number) => {
            const b = [addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255];
            const n = (length + 7) >> 3;
            visited.add(
              prefixKey({ afi: 1, length, bytes: Uint8Array.from(b.slice(0, n)) }, false),
            );
          };
          const visitOther = (p: Prefix) => {
            visited.add(prefixKey(p, false));
          };
          for (const { op, p, n } of steps) {
            const k = prefixKey(p, false);
            if (op < 3) t.walk(c, n, visit4, visitOther);
            else if (op < 6) {
              t.delete(p);
              throughout.delete(k);
            } else {
              t.set(p, op);
              ever.add(k);
            }
          }
          while (!t.walk(c, 3, visit4, visitOther));
          expect(c.done).toBe(true);
          for (const k of throughout) expect(visited.has(k), k).toBe(true);
          for (const k of visited) expect(ever.has(k), k).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("insertAbsentV4 inserts the absent keys in one pass, across growth, and lists them first", () => {
    const keyArb = fc
      .record({ a: fc.nat(200), len: fc.constantFrom(24, 32) })
      .map(({ a, len }) => ((0xc6120000 + a * 256) >>> 0) * 64 + len);
    fc.assert(
      fc.property(
        fc.array(keyArb, { maxLength: 60 }),
        fc.array(keyArb, { maxLength: 200 }),
        (before, keys) => {
          const t = new DestTable<number>(4, { sharedValues });
          const p = (k: number): Prefix => {
            const length = k % 64;
            const a = (k - length) / 64;
            return {
              afi: 1,
              length,
              bytes: Uint8Array.of(a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255).slice(
                0,
                (length + 7) >> 3,
              ),
            };
          };
          const m = new Map<number, number>();
          for (const k of before) {
            t.set(p(k), 1);
            m.set(k, 1);
          }
          const want: number[] = [];
          for (const k of keys)
            if (!m.has(k)) {
              m.set(k, 2);
              want.push(k);
            }
          const list = [...keys];
          const n = t.insertAbsentV4(list, list.length, 2);
          expect(list.slice(0, n)).toEqual(want);
          expect(t.size).toBe(m.size);
          for (const [k, v] of m) expect(t.get(p(k))).toBe(v);
          // The registry counts the new references: deleting them all leaves the old ones.
          for (const k of want) t.delete(p(k));
          expect([...t.values()].every((v) => v === 1)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a walk that deletes what it just visited still visits every other destination", () => {
    // Deleting the destination just before the cursor shifts later members of
    // its probe run back over the cursor (backward-shift deletion): the walk
    // must go back for them. Load ~0.68, no growth meanwhile.
    const t = new DestTable<number>(700, { sharedValues });
    const keys: Prefix[] = [];
    for (let i = 0; i < 700; i++) {
      const x = (i * 2_654_435_761) >>> 14; // spread over 198.18.0.0/15
      keys.push({
        afi: 1,
        length: 32,
        bytes: Uint8Array.of(198, 18 + ((x >> 16) & 1), (x >> 8) & 255, x & 255),
      });
    }
    for (const k of keys) t.set(k, 1);
    const visited = new Set<string>();
    const c = t.openCursor();
    let deleted = 0;
    for (;;) {
      let last: Prefix | undefined;
      const done = t.walk(
        c,
        1,
        (addr, length) => {
          last = {
            afi: 1,
            length,
            bytes: Uint8Array.of(addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255),
          };
        },
        () => {},
      );
      if (last) {
        const k = prefixKey(last, false);
        expect(visited.has(k), `${k} visited twice though nothing moved back`).toBe(false);
        visited.add(k);
        // Every other visited destination goes.
        if (visited.size % 2 === 1 && t.delete(last)) deleted++;
      }
      if (done) break;
    }
    for (const k of keys) expect(visited.has(prefixKey(k, false)), formatPrefix(k)).toBe(true);
    expect(deleted).toBe(350);
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
