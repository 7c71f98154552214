import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AddressError, formatCidr, formatRange, mergeRanges, parseCidr, parseIp } from "./cidr.js";
import { PortError, parsePort } from "./ports.js";

describe("addresses, CIDRs and ranges", () => {
  it("parses and normalises", () => {
    expect(formatCidr(parseCidr("192.0.2.77/24"))).toBe("192.0.2.0/24");
    expect(formatCidr(parseCidr("2001:db8:0:0::1/128"))).toBe("2001:db8::1");
    expect(parseIp("192.0.2.1")).toEqual({ family: 4, value: 0xc0000201n });
    for (const bad of [
      "192.0.2.1/33",
      "192.0.2",
      "1.2.3.4.5",
      "2001:db8::/129",
      "x",
      "192.0.2.1/24/1",
      "::1%eth0",
    ]) {
      expect(() => parseCidr(bad)).toThrow(AddressError);
    }
  });

  it("merges overlapping and adjacent ranges and prints CIDRs where possible", () => {
    const r = mergeRanges([
      parseCidr("192.0.2.0/25"),
      parseCidr("192.0.2.128/25"),
      parseCidr("192.0.2.5"),
      parseCidr("198.51.100.1"),
    ]);
    expect(r.map((x) => formatRange(4, x))).toEqual(["192.0.2.0/24", "198.51.100.1"]);
    expect(
      formatRange(4, { start: parseIp("192.0.2.1").value, end: parseIp("192.0.2.6").value }),
    ).toBe("192.0.2.1-192.0.2.6");
  });

  it("merged ranges cover exactly the union (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 20 })), {
          maxLength: 10,
        }),
        (xs) => {
          const ranges = xs.map(([s, l]) => ({ start: BigInt(s), end: BigInt(s + l) }));
          const merged = mergeRanges(ranges);
          for (let v = 0n; v < 230n; v++) {
            const inUnion = ranges.some((r) => v >= r.start && v <= r.end);
            const inMerged = merged.filter((r) => v >= r.start && v <= r.end).length;
            expect(inMerged).toBe(inUnion ? 1 : 0);
          }
          for (let i = 1; i < merged.length; i++)
            expect(merged[i]!.start > merged[i - 1]!.end + 1n).toBe(true);
        },
      ),
    );
  });

  it("ports: numbers, ranges, names", () => {
    expect(parsePort(80)).toEqual({ kind: "range", min: 80, max: 80 });
    expect(parsePort("80:90")).toEqual({ kind: "range", min: 80, max: 90 });
    expect(parsePort("http-alt")).toEqual({ kind: "named", name: "http-alt" });
    for (const bad of [70000, "90:80", "Http", "-x", "a--b", "123"]) {
      if (bad === "123") expect(parsePort(bad)).toEqual({ kind: "range", min: 123, max: 123 });
      else expect(() => parsePort(bad)).toThrow(PortError);
    }
  });
});
