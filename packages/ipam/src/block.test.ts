import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assign,
  assignOrdinal,
  blockProblems,
  emptyBlock,
  inUse,
  isEmpty,
  release,
  sequenceFloor,
} from "./block.js";

const attr = (h: string) => ({ handleId: h, secondary: { pod: h } });

describe("block", () => {
  it("assigns in order, skipping excluded ordinals, and counts use", () => {
    const b0 = emptyBlock("192.0.2.0/29", "n1");
    expect(b0.allocations).toHaveLength(8);
    const { block, assigned } = assign(b0, 3, attr("a"), (o) => o === 1);
    expect(assigned.map((a) => a.ip)).toEqual(["192.0.2.0", "192.0.2.2", "192.0.2.3"]);
    expect(assigned.map((a) => a.sequenceNumber)).toEqual([1, 2, 3]);
    expect(inUse(block)).toBe(3);
    expect(blockProblems(block)).toEqual([]);
    expect(b0.unallocated).toHaveLength(8); // inputs are not mutated
  });

  it("shares attribute entries and drops unused ones on release", () => {
    let b = assign(emptyBlock("192.0.2.0/29", "n1"), 2, attr("a")).block;
    b = assign(b, 1, attr("b")).block;
    expect(b.attributes).toHaveLength(2);
    b = release(b, [{ ordinal: 0 }, { ordinal: 1 }]).block;
    expect(b.attributes).toEqual([attr("b")]);
    expect(b.allocations[2]).toBe(0);
    expect(blockProblems(b)).toEqual([]);
  });

  it("guards release by handle and by sequence number (ABA)", () => {
    let b = assign(emptyBlock("192.0.2.0/30", null), 1, attr("a")).block; // .0 seq 1
    const wrongHandle = release(b, [{ ordinal: 0, handleId: "z" }]);
    expect(wrongHandle.released).toEqual([]);
    expect(wrongHandle.conflict).toEqual({
      ordinal: 0,
      field: "handleId",
      requested: "z",
      expected: "a",
    });
    expect(wrongHandle.block).toBe(b);
    b = release(b, [{ ordinal: 0 }]).block;
    // The address is freed, then re-assigned to someone else: it goes to the back of the free list.
    const again = assignOrdinal(b, 0, attr("c"));
    expect(again?.assigned.sequenceNumber).toBe(2);
    b = again!.block;
    // A stale release carrying the first allocation's sequence number is a conflict and frees nothing.
    const stale = release(b, [{ ordinal: 0, sequenceNumber: 1 }]);
    expect(stale.released).toEqual([]);
    expect(stale.conflict).toMatchObject({ field: "sequenceNumber", requested: 1, expected: 2 });
    expect(inUse(stale.block)).toBe(1);
    const fresh = release(b, [{ ordinal: 0, sequenceNumber: 2, handleId: "c" }]);
    expect(fresh.released).toEqual([{ ordinal: 0, handleId: "c" }]);
    expect(isEmpty(fresh.block)).toBe(true);
    expect(assignOrdinal(again!.block, 0, attr("d"))).toBeUndefined();
  });

  it("reports structural damage", () => {
    const b = emptyBlock("192.0.2.0/30", null);
    expect(
      blockProblems({ ...b, allocations: [5, null, null, null], unallocated: [0, 1, 1] }),
    ).toEqual([
      "ordinal 0 is both allocated and free",
      "ordinal 1 listed free twice",
      "ordinal 0 refers to missing attribute 5",
      "ordinal 2 is neither allocated nor free",
      "ordinal 3 is neither allocated nor free",
    ]);
  });

  it("never repeats a sequence number for an address when its block is deleted and created again", () => {
    // First life: created at revision 10, 4 assignments in one write at 10, one more at 11.
    let b = emptyBlock("192.0.2.0/30", "n1");
    const first = assign(b, 4, attr("a"), undefined, sequenceFloor(10));
    b = release(first.block, [{ ordinal: 0 }]).block; // written at 11
    const again = assign(b, 1, attr("b"), undefined, sequenceFloor(11));
    const old = [...first.assigned, ...again.assigned].map((a) => a.sequenceNumber);
    // Deleted at 12, created again at 13: the counter restarts, the floor does not.
    const reborn = assign(
      emptyBlock("192.0.2.0/30", "n2"),
      4,
      attr("c"),
      undefined,
      sequenceFloor(13),
    );
    const fresh = reborn.assigned.map((a) => a.sequenceNumber);
    expect(Math.min(...fresh)).toBeGreaterThan(Math.max(...old));
    expect(new Set([...old, ...fresh]).size).toBe(old.length + fresh.length);
  });

  it("release frees exactly what its guards allow, or nothing at all", () => {
    const step = fc.oneof(
      fc.record({
        t: fc.constant("assign" as const),
        n: fc.integer({ min: 1, max: 3 }),
        h: fc.constantFrom("a", "b"),
      }),
      fc.record({
        t: fc.constant("release" as const),
        o: fc.integer({ min: 0, max: 7 }),
        h: fc.option(fc.constantFrom("a", "b"), { nil: undefined }),
        seq: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
      }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        let b = emptyBlock("192.0.2.0/29", "n1");
        steps.forEach((st, i) => {
          if (st.t === "assign") {
            b = assign(b, st.n, attr(st.h), undefined, sequenceFloor(i)).block;
            return;
          }
          const req = {
            ordinal: st.o,
            ...(st.h === undefined ? {} : { handleId: st.h }),
            ...(st.seq === undefined ? {} : { sequenceNumber: st.seq }),
          };
          const holder = b.allocations[st.o];
          const r = release(b, [req]);
          const seqOk =
            st.seq === undefined || b.sequenceNumberForAllocation[String(st.o)] === st.seq;
          const handleOk =
            st.h === undefined || holder === null || b.attributes[holder!]?.handleId === st.h;
          if (!seqOk || !handleOk) {
            expect(r.conflict).toBeDefined();
            expect(r.block).toBe(b);
          } else {
            expect(r.conflict).toBeUndefined();
            expect(r.released.map((x) => x.ordinal)).toEqual(holder === null ? [] : [st.o]);
            expect(blockProblems(r.block)).toEqual([]);
            b = r.block;
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});
