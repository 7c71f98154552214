// UPDATE decoding with the error handling of RFC 7606, on hand-built bytes.
import { describe, expect, it } from "vitest";
import { codecContext } from "../context.js";
import { BgpDecodeError } from "../errors.js";
import { decodeMessage, encodeMessage } from "../message.js";
import { parsePrefix } from "../prefix.js";
import { decodeUpdate, updatePrefixes } from "./update.js";

const ORIGIN = [0x40, 1, 1, 0];
const AS_PATH4 = [0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe9]; // AS_SEQUENCE [65001], 4-octet
const NEXT_HOP = [0x40, 3, 4, 192, 0, 2, 1];
const NLRI = [24, 198, 51, 100]; // 198.51.100.0/24
const ctx4 = codecContext({ fourOctetAs: true });

function update(attrs: number[], nlri: number[] = NLRI, withdrawn: number[] = []): Uint8Array {
  const body = [
    withdrawn.length >> 8,
    withdrawn.length & 0xff,
    ...withdrawn,
    attrs.length >> 8,
    attrs.length & 0xff,
    ...attrs,
    ...nlri,
  ];
  const len = 19 + body.length;
  return Uint8Array.from([...new Array(16).fill(0xff), len >> 8, len & 0xff, 2, ...body]);
}
const dec = (b: Uint8Array, ctx = ctx4) => decodeMessage(b, ctx);
const resetOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof BgpDecodeError) return e;
    throw e;
  }
  throw new Error("did not throw");
};

