import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatIpv6, parseAddress } from "./address.js";
import { ByteWriter } from "./bytes.js";
import { BgpDecodeError, BgpEncodeError } from "./errors.js";
import {
  decodePrefixes,
  encodePrefixes,
  formatPrefix,
  type Prefix,
  parsePrefix,
  prefixKey,
} from "./prefix.js";

const roundTrip = (ps: Prefix[], addPath: boolean, afi: number) => {
  const w = new ByteWriter(4);
  encodePrefixes(w, ps, addPath);
  const out: Prefix[] = [];
  decodePrefixes(w.buf, 0, w.pos, afi, addPath, out, 10);
  return out;
};

describe("addresses", () => {
  it.each([
    ["2001:db8::1", "2001:db8::1"],
    ["2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["::", "::"],
    ["::1", "::1"],
    ["fe80::50ec:f4ff:feec:a886", "fe80::50ec:f4ff:feec:a886"],
    ["::ffff:192.0.2.2", "::ffff:c000:202"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
  ])("%s formats canonically as %s (RFC 5952)", (text, canon) => {
    expect(formatIpv6(parseAddress(text))).toBe(canon);
  });

  it.each(["1.2.3", "256.0.0.1", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "x"])(
    "rejects %s",
    (t) => {
      expect(() => parseAddress(t)).toThrow(BgpEncodeError);
    },
  );

  it("IPv6 text round-trips for any 16 bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        expect(parseAddress(formatIpv6(b))).toEqual(b);
      }),
    );
  });
});

describe("prefixes", () => {
  it("parses and formats, clearing host bits", () => {
    expect(parsePrefix("198.51.100.77/26")).toEqual({
      afi: 1,
      length: 26,
      bytes: Uint8Array.of(198, 51, 100, 64),
    });
    expect(formatPrefix(parsePrefix("198.51.100.77/26"))).toBe("198.51.100.64/26");
    expect(formatPrefix(parsePrefix("2001:db8:a::/48"))).toBe("2001:db8:a::/48");
    expect(parsePrefix("0.0.0.0/0")).toEqual({ afi: 1, length: 0, bytes: new Uint8Array(0) });
    expect(parsePrefix("2001:db8::/32", 7).pathId).toBe(7);
    for (const bad of ["198.51.100.0", "198.51.100.0/33", "2001:db8::/129", "198.51.100.0/x"]) {
      expect(() => parsePrefix(bad)).toThrow(BgpEncodeError);
    }
  });

  it("NLRI encoding round-trips for any IPv4/IPv6 prefixes, with and without ADD-PATH", () => {
    const prefix = (afi: 1 | 2) =>
      fc
        .record({
          len: fc.integer({ min: 0, max: afi === 1 ? 32 : 128 }),
          addr: fc.uint8Array({ minLength: afi === 1 ? 4 : 16, maxLength: afi === 1 ? 4 : 16 }),
          id: fc.nat({ max: 0xffffffff }),
        })
        .map(({ len, addr, id }) => {
          const n = (len + 7) >> 3;
          const bytes = addr.slice(0, n);
          if (len & 7) bytes[n - 1]! &= 0xff << (8 - (len & 7));
          return { afi, length: len, bytes, pathId: id };
        });
    for (const afi of [1, 2] as const) {
      fc.assert(
        fc.property(fc.array(prefix(afi), { maxLength: 20 }), fc.boolean(), (ps, addPath) => {
          const want = addPath ? ps : ps.map(({ pathId: _, ...p }) => p);
          expect(roundTrip(ps, addPath, afi)).toEqual(want);
        }),
      );
    }
  });

  it("prefixKey is equal exactly when AFI, length, bits and path id are", () => {
    const k = (s: string, id?: number) => prefixKey(parsePrefix(s, id));
    expect(k("198.51.100.0/24")).toBe(k("198.51.100.77/24"));
    expect(k("198.51.100.0/24")).not.toBe(k("198.51.100.0/25"));
    expect(k("198.51.100.0/24", 1)).not.toBe(k("198.51.100.0/24", 2));
    expect(prefixKey(parsePrefix("198.51.100.0/24", 1), false)).toBe(k("198.51.100.0/24"));
    expect(k("0.0.0.0/0")).not.toBe(k("::/0"));
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 32 }),
        (a, len) => {
          const p = parsePrefix(`${[...a].join(".")}/${len}`);
          expect(parsePrefix(formatPrefix(p)).bytes).toEqual(p.bytes);
          expect(prefixKey(parsePrefix(formatPrefix(p)))).toBe(prefixKey(p));
        },
      ),
    );
  });

  it("masks stray host bits on decode; rejects over-long lengths and overruns", () => {
    const out: Prefix[] = [];
    decodePrefixes(Uint8Array.of(25, 198, 51, 100, 0xff), 0, 5, 1, false, out, 10);
    expect(out[0]!.bytes).toEqual(Uint8Array.of(198, 51, 100, 0x80));
    expect(() => decodePrefixes(Uint8Array.of(33, 1, 2, 3, 4, 5), 0, 6, 1, false, [], 10)).toThrow(
      BgpDecodeError,
    );
    expect(() => decodePrefixes(Uint8Array.of(129), 0, 1, 2, false, [], 10)).toThrow(
      BgpDecodeError,
    );
    expect(() => decodePrefixes(Uint8Array.of(0, 0, 1), 0, 3, 1, true, [], 10)).toThrow(
      BgpDecodeError,
    );
    expect(() =>
      encodePrefixes(new ByteWriter(), [{ afi: 1, length: 40, bytes: new Uint8Array(5) }], false),
    ).toThrow(BgpEncodeError);
  });
});
