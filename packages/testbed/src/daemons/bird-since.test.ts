import { describe, expect, it } from "vitest";
import { sameBirdInstant } from "./bird.js";

describe("sameBirdInstant", () => {
  it("one instant read a millisecond apart is the same; a later session is not", () => {
    expect(sameBirdInstant("00:35:33.769", "00:35:33.770")).toBe(true);
    expect(sameBirdInstant("00:35:33.770", "00:35:33.770")).toBe(true);
    expect(sameBirdInstant("00:35:33.770", "00:35:34.912")).toBe(false);
    expect(sameBirdInstant("00:35:33.770", "00:35:33.790")).toBe(false);
  });
  it("dates, readings without milliseconds, and midnight", () => {
    expect(sameBirdInstant("2026-12-04 00:35:33.769", "2026-12-04 00:35:33.771")).toBe(true);
    expect(sameBirdInstant("2026-12-03 00:35:33.769", "2026-12-04 00:35:33.769")).toBe(false);
    expect(sameBirdInstant("2026-12-03 23:59:59.999", "2026-12-04 00:00:00.001")).toBe(true);
    expect(sameBirdInstant("12:00:01", "12:00:01")).toBe(true);
    expect(() => sameBirdInstant("Established", "12:00:01")).toThrow(/not a BIRD time/);
  });
});
