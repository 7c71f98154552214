import { describe, expect, it } from "vitest";
import {
  contains,
  enclosing,
  formatCidr,
  formatIp,
  overlaps,
  parseCidr,
  parseIp,
  sizeOf,
} from "./cidr.js";
import { InvalidAddressError } from "./errors.js";

describe("cidr", () => {
  it("parses and formats IPv4 and IPv6 canonically", () => {
    expect(formatCidr(parseCidr("192.0.2.77/26"))).toBe("192.0.2.64/26");
    expect(formatCidr(parseCidr("2001:0db8:0000::0001/122"))).toBe("2001:db8::/122");
    expect(formatIp(6, parseIp("2001:db8::ff").value + 1n)).toBe("2001:db8::100");
    expect(sizeOf(parseCidr("198.51.100.0/24"))).toBe(256n);
    expect(sizeOf(parseCidr("2001:db8::/64"))).toBe(1n << 64n);
  });

  it("tests containment and overlap across families", () => {
    const a = parseCidr("192.0.2.0/24");
    expect(contains(a, parseIp("192.0.2.255"))).toBe(true);
    expect(contains(a, parseIp("192.0.3.0"))).toBe(false);
    expect(contains(a, parseIp("2001:db8::1"))).toBe(false);
    expect(overlaps(a, parseCidr("192.0.2.128/25"))).toBe(true);
    expect(overlaps(a, parseCidr("198.51.100.0/24"))).toBe(false);
    expect(formatCidr(enclosing(parseIp("203.0.113.200"), 26))).toBe("203.0.113.192/26");
  });

  it("rejects malformed input with a typed error", () => {
    for (const bad of [
      "",
      "300.1.1.1",
      "192.0.2.0/33",
      "2001:db8::/129",
      "::g",
      "192.0.2.1/24/1",
      "x/24",
    ]) {
      expect(() => (bad.includes("/") ? parseCidr(bad) : parseIp(bad)), bad).toThrow(
        InvalidAddressError,
      );
    }
    expect(() => parseIp("192.0.2.0/24")).toThrow(InvalidAddressError);
  });
});
