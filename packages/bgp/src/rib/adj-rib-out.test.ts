// The Adj-RIB-Out's coalescing queue (RFC 4271 §9.2: what a peer has not
// been sent yet is sent once, in its latest state). Pure core: no mocks.
import { describe, expect, it } from "vitest";
import { AdjRibOut } from "./adj-rib-out.js";
import { AttrInterner } from "./attrs.js";
import { attrs, nthPrefix } from "./rib.fixture.js";

describe("AdjRibOut queue", () => {
  it("keeps a route that becomes pending when cancelled changes make the queue start over", () => {
    const interner = new AttrInterner();
    const out = new AdjRibOut(interner);
    const a = interner.intern(attrs({ nextHop: "192.0.2.1" }));
    const b = interner.intern(attrs({ nextHop: "192.0.2.2" }));
    const n = 3000;
    const give = (set: typeof a) => {
      interner.retain(set);
      return set;
    };
    for (let i = 0; i < n; i++) out.set(nthPrefix(i), give(a));
    expect(out.take().announce[0]?.prefixes).toHaveLength(n);
    // Each change is cancelled before it is sent: the queue fills with dead entries.
    for (let i = 0; i < n; i++) out.set(nthPrefix(i), give(b));
    expect(out.pendingCount).toBe(n);
    for (let i = 0; i < n; i++) out.set(nthPrefix(i), give(a));
    expect(out.pendingCount).toBe(0);
    // The next change makes the queue start over; it must still be sent.
    out.set(nthPrefix(n), give(b));
    expect(out.pendingCount).toBe(1);
    const batch = out.take();
    expect(batch.announce.map((g) => g.prefixes.length)).toEqual([1]);
    expect(out.pendingCount).toBe(0);
    expect(out.size).toBe(n + 1);
  });

  it("sends a withdrawal and forgets a route never sent", () => {
    const interner = new AttrInterner();
    const out = new AdjRibOut(interner, 16);
    const a = interner.intern(attrs());
    interner.retain(a);
    out.set(nthPrefix(1), a);
    out.set(nthPrefix(1), null);
    expect(out.pendingCount).toBe(0);
    expect(out.take()).toEqual({ announce: [], withdraw: [] });
    interner.retain(a);
    out.set(nthPrefix(2), a);
    out.take();
    out.set(nthPrefix(2), null);
    expect(out.take().withdraw).toEqual([nthPrefix(2)]);
    expect(out.size).toBe(0);
  });

  it("routes share states; churn through many sets leaves nothing held once all is withdrawn and sent", () => {
    const interner = new AttrInterner();
    const out = new AdjRibOut(interner);
    const set = (i: number) => interner.intern(attrs({ nextHop: "192.0.2.1", med: i }));
    const n = 2000;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < n; i++) out.set(nthPrefix(i), set((i * 7 + round) % 300));
      if (round % 2 === 0) out.take(n / 2); // some sent, some still pending
    }
    out.take();
    expect(out.size).toBe(n);
    expect(out.advertised(nthPrefix(5))?.med).toBe((5 * 7 + 4) % 300);
    out.resendAll();
    for (let i = 0; i < n; i++) out.set(nthPrefix(i), null);
    const last = out.take();
    expect(last.withdraw).toHaveLength(n);
    expect(last.announce).toEqual([]);
    expect(out.size).toBe(0);
    expect(out.pendingCount).toBe(0);
    // every reference handed over was released: no attribute set is held any more
    expect(interner.size).toBe(0);
  });
});
