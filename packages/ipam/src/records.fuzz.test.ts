// Stored records are decoded defensively: arbitrary values give the record or
// CorruptDataError, and a block that decodes can be checked without throwing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { blockProblems } from "./block.js";
import { CorruptDataError } from "./errors.js";
import { decodeAffinity, decodeBlock, decodeConfig, decodeHandle } from "./records.js";

const kv = (value: string) => ({ key: "/k", value, createRevision: 1, modRevision: 1, version: 1 });

describe("record decoding fuzz", () => {
  it("returns or throws CorruptDataError", () => {
    const value = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record({
          cidr: fc.constantFrom("192.0.2.0/30", "x"),
          affinity: fc.option(fc.string()),
          allocations: fc.array(fc.option(fc.integer({ min: -2, max: 5 })), { maxLength: 4 }),
          unallocated: fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 6 }),
          attributes: fc.array(
            fc.record({ handleId: fc.option(fc.string()), secondary: fc.constant({}) }),
            { maxLength: 3 },
          ),
          sequenceNumber: fc.integer(),
          sequenceNumberForAllocation: fc.constant({}),
        })
        .map((o) => JSON.stringify(o)),
    );
    fc.assert(
      fc.property(value, (v) => {
        for (const dec of [decodeBlock, decodeHandle, decodeAffinity, decodeConfig]) {
          try {
            const r = dec(kv(v));
            if (dec === decodeBlock)
              expect(Array.isArray(blockProblems(r as ReturnType<typeof decodeBlock>))).toBe(true);
          } catch (e) {
            expect(e).toBeInstanceOf(CorruptDataError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
