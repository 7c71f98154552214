// The IPv4 NLRI decoder into numbers against the object decoder
// (`decodePrefixes`): on any bytes — valid NLRI with host bits set, lengths
// over 32, truncated prefixes, random garbage — the same prefixes, or the
// same BgpDecodeError (RFC 4271 §6.3, RFC 7606 §5.3: code, subcode, data,
// action, message). And `decodeUpdate` without ADD-PATH gives the same
// message through the numbers as before.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codecContext } from "./context.js";
import { BgpDecodeError } from "./errors.js";
import { decodeUpdate, ipv4Fields } from "./messages/update.js";
import { decodeIpv4Nlri, ipv4NlriCount, ipv4NlriPrefixes } from "./nlri-v4.js";
import { decodePrefixes, type Prefix } from "./prefix.js";

type Outcome =
  | { ok: Prefix[] }
  | { err: { message: string; code: number; subcode: number; action: string; data: unknown } };

function outcome(fn: () => Prefix[]): Outcome {
  try {
    return { ok: fn() };
  } catch (e) {
    if (!(e instanceof BgpDecodeError)) throw e;
    return {
      err: {
        message: e.message,
        code: e.code,
        subcode: e.subcode,
        action: e.action,
        data: e.data === undefined ? undefined : [...e.data],
      },
    };
  }
}

/** One NLRI entry: a length byte (0–32 mostly, sometimes over) and octets, host bits random. */
const entry = fc
  .tuple(
    fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 32 }), weight: 8 },
      fc.integer({ min: 0, max: 255 }),
    ),
    fc.uint8Array({ minLength: 4, maxLength: 4 }),
  )
  .map(([len, addr]) => [len, ...addr.subarray(0, Math.min(4, (len + 7) >> 3))]);

/** NLRI fields: mostly well formed, sometimes cut short or followed by random octets. */
const field = fc.oneof(
  fc.array(entry, { maxLength: 12 }).map((es) => Uint8Array.from(es.flat())),
  fc.tuple(fc.array(entry, { maxLength: 6 }), fc.integer({ min: 0, max: 4 })).map(([es, cut]) => {
    const b = Uint8Array.from(es.flat());
    return b.subarray(0, Math.max(0, b.length - cut));
  }),
  fc
    .tuple(fc.array(entry, { maxLength: 6 }), fc.uint8Array({ maxLength: 8 }))
    .map(([es, tail]) => Uint8Array.from([...es.flat(), ...tail])),
  fc.uint8Array({ maxLength: 40 }),
);

describe("decodeIpv4Nlri", () => {
  it("gives exactly what decodePrefixes gives, prefixes or error", () => {
    fc.assert(
      fc.property(
        field,
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom(10, 11),
        (bytes, pad, subcode) => {
          // The field inside a larger buffer, as in a message.
          const b = new Uint8Array(pad + bytes.length + 2).fill(0xff);
          b.set(bytes, pad);
          const end = pad + bytes.length;
          const want = outcome(() => {
            const out: Prefix[] = [];
            decodePrefixes(b, pad, end, 1, false, out, subcode);
            return out;
          });
          const got = outcome(() => ipv4NlriPrefixes(decodeIpv4Nlri(b, pad, end, subcode)));
          expect(got).toEqual(want);
          if ("ok" in got)
            expect(ipv4NlriCount(decodeIpv4Nlri(b, pad, end, subcode))).toBe(got.ok.length);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("clears host bits (198.51.100.77/24 → 198.51.100.0) and takes /0 and /32", () => {
    const b = Uint8Array.of(24, 198, 51, 100, 0, 32, 203, 0, 113, 9, 25, 192, 0, 2, 0xff);
    const a = decodeIpv4Nlri(b, 0, b.length, 10);
    expect([...a]).toEqual([0xc6336400, 24, 0, 0, 0xcb007109, 32, 0xc0000280, 25]);
    expect(() => decodeIpv4Nlri(Uint8Array.of(33, 1, 2, 3, 4, 5), 0, 6, 10)).toThrow(
      "prefix length 33 exceeds 32",
    );
    expect(() => decodeIpv4Nlri(Uint8Array.of(24, 1, 2), 0, 3, 10)).toThrow(
      "prefix overruns the NLRI field",
    );
  });
});

describe("decodeUpdate through the numbers", () => {
  const ctx = codecContext({ fourOctetAs: true });
  const addPathCtx = codecContext({
    fourOctetAs: true,
    addPath: { receive: [{ afi: 1, safi: 1 }], send: [] },
  });

  /** An UPDATE body with the given Withdrawn Routes and NLRI fields and ORIGIN, AS_PATH, NEXT_HOP. */
  function body(w: Uint8Array, n: Uint8Array): Uint8Array {
    const attrs = [0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4, 192, 0, 2, 1];
    return Uint8Array.from([w.length >> 8, w.length & 255, ...w, 0, attrs.length, ...attrs, ...n]);
  }

  it("the same withdrawn and nlri as the object decoder, or the same error", () => {
    fc.assert(
      fc.property(field, field, (w, n) => {
        const b = body(w, n);
        const want = outcome(() => {
          const a: Prefix[] = [];
          decodePrefixes(w, 0, w.length, 1, false, a, 10);
          const c: Prefix[] = [];
          decodePrefixes(n, 0, n.length, 1, false, c, 10);
          return [...a, ...c];
        });
        const got = outcome(() => {
          const m = decodeUpdate(b, 0, b.length, ctx).message;
          expect(ipv4Fields(m)).toBeDefined();
          return [...m.withdrawn, ...m.nlri];
        });
        expect(got).toEqual(want);
      }),
      { numRuns: 1000 },
    );
  });

  it("a decoded message compares and spreads as a plain one; ADD-PATH keeps the object path", () => {
    const b = body(Uint8Array.of(8, 10), Uint8Array.of(24, 198, 51, 100));
    const m = decodeUpdate(b, 0, b.length, ctx).message;
    expect(m).toEqual({
      type: "update",
      withdrawn: [{ afi: 1, length: 8, bytes: Uint8Array.of(10) }],
      attributes: m.attributes,
      nlri: [{ afi: 1, length: 24, bytes: Uint8Array.of(198, 51, 100) }],
    });
    expect(m.nlri).toBe(m.nlri);
    const copy = { ...m };
    expect(ipv4Fields(copy)).toBeUndefined();
    expect(copy.nlri).toEqual(m.nlri);
    const ap = Uint8Array.from([
      ...body(new Uint8Array(0), new Uint8Array(0)),
      0,
      0,
      0,
      7,
      24,
      198,
      51,
      100,
    ]);
    const am = decodeUpdate(ap, 0, ap.length, addPathCtx).message;
    expect(ipv4Fields(am)).toBeUndefined();
    expect(am.nlri).toEqual([
      { afi: 1, length: 24, bytes: Uint8Array.of(198, 51, 100), pathId: 7 },
    ]);
  });
});
