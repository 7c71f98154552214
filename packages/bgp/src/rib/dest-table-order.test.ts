// The destination table's order and growth (dest-table.ts header): BIRD
// 2.0's hash with homes in the top bits, so the table walks in BIRD's FIB
// order; a table fed in that order grows early instead of piling every
// route into one run; routes crafted to share one home cost bounded memory.
import { describe, expect, it } from "vitest";
import { DestTable, hashV4 } from "./dest-table.js";

/** 2902958171⁻¹ mod 2^32: `hashV4(x * INV, 0) === x` (the hash is invertible, as any fixed one). */
const INV = (() => {
  // Newton's iteration for the inverse of an odd number modulo 2^32.
  let x = 2902958171;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(2902958171, x)) >>> 0;
  return x >>> 0;
})();

/** `n` distinct /32 addresses of 198.18.0.0/15 and past it (benchmark addresses). */
function addresses(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (0xc6120000 + i) >>> 0);
}

describe("DestTable order and growth", () => {
  it("hashes an IPv4 network as BIRD 2.0 does (net_hash_ip4)", () => {
    // the address times 2902958171 (mod 2^32), the length in the top six bits
    expect(hashV4(0, 0)).toBe(0);
    expect(hashV4(1, 0)).toBe(2902958171);
    // BigInt as the oracle (the product is past 2^53); the same in C: (u32) 0xc6120001 * 2902958171u ^ 32u << 26
    const oracle = (a: number, l: number) =>
      Number(((BigInt(a) * 2902958171n) % 2n ** 32n) ^ (BigInt(l) << 26n));
    expect(hashV4(0xc6120001, 32)).toBe(oracle(0xc6120001, 32));
    expect(hashV4(0xc6120001, 32)).toBe(3580731483);
    for (const a of [0xffffffff, 0x80000000, 0x0a000000, 0xcb007100])
      expect(hashV4(a, 24)).toBe(oracle(a, 24));
    expect(hashV4(Math.imul(12345, INV) >>> 0, 0)).toBe(12345);
  });

  it("walks in BIRD's order: each destination's home at or after the one before, but for runs", () => {
    const t = new DestTable<number>(1024, { sharedValues: true });
    const addrs = addresses(50_000);
    for (let i = addrs.length - 1; i >= 0; i--) t.setV4(addrs[i]!, 32, 1); // reverse address order
    const shift = 32 - Math.log2(t.slotsV4);
    const homes: number[] = [];
    t.forEachV4((a, l) => homes.push(hashV4(a, l) >>> shift));
    expect(homes).toHaveLength(50_000);
    const run = t.longestRunV4();
    expect(run).toBeLessThan(64);
    let backwards = 0;
    for (let i = 1; i < homes.length; i++) {
      expect(homes[i]!).toBeGreaterThanOrEqual(homes[i - 1]! - run);
      if (homes[i]! < homes[i - 1]!) backwards++;
    }
    // (a home before the previous one only where a run displaced that one)
    expect(backwards).toBeLessThan(homes.length / 10);
  });

  it.each([
    ["setV4", false],
    ["insertAbsentV4", true],
  ])("fed in hash order (a BIRD peer's table), %s grows early and keeps runs short", (_, batch) => {
    const n = 200_000;
    const addrs = addresses(n).sort((a, b) => hashV4(a, 32) - hashV4(b, 32));
    const t = new DestTable<number>(1024, { sharedValues: true });
    let worst = 0;
    for (let i = 0; i < n; i += 1000) {
      if (batch) {
        const keys = addrs.slice(i, i + 1000).map((a) => a * 64 + 32);
        expect(t.insertAbsentV4(keys, keys.length, 1)).toBe(1000);
      } else for (let j = i; j < i + 1000; j++) t.setV4(addrs[j]!, 32, 1);
      worst = Math.max(worst, t.longestRunV4());
    }
    // Without the growth on long runs the first routes pile up from slot 0:
    // after 1,000 of them one run of ~1,000 slots, after 100,000 of ~100,000.
    expect(worst).toBeLessThan(128);
    expect(t.size).toBe(n);
    for (const a of addrs.slice(0, 1000)) expect(t.getV4(a, 32)).toBe(1);
    // no bigger than growth by load alone makes it (2^19 slots for 200,000)
    expect(t.slotsV4).toBeLessThanOrEqual(2 ** 19);
  });

  it("grows by its load alone when fed at random or in BIRD's order: 1,000,000 in 2^21 slots, 700,000 in 2^20", () => {
    // (a run of 32 is common at load 0.48: growing on every one, as a first
    // form did, put a random full table in 2^22 slots)
    for (const [n, slots] of [
      [1_000_000, 2 ** 21],
      [700_000, 2 ** 20],
    ] as const) {
      const t = new DestTable<number>(1024, { sharedValues: true });
      let seed = n;
      while (t.size < n) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        t.setV4(seed, 32, 1);
      }
      expect(t.slotsV4).toBe(slots);
      // BIRD's order: sorted by hash (hash × 2^21 + index stays below 2^53)
      const keys = new Float64Array(n);
      for (let i = 0; i < n; i++) keys[i] = hashV4((0xc6120000 + i) >>> 0, 32) * 2 ** 21 + i;
      keys.sort();
      const u = new DestTable<number>(1024, { sharedValues: true });
      for (const k of keys) u.setV4((0xc6120000 + (k % 2 ** 21)) >>> 0, 32, 1);
      expect(u.size).toBe(n);
      expect(u.slotsV4).toBe(slots);
    }
  });

  it("routes crafted to share one home cost at most 256 slots each and at most 2^22 slots", () => {
    // hashV4(x * INV, 32) === x ^ (32 << 26): every x below 2^10 has the same top bits
    const crafted = (x: number) => Math.imul(x, INV) >>> 0;
    const t = new DestTable<number>(1024, { sharedValues: true });
    for (let x = 0; x < 1000; x++) t.setV4(crafted(x), 32, x);
    expect(t.slotsV4).toBeLessThanOrEqual(2 * 256 * 1000);
    expect(t.slotsV4).toBeGreaterThan(2048); // it did grow on the long runs
    for (let x = 0; x < 1000; x += 37) expect(t.getV4(crafted(x), 32)).toBe(x);
    // more of them: the growth stops at 2^22 slots
    const u = new DestTable<number>(1024, { sharedValues: true });
    const keys = Array.from({ length: 20_000 }, (_, x) => crafted(x) * 64 + 32);
    expect(u.insertAbsentV4(keys, keys.length, 1)).toBe(20_000);
    expect(u.slotsV4).toBe(2 ** 22);
    for (let x = 0; x < 20_000; x += 997) expect(u.getV4(crafted(x), 32)).toBe(1);
    for (let x = 0; x < 20_000; x++) expect(u.deleteV4(crafted(x), 32)).toBe(true);
    expect(u.size).toBe(0);
  });
});
