import { describe, expect, it } from "vitest";
import { warmUpRib } from "./warm-up.js";

describe("warmUpRib", () => {
  it("exports every scratch route, packed into UPDATEs, in each round", () => {
    const r = warmUpRib({ routes: 5_000, rounds: 2 });
    expect(r.routes).toBe(10_000);
    // A /32 is 5 octets of NLRI; UPDATE headers and attributes come on top.
    expect(r.octets).toBeGreaterThan(10_000 * 5);
    expect(r.octets).toBeLessThan(10_000 * 5 * 1.1);
  });

  it("refuses a table size outside 1 to 131,072 (the scratch block is 198.18.0.0/15)", () => {
    expect(() => warmUpRib({ routes: 0 })).toThrow(RangeError);
    expect(() => warmUpRib({ routes: 131_073 })).toThrow(/1 to 131,072/);
  });
});
