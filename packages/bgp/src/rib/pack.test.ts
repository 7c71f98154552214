// The IPv4 packer the speaker runs (`packV4`, from the Adj-RIB-Out's
// numbers) against the generic one (`batchToUpdates` + `encodeUpdates`):
// the same octets, for any mix of prefix lengths, attribute sets,
// withdrawals and message sizes (RFC 4271 §4.3; RFC 8654). Pure core.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codecContext } from "../wire/context.js";
import { decodeMessage } from "../wire/message.js";
import { encodeUpdates } from "../wire/messages/pack.js";
import { AdjRibOut, unpack } from "./adj-rib-out.js";
import { AttrInterner } from "./attrs.js";
import { batchToUpdates, packV4 } from "./pack.js";
import { attrs } from "./rib.fixture.js";

const concat = (parts: Uint8Array[]) => Buffer.concat(parts);

describe("packV4", () => {
  const v4 = fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 }));
  const ctxs = [
    codecContext({ fourOctetAs: true }),
    codecContext({ fourOctetAs: false }),
    codecContext({ fourOctetAs: true, extendedMessage: true }),
  ];

  it("writes the octets the generic packer writes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(v4, fc.integer({ min: 0, max: 3 })), { maxLength: 3000 }),
        fc.integer({ min: 0, max: 2 }),
        (routes, c) => {
          const ctx = ctxs[c]!;
          const interner = new AttrInterner();
          const out = new AdjRibOut(interner);
          // set 3 withdraws a route that was advertised before
          const sets = [0, 1, 2].map((i) =>
            interner.intern(
              attrs({ nextHop: `192.0.2.${i + 1}`, path: [64500 + i, 4200000000], med: i }),
            ),
          );
          const prefix = ([a, l]: [number, number]) => {
            const net = l === 0 ? 0 : Math.floor(a / 2 ** (32 - l)) * 2 ** (32 - l);
            const bytes = new Uint8Array((l + 7) >> 3);
            for (let i = 0; i < bytes.length; i++)
              bytes[i] = Math.floor(net / 2 ** (24 - 8 * i)) & 255;
            return { afi: 1, length: l, bytes };
          };
          for (const [r] of routes) {
            interner.retain(sets[0]!);
            out.set(prefix(r), sets[0]!);
          }
          out.take();
          for (const [r, k] of routes) {
            if (k < 3) interner.retain(sets[k]!);
            out.set(prefix(r), k < 3 ? sets[k]! : null);
          }
          const packed = out.takePacked();
          const fast = packV4(packed.announce4, packed.withdraw4, ctx);
          expect(fast).not.toBeNull();
          const generic = batchToUpdates(unpack(packed)).flatMap((u) => encodeUpdates(u, ctx));
          expect(Buffer.from(fast!.bytes)).toEqual(concat(generic));
          expect(fast!.messages).toBe(generic.length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("fills messages up to the maximum length, each one a valid UPDATE", () => {
    const interner = new AttrInterner();
    const set = interner.intern(attrs({ nextHop: "192.0.2.1" }));
    const v4 = Array.from({ length: 100_000 }, (_, i) => (0xc6120000 + i) * 64 + 32);
    const ctx = codecContext({ fourOctetAs: true });
    const r = packV4([{ attrs: set, v4 }], [], ctx)!;
    let at = 0;
    let nlri = 0;
    for (let m = 0; m < r.messages; m++) {
      const len = (r.bytes[at + 16]! << 8) | r.bytes[at + 17]!;
      expect(len).toBeLessThanOrEqual(4096);
      const { message, errors } = decodeMessage(r.bytes.subarray(at, at + len), ctx);
      expect(errors).toEqual([]);
      expect(message.type).toBe("update");
      nlri += (message as unknown as { nlri: unknown[] }).nlri.length;
      at += len;
    }
    expect(at).toBe(r.bytes.length);
    expect(nlri).toBe(100_000);
    // 100,000 /32s in about 100,000 × 5 / 4,050 messages
    expect(r.messages).toBeLessThanOrEqual(Math.ceil((100_000 * 5) / 4000));
  });

  it("leaves ADD-PATH send and an IPv6 next hop to the generic packer", () => {
    const interner = new AttrInterner();
    const set = interner.intern(attrs({ nextHop: "192.0.2.1" }));
    const addPath = codecContext({ addPath: { receive: [], send: [{ afi: 1, safi: 1 }] } });
    expect(packV4([{ attrs: set, v4: [1] }], [], addPath)).toBeNull();
    const v6hop = interner.intern(attrs({ nextHop: "2001:db8::1" }));
    expect(packV4([{ attrs: v6hop, v4: [1] }], [], codecContext({}))).toBeNull();
  });
});