describe("UPDATE decode", () => {
  it("decodes a minimal valid UPDATE and re-encodes it", () => {
    const b = update([...ORIGIN, ...AS_PATH4, ...NEXT_HOP]);
    const d = dec(b);
    expect(d.errors).toEqual([]);
    expect(d.action).toBeUndefined();
    expect(d.message).toEqual({
      type: "update",
      withdrawn: [],
      attributes: [
        { type: "origin", origin: 0 },
        { type: "as-path", segments: [{ type: 2, asns: [65001] }] },
        { type: "next-hop", nextHop: "192.0.2.1" },
      ],
      nlri: [parsePrefix("198.51.100.0/24")],
    });
    expect(encodeMessage(d.message, ctx4)).toEqual(b);
  });

  it("2-octet AS_PATH without the 4-octet capability", () => {
    const d = dec(update([...ORIGIN, 0x40, 2, 4, 2, 1, 0xfd, 0xe9, ...NEXT_HOP]), codecContext());
    expect(d.message.type === "update" && d.message.attributes[1]).toEqual({
      type: "as-path",
      segments: [{ type: 2, asns: [65001] }],
    });
  });

  it.each([
    ["ORIGIN value 3", [0x40, 1, 1, 3, ...AS_PATH4, ...NEXT_HOP], 6],
    ["ORIGIN length 2", [0x40, 1, 2, 0, 0, ...AS_PATH4, ...NEXT_HOP], 5],
    ["AS_PATH segment type 9", [...ORIGIN, 0x40, 2, 6, 9, 1, 0, 0, 0xfd, 0xe9, ...NEXT_HOP], 11],
    ["AS_PATH segment overrun", [...ORIGIN, 0x40, 2, 6, 2, 2, 0, 0, 0xfd, 0xe9, ...NEXT_HOP], 11],
    ["AS_PATH empty segment", [...ORIGIN, 0x40, 2, 2, 2, 0, ...NEXT_HOP], 11],
    ["NEXT_HOP length 5", [...ORIGIN, ...AS_PATH4, 0x40, 3, 5, 192, 0, 2, 1, 0], 5],
    ["MED length 3", [...ORIGIN, ...AS_PATH4, ...NEXT_HOP, 0x80, 4, 3, 0, 0, 1], 5],
    ["LOCAL_PREF length 2", [...ORIGIN, ...AS_PATH4, ...NEXT_HOP, 0x40, 5, 2, 0, 1], 5],
    [
      "COMMUNITIES length 6",
      [...ORIGIN, ...AS_PATH4, ...NEXT_HOP, 0xc0, 8, 6, 0, 1, 0, 1, 0, 1],
      5,
    ],
    ["ORIGINATOR_ID length 3", [...ORIGIN, ...AS_PATH4, ...NEXT_HOP, 0x80, 9, 3, 1, 2, 3], 5],
    ["CLUSTER_LIST length 0", [...ORIGIN, ...AS_PATH4, ...NEXT_HOP, 0x80, 10, 0], 5],
    [
      "EXTENDED_COMMUNITIES length 4",
      [...ORIGIN, ...AS_PATH4, ...NEXT_HOP, 0xc0, 16, 4, 0, 2, 0, 1],
      5,
    ],
    [
      "LARGE_COMMUNITY length 8",
      [...ORIGIN, ...AS_PATH4, ...NEXT_HOP, 0xc0, 32, 8, 0, 0, 0, 1, 0, 0, 0, 1],
      5,
    ],
    ["OTC length 2", [...ORIGIN, ...AS_PATH4, ...NEXT_HOP, 0xc0, 35, 2, 0, 1], 5],
    ["ORIGIN marked optional (flags error)", [0xc0, 1, 1, 0, ...AS_PATH4, ...NEXT_HOP], 4],
    [
      "MED marked transitive (flags error)",
      [...ORIGIN, ...AS_PATH4, ...NEXT_HOP, 0xc0, 4, 4, 0, 0, 0, 1],
      4,
    ],
    [
      "attribute overruns the attribute field",
      [...ORIGIN, ...AS_PATH4, ...NEXT_HOP, 0xc0, 8, 40, 0, 0],
      5,
    ],
    ["truncated attribute header", [...ORIGIN, ...AS_PATH4, ...NEXT_HOP, 0xc0, 8], 1],
  ])("%s → treat-as-withdraw, session kept", (_name, attrs, subcode) => {
    const d = dec(update(attrs));
    expect(d.action).toBe("treat-as-withdraw");
    const err = d.errors.find((e) => e.action === "treat-as-withdraw")!;
    expect(err).toBeInstanceOf(BgpDecodeError);
    expect(err).toMatchObject({ code: 3, subcode });
    // The NLRI are still located, so the session can withdraw them (RFC 7606 §5).
    expect(d.message.type === "update" && updatePrefixes(d.message)).toEqual([
      parsePrefix("198.51.100.0/24"),
    ]);
  });

  it("puts the whole malformed attribute in the NOTIFICATION data (RFC 4271 §6.3)", () => {
    const d = dec(update([0x40, 1, 1, 7, ...AS_PATH4, ...NEXT_HOP]));
    expect(d.errors[0]!.data).toEqual(Uint8Array.of(0x40, 1, 1, 7));
    expect(d.errors[0]!.attributeType).toBe(1);
  });

  it.each([
    ["ATOMIC_AGGREGATE with a value", [0x40, 6, 1, 0]],
    ["AGGREGATOR length 6 on a 4-octet session", [0xc0, 7, 6, 0xfd, 0xe9, 192, 0, 2, 1]],
    ["AS4_PATH malformed", [0xc0, 17, 3, 2, 1, 0]],
    ["AS4_AGGREGATOR length 6", [0xc0, 18, 6, 0, 1, 192, 0, 2, 1]],
    ["repeated COMMUNITIES", [0xc0, 8, 4, 0, 1, 0, 1, 0xc0, 8, 4, 0, 1, 0, 2]],
  ])("%s → attribute discard", (_name, extra) => {
    const d = dec(update([...ORIGIN, ...AS_PATH4, ...NEXT_HOP, ...extra]));
    expect(d.action).toBe("attribute-discard");
    expect(d.message.type === "update" && d.message.nlri.length).toBe(1);
  });

  it("repeated attribute keeps the first occurrence", () => {
    const d = dec(
      update([...ORIGIN, ...AS_PATH4, ...NEXT_HOP, 0xc0, 8, 4, 0, 1, 0, 1, 0xc0, 8, 4, 0, 1, 0, 2]),
    );
    expect(d.message.type === "update" && d.message.attributes[3]).toEqual({
      type: "communities",
      communities: [65537],
    });
  });

  it.each([
    ["ORIGIN", [...AS_PATH4, ...NEXT_HOP], 1],
    ["AS_PATH", [...ORIGIN, ...NEXT_HOP], 2],
    ["NEXT_HOP", [...ORIGIN, ...AS_PATH4], 3],
  ])(
    "missing %s with NLRI → treat-as-withdraw (Missing Well-known Attribute)",
    (_n, attrs, code) => {
      const d = dec(update(attrs));
      expect(d.errors).toHaveLength(1);
      expect(d.errors[0]).toMatchObject({
        subcode: 3,
        data: Uint8Array.of(code),
        action: "treat-as-withdraw",
      });
    },
  );

  it("NEXT_HOP is not required when only MP_REACH carries NLRI, nothing when only withdrawing", () => {
    const mp = [
      0x80,
      14,
      26,
      0,
      2,
      1,
      16,
      0x20,
      1,
      0x0d,
      0xb8,
      ...new Array(11).fill(0),
      1,
      0,
      32,
      0x20,
      1,
      0x0d,
      0xb8,
    ];
    expect(dec(update([...ORIGIN, ...AS_PATH4, ...mp], [])).errors).toEqual([]);
    expect(dec(update([], [], NLRI)).errors).toEqual([]);
  });

  it.each([
    [
      "withdrawn length overruns",
      () => update([], [], [24, 198, 51, 100]).map((x, i) => (i === 20 ? 200 : x)),
    ],
    [
      "prefix length 33 in NLRI",
      () => update([...ORIGIN, ...AS_PATH4, ...NEXT_HOP], [33, 1, 2, 3, 4, 5]),
    ],
    ["NLRI prefix overruns", () => update([...ORIGIN, ...AS_PATH4, ...NEXT_HOP], [24, 198, 51])],
    [
      "repeated MP_REACH",
      () =>
        update(
          [...ORIGIN, ...AS_PATH4, 0x80, 14, 5, 0, 1, 1, 0, 0, 0x80, 14, 5, 0, 1, 1, 0, 0],
          [],
        ),
    ],
    [
      "MP_REACH next hop length 5",
      () => update([...ORIGIN, ...AS_PATH4, 0x80, 14, 10, 0, 1, 1, 5, 1, 2, 3, 4, 5, 0], []),
    ],
    [
      "MP_REACH prefix length 129",
      () =>
        update(
          [...ORIGIN, ...AS_PATH4, 0x80, 14, 22, 0, 2, 1, 16, ...new Array(16).fill(0), 0, 129],
          [],
        ),
    ],
    [
      "MP_REACH flags say transitive",
      () => update([...ORIGIN, ...AS_PATH4, 0xc0, 14, 9, 0, 1, 1, 4, 192, 0, 2, 1, 0], []),
    ],
    ["MP_UNREACH overruns", () => update([...ORIGIN, 0x80, 15, 9, 0, 2, 1], [])],
    [
      "unrecognized well-known attribute",
      () => update([...ORIGIN, ...AS_PATH4, ...NEXT_HOP, 0x40, 99, 0]),
    ],
    ["attribute overrun with no NLRI located", () => update([...ORIGIN, 0xc0, 8, 40, 0, 0], [])],
  ])("%s → session reset (thrown)", (_name, build) => {
    const e = resetOf(() => dec(build()));
    expect(e.action).toBe("session-reset");
    expect(e.code).toBe(3);
  });

  it("keeps unknown optional attributes raw, with flags, and passes their bytes through", () => {
    const b = update([...ORIGIN, ...AS_PATH4, ...NEXT_HOP, 0xe0, 200, 2, 0xab, 0xcd]);
    const d = dec(b);
    expect(d.message.type === "update" && d.message.attributes[3]).toEqual({
      type: "unknown",
      code: 200,
      flags: 0xe0,
      value: Uint8Array.of(0xab, 0xcd),
    });
    expect(encodeMessage(d.message, ctx4)).toEqual(b);
  });

  it("decodeUpdate works on a body slice directly", () => {
    const b = update([...ORIGIN, ...AS_PATH4, ...NEXT_HOP]);
    expect(decodeUpdate(b, 19, b.length, ctx4).message.nlri).toHaveLength(1);
  });

  describe("rules that depend on the peer (context peerType)", () => {
    const ext = codecContext({ fourOctetAs: true, peerType: "external" });
    const int = codecContext({ fourOctetAs: true, peerType: "internal" });
    const base = [...ORIGIN, ...AS_PATH4, ...NEXT_HOP];

    it.each([
      ["LOCAL_PREF", [0x40, 5, 4, 0, 0, 0, 100]],
      ["ORIGINATOR_ID", [0x80, 9, 4, 192, 0, 2, 9]],
      ["CLUSTER_LIST", [0x80, 10, 4, 192, 0, 2, 9]],
    ])(
      "%s from an external peer is discarded (RFC 7606 §7.5/7.9/7.10), even malformed",
      (_n, attr) => {
        const d = dec(update([...base, ...attr]), ext);
        expect(d.action).toBe("attribute-discard");
        expect(d.message.type === "update" && d.message.attributes).toHaveLength(3);
        const short = [...attr.slice(0, 2), 2, 0, 0];
        expect(dec(update([...base, ...short]), ext).action).toBe("attribute-discard");
        expect(dec(update([...base, ...attr]), ctx4).errors).toEqual([]);
      },
    );

    it("confederation segments from an external peer: Malformed AS_PATH, treat-as-withdraw", () => {
      const confed = [0x40, 2, 6, 3, 1, 0, 0, 0xfd, 0xe8];
      const d = dec(update([...ORIGIN, ...confed, ...NEXT_HOP]), ext);
      expect(d.errors[0]).toMatchObject({ subcode: 11, action: "treat-as-withdraw" });
      expect(
        dec(update([...ORIGIN, ...confed, ...NEXT_HOP, 0x40, 5, 4, 0, 0, 0, 1]), int).errors,
      ).toEqual([]);
    });

    it("missing LOCAL_PREF on iBGP is a missing well-known attribute", () => {
      const d = dec(update(base), int);
      expect(d.errors).toHaveLength(1);
      expect(d.errors[0]).toMatchObject({
        subcode: 3,
        data: Uint8Array.of(5),
        action: "treat-as-withdraw",
      });
      expect(dec(update(base), ext).errors).toEqual([]);
      expect(dec(update(base)).errors).toEqual([]);
    });
  });
});
