import { describe, expect, it } from "vitest";
import type { PathAttribute } from "../attributes/table.js";
import { codecContext } from "../context.js";
import { decodeMessage, encodeMessage } from "../message.js";
import { formatPrefix, type Prefix } from "../prefix.js";
import { encodeUpdates } from "./pack.js";
import { type UpdateMessage, updatePrefixes } from "./update.js";

const v4 = (i: number): Prefix => ({
  afi: 1,
  length: 32,
  bytes: Uint8Array.of(198, 18 + (i >> 16), (i >> 8) & 0xff, i & 0xff),
});
const v6 = (i: number): Prefix => ({
  afi: 2,
  length: 64,
  bytes: Uint8Array.of(0x20, 1, 0x0d, 0xb8, 0, 0, i >> 8, i & 0xff),
});
const attrs: PathAttribute[] = [
  { type: "origin", origin: 0 },
  { type: "as-path", segments: [{ type: 2, asns: [65001] }] },
  { type: "next-hop", nextHop: "192.0.2.1" },
  { type: "communities", communities: [1, 2, 3] },
];

function roundTrip(u: UpdateMessage, ctx = codecContext({ fourOctetAs: true })) {
  const frames = encodeUpdates(u, ctx);
  const max = ctx.extendedMessage ? 65535 : 4096;
  const decoded = frames.map((f) => {
    expect(f.length).toBeLessThanOrEqual(max);
    const d = decodeMessage(f, ctx);
    expect(d.errors).toEqual([]);
    return d.message as UpdateMessage;
  });
  return { frames, decoded };
}

describe("encodeUpdates", () => {
  it("leaves a message that fits exactly as encodeMessage makes it", () => {
    const u: UpdateMessage = {
      type: "update",
      withdrawn: [],
      attributes: attrs,
      nlri: [v4(1), v4(2)],
    };
    const ctx = codecContext({ fourOctetAs: true });
    expect(encodeUpdates(u, ctx)).toEqual([encodeMessage(u, ctx)]);
  });

  it("packs 100,000 IPv4 prefixes into 4,096-octet UPDATEs, attributes in each", () => {
    const nlri = Array.from({ length: 100_000 }, (_, i) => v4(i));
    const { frames, decoded } = roundTrip({
      type: "update",
      withdrawn: [],
      attributes: attrs,
      nlri,
    });
    expect(frames.length).toBeGreaterThan(100);
    expect(frames.length).toBeLessThan(130);
    for (const d of decoded) expect(d.attributes).toEqual(attrs);
    expect(decoded.flatMap((d) => d.nlri)).toEqual(nlri);
  });

  it("splits withdrawals, MP_UNREACH and MP_REACH (with ADD-PATH) and keeps every prefix", () => {
    const fam = [{ afi: 2, safi: 1 }];
    const ctx = codecContext({ fourOctetAs: true, addPath: { receive: fam, send: fam } });
    const withdrawn = Array.from({ length: 3000 }, (_, i) => v4(i));
    const gone = Array.from({ length: 3000 }, (_, i) => ({ ...v6(i), pathId: i }));
    const fresh = Array.from({ length: 3000 }, (_, i) => ({ ...v6(i + 5000), pathId: 1 }));
    const u: UpdateMessage = {
      type: "update",
      withdrawn,
      attributes: [
        { type: "mp-unreach", afi: 2, safi: 1, withdrawn: gone },
        {
          type: "mp-reach",
          afi: 2,
          safi: 1,
          nextHop: "2001:db8::1",
          linkLocalNextHop: "fe80::1",
          nlri: fresh,
        },
        ...attrs,
      ],
      nlri: [v4(9)],
    };
    const { decoded } = roundTrip(u, ctx);
    expect(decoded.flatMap(updatePrefixes).map(formatPrefix).sort()).toEqual(
      updatePrefixes(u).map(formatPrefix).sort(),
    );
    const mp = decoded.filter((d) => d.attributes.some((a) => a.type === "mp-reach"));
    for (const d of mp) {
      expect(d.attributes.some((a) => a.type === "next-hop")).toBe(false);
      expect(d.attributes.some((a) => a.type === "communities")).toBe(true);
    }
  });

  it("uses 65,535-octet messages with Extended Message", () => {
    const nlri = Array.from({ length: 30_000 }, (_, i) => v4(i));
    const ctx = codecContext({ fourOctetAs: true, extendedMessage: true });
    const { frames, decoded } = roundTrip(
      { type: "update", withdrawn: [], attributes: attrs, nlri },
      ctx,
    );
    expect(frames.length).toBe(3);
    expect(decoded.flatMap((d) => d.nlri)).toHaveLength(30_000);
  });
});
