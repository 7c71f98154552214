// RFC 6793 §4.2: AS4_PATH / AS4_AGGREGATOR between NEW and OLD speakers.
import { describe, expect, it } from "vitest";
import { asPathLength, mergeAs4Path, reconstructAs4, splitAs4 } from "./as4.js";
import type { PathAttribute } from "./attributes/table.js";
import { AS_TRANS } from "./constants.js";
import { codecContext } from "./context.js";
import { decodeMessage, encodeMessage } from "./message.js";

const seq = (...asns: number[]) => ({ type: 2, asns });
const set = (...asns: number[]) => ({ type: 1, asns });
const confed = (...asns: number[]) => ({ type: 3, asns });

describe("AS4 interworking", () => {
  it("counts sets as one and confederation segments as zero", () => {
    expect(asPathLength([seq(1, 2, 3), set(4, 5), confed(6, 7)])).toBe(4);
  });

  it("merges: leading ASes of AS_PATH, then AS4_PATH (§4.2.3)", () => {
    // An OLD speaker (65010) prepended itself after the NEW ones.
    expect(mergeAs4Path([seq(65010, AS_TRANS, 65001)], [seq(4200000001, 65001)])).toEqual([
      seq(65010),
      seq(4200000001, 65001),
    ]);
    expect(
      mergeAs4Path([seq(AS_TRANS, 65001), set(1, 2)], [seq(4200000001, 65001), set(1, 2)]),
    ).toEqual([seq(4200000001, 65001), set(1, 2)]);
    // AS4_PATH longer than AS_PATH: ignored.
    expect(mergeAs4Path([seq(AS_TRANS)], [seq(1, 2)])).toEqual([seq(AS_TRANS)]);
    // Confederation segments in AS4_PATH are discarded; those in AS_PATH kept.
    expect(mergeAs4Path([confed(64512), seq(AS_TRANS)], [confed(9), seq(4200000001)])).toEqual([
      confed(64512),
      seq(4200000001),
    ]);
  });

  it("reconstructs AGGREGATOR from AS4_AGGREGATOR unless AGGREGATOR is not AS_TRANS", () => {
    const attrs: PathAttribute[] = [
      { type: "as-path", segments: [seq(AS_TRANS)] },
      { type: "aggregator", asn: AS_TRANS, address: "192.0.2.9" },
      { type: "as4-path", segments: [seq(4200000001)] },
      { type: "as4-aggregator", asn: 4200000001, address: "192.0.2.9" },
    ];
    expect(reconstructAs4(attrs)).toEqual([
      { type: "as-path", segments: [seq(4200000001)] },
      { type: "aggregator", asn: 4200000001, address: "192.0.2.9" },
    ]);
    const other = attrs.map((a) => (a.type === "aggregator" ? { ...a, asn: 65005 } : a));
    expect(reconstructAs4(other)).toEqual([
      { type: "as-path", segments: [seq(AS_TRANS)] },
      { type: "aggregator", asn: 65005, address: "192.0.2.9" },
    ]);
  });

  it("splitAs4 + 2-octet encoding, then decode + reconstructAs4, gives back the 4-octet path", () => {
    const attrs: PathAttribute[] = [
      { type: "origin", origin: 0 },
      { type: "as-path", segments: [confed(64512), seq(4200000001, 65001)] },
      { type: "next-hop", nextHop: "192.0.2.1" },
      { type: "aggregator", asn: 4200000001, address: "192.0.2.1" },
    ];
    const split = splitAs4(attrs);
    expect(split.filter((a) => a.type === "as4-path" || a.type === "as4-aggregator")).toEqual([
      { type: "as4-path", segments: [seq(4200000001, 65001)] },
      { type: "as4-aggregator", asn: 4200000001, address: "192.0.2.1" },
    ]);
    const old = codecContext({ fourOctetAs: false });
    const bytes = encodeMessage(
      { type: "update", withdrawn: [], attributes: split, nlri: [] },
      old,
    );
    const got = decodeMessage(bytes, old).message;
    if (got.type !== "update") throw new Error("not an update");
    expect(got.attributes.find((a) => a.type === "as-path")).toEqual({
      type: "as-path",
      segments: [confed(64512), seq(AS_TRANS, 65001)],
    });
    expect(reconstructAs4(got.attributes)).toEqual(attrs);
    expect(splitAs4([{ type: "as-path", segments: [seq(65001)] }])).toHaveLength(1);
  });
});
