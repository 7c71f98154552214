import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NetlinkInputError } from "./errors.js";
import {
  formatIPv4,
  formatIPv6,
  formatMac,
  hostBitsZero,
  parseIP,
  parseMac,
  parsePrefix,
  tryParseIPv4,
  tryParseIPv6,
} from "./ip.js";

/** Node's URL parser canonicalises IPv6 hosts (RFC 5952 for the compression). */
const canonical6 = (s: string) => new URL(`http://[${s}]/`).hostname.slice(1, -1);

describe("IP text forms", () => {
  it("IPv4 round-trips through bytes", () => {
    fc.assert(
      fc.property(fc.ipV4(), (s) => {
        expect(formatIPv4(parseIP(s))).toBe(s);
      }),
    );
  });

  it("IPv6 parses every form fast-check makes and formats canonically", () => {
    fc.assert(
      fc.property(fc.ipV6(), (s) => {
        const b = tryParseIPv6(s);
        expect(b).toBeDefined();
        const text = formatIPv6(b!);
        if (!text.startsWith("::ffff:")) expect(text).toBe(canonical6(s));
        expect(tryParseIPv6(text)).toEqual(b);
      }),
      { numRuns: 2000 },
    );
  });

  it("formats like iproute2 prints", () => {
    expect(formatIPv6(parseIP("2001:db8:0:0:0:0:0:1"))).toBe("2001:db8::1");
    expect(formatIPv6(parseIP("2001:db8:0:1:0:0:0:1"))).toBe("2001:db8:0:1::1");
    expect(formatIPv6(parseIP("2001:0:0:1:0:0:0:1"))).toBe("2001:0:0:1::1");
    expect(formatIPv6(parseIP("::"))).toBe("::");
    expect(formatIPv6(parseIP("::ffff:192.0.2.1"))).toBe("::ffff:192.0.2.1");
  });

  it("refuses malformed addresses with NetlinkInputError", () => {
    for (const bad of [
      "256.1.1.1",
      "1.2.3",
      "01.2.3.4",
      "1::2::3",
      "2001:db8::g",
      "",
      "1.2.3.4/",
    ]) {
      expect(() => parseIP(bad), bad).toThrow(NetlinkInputError);
    }
    expect(tryParseIPv4("192.0.2.1")).toEqual(Uint8Array.from([192, 0, 2, 1]));
  });

  it("prefixes: length bounds and host bits", () => {
    expect(parsePrefix("198.51.100.0/24")).toMatchObject({ family: 2, len: 24 });
    expect(parsePrefix("2001:db8::1")).toMatchObject({ family: 10, len: 128 });
    expect(() => parsePrefix("192.0.2.0/33")).toThrow(NetlinkInputError);
    expect(() => parsePrefix("192.0.2.1/24", true)).toThrow(/host bits/);
    expect(hostBitsZero(parseIP("2001:db8::"), 32)).toBe(true);
    expect(hostBitsZero(parseIP("2001:db8::1"), 64)).toBe(false);
  });

  it("MAC addresses round-trip", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (b) => {
        expect(parseMac(formatMac(b))).toEqual(b);
      }),
    );
    expect(() => parseMac("zz:00")).toThrow(NetlinkInputError);
  });
});
