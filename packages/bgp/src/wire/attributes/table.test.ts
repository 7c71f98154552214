// Every path attribute in the descriptor table, encoded and decoded back.
import { describe, expect, it } from "vitest";
import { AttrType } from "../constants.js";
import { codecContext } from "../context.js";
import { decodeMessage, encodeMessage } from "../message.js";
import type { UpdateMessage } from "../messages/update.js";
import { parsePrefix } from "../prefix.js";
import { community } from "./communities.js";
import { routeTarget } from "./extended-communities.js";
import { ATTRIBUTE_TABLE, findAttribute, forwardAttributes, type PathAttribute } from "./table.js";

const v4 = parsePrefix("198.51.100.0/24");
const v6 = parsePrefix("2001:db8:1::/48");

const all: PathAttribute[] = [
  { type: "origin", origin: 1 },
  {
    type: "as-path",
    segments: [
      { type: 2, asns: [65001, 4200000001] },
      { type: 1, asns: [65002, 65003] },
    ],
  },
  { type: "next-hop", nextHop: "192.0.2.1" },
  { type: "med", med: 4294967295 },
  { type: "local-pref", localPref: 100 },
  { type: "atomic-aggregate" },
  { type: "aggregator", asn: 4200000001, address: "192.0.2.9" },
  { type: "communities", communities: [community(65001, 100), 0xffffff01], partial: true },
  { type: "originator-id", originatorId: "192.0.2.7" },
  { type: "cluster-list", clusterIds: ["192.0.2.8", "192.0.2.9"] },
  { type: "mp-unreach", afi: 2, safi: 1, withdrawn: [parsePrefix("2001:db8:2::/48", 5)] },
  { type: "extended-communities", communities: [routeTarget(65001, 42)] },
  { type: "as4-path", segments: [{ type: 2, asns: [4200000001] }] },
  { type: "as4-aggregator", asn: 4200000001, address: "192.0.2.9" },
  { type: "large-communities", communities: [{ global: 4200000001, local1: 1, local2: 2 }] },
  { type: "otc", asn: 65001 },
  { type: "unknown", code: 240, flags: 0xc0, value: Uint8Array.of(9, 9) },
];

describe("path attribute table", () => {
  it("has one descriptor per known type code", () => {
    const known = ATTRIBUTE_TABLE.filter((d) => d !== undefined).map((d) => d!.code);
    expect(known.sort((a, b) => a - b)).toEqual(Object.values(AttrType).sort((a, b) => a - b));
  });

  it("round-trips every attribute on a 4-octet session with ADD-PATH", () => {
    const ctx = codecContext({
      fourOctetAs: true,
      addPath: { receive: [{ afi: 2, safi: 1 }], send: [{ afi: 2, safi: 1 }] },
    });
    const m: UpdateMessage = {
      type: "update",
      withdrawn: [],
      attributes: [
        { type: "mp-reach", afi: 2, safi: 1, nextHop: "2001:db8::1", nlri: [{ ...v6, pathId: 3 }] },
        ...all,
      ],
      nlri: [v4],
    };
    const d = decodeMessage(encodeMessage(m, ctx), ctx);
    expect(d.errors).toEqual([]);
    expect(d.message).toEqual(m);
  });

  it("MP_REACH: IPv4 NLRI with an IPv6 next hop (RFC 8950), link-local, and raw unknown families", () => {
    const attrs: PathAttribute[] = [
      { type: "origin", origin: 0 },
      { type: "as-path", segments: [] },
      {
        type: "mp-reach",
        afi: 1,
        safi: 1,
        nextHop: "2001:db8::1",
        linkLocalNextHop: "fe80::1",
        nlri: [v4],
      },
    ];
    const m: UpdateMessage = { type: "update", withdrawn: [], attributes: attrs, nlri: [] };
    expect(decodeMessage(encodeMessage(m)).message).toEqual(m);
    const vpn: UpdateMessage = {
      type: "update",
      withdrawn: [],
      attributes: [
        {
          type: "mp-reach",
          afi: 1,
          safi: 128,
          nextHop: undefined,
          nlri: [],
          unparsed: Uint8Array.of(12, 0, 0, 0),
        },
      ],
      nlri: [],
    };
    expect(decodeMessage(encodeMessage(vpn)).message).toEqual(vpn);
  });

  it("uses the Extended Length flag above 255 octets and when asked", () => {
    const many = {
      type: "communities" as const,
      communities: Array.from({ length: 70 }, (_, i) => i),
    };
    const m: UpdateMessage = { type: "update", withdrawn: [], attributes: [many], nlri: [] };
    const bytes = encodeMessage(m);
    expect(bytes[23]! & 0x10).toBe(0x10);
    expect(decodeMessage(bytes).message).toEqual(m);
    const asked: UpdateMessage = {
      ...m,
      attributes: [{ type: "med", med: 1, extendedLength: true }],
    };
    expect(encodeMessage(asked)[23]).toBe(0x90);
    expect(decodeMessage(encodeMessage(asked)).message).toEqual(asked);
  });

  it("forwardAttributes sets Partial on unknown transitive and drops unknown non-transitive", () => {
    const fwd = forwardAttributes([
      { type: "origin", origin: 0 },
      { type: "unknown", code: 240, flags: 0xc0, value: new Uint8Array(0) },
      { type: "unknown", code: 241, flags: 0x80, value: new Uint8Array(0) },
    ]);
    expect(fwd).toEqual([
      { type: "origin", origin: 0 },
      { type: "unknown", code: 240, flags: 0xe0, value: new Uint8Array(0) },
    ]);
    expect(findAttribute(all, "otc")).toEqual({ type: "otc", asn: 65001 });
    expect(findAttribute([], "otc")).toBeUndefined();
  });

  it("2-octet session: AGGREGATOR is 6 octets and large ASes become AS_TRANS", () => {
    const m: UpdateMessage = {
      type: "update",
      withdrawn: [],
      attributes: [{ type: "aggregator", asn: 4200000001, address: "192.0.2.9" }],
      nlri: [],
    };
    const bytes = encodeMessage(m);
    expect(bytes[25]).toBe(6);
    expect(decodeMessage(bytes).message).toEqual({
      ...m,
      attributes: [{ type: "aggregator", asn: 23456, address: "192.0.2.9" }],
    });
  });
});
