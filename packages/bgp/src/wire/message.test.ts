// Header checks, OPEN/NOTIFICATION/ROUTE-REFRESH/KEEPALIVE codecs and their errors.
import { describe, expect, it } from "vitest";
import type { Capability } from "./capabilities/table.js";
import { CeaseSubcode, ErrorCode } from "./constants.js";
import { codecContext } from "./context.js";
import { BgpDecodeError, BgpEncodeError } from "./errors.js";
import { type BgpMessage, decodeMessage, encodeMessage } from "./message.js";
import { negotiateContext } from "./messages/negotiate.js";
import {
  maxPrefixesNotification,
  notificationFromError,
  shutdownNotification,
} from "./messages/notification.js";
import { type OpenMessage, openAs, openMessage } from "./messages/open.js";

const header = (len: number, type: number) => [
  ...new Array(16).fill(0xff),
  len >> 8,
  len & 0xff,
  type,
];
const msg = (type: number, body: number[]) =>
  Uint8Array.from([...header(19 + body.length, type), ...body]);
const thrown = (fn: () => unknown): BgpDecodeError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof BgpDecodeError) return e;
    throw e;
  }
  throw new Error("did not throw");
};
const roundTrip = (m: BgpMessage, ctx = codecContext()) => {
  const bytes = encodeMessage(m, ctx);
  expect(decodeMessage(bytes, ctx).message).toEqual(m);
  return bytes;
};

describe("header checks (RFC 4271 §6.1)", () => {
  it.each([
    ["bad marker", () => Uint8Array.from([0, ...header(19, 4).slice(1)]), 1, 1],
    ["length field ≠ bytes", () => Uint8Array.from([...header(20, 4)]), 1, 2],
    ["KEEPALIVE with a body", () => msg(4, [0]), 1, 2],
    ["OPEN shorter than 29", () => msg(1, [4, 0, 1]), 1, 2],
    ["UPDATE shorter than 23", () => msg(2, [0, 0]), 1, 2],
    ["NOTIFICATION shorter than 21", () => msg(3, [6]), 1, 2],
    ["unknown type 9", () => msg(9, []), 1, 3],
    ["ROUTE-REFRESH of 24 octets", () => msg(5, [0, 1, 0, 1, 0]), 7, 1],
    ["shorter than a header", () => new Uint8Array(10), 1, 2],
  ])("%s", (_n, build, code, subcode) => {
    const e = thrown(() => decodeMessage(build()));
    expect(e).toMatchObject({ code, subcode, action: "session-reset" });
  });

  it("Bad Message Type carries the type; Bad Message Length the length field", () => {
    expect(thrown(() => decodeMessage(msg(9, []))).data).toEqual(Uint8Array.of(9));
    expect(thrown(() => decodeMessage(msg(4, [0]))).data).toEqual(Uint8Array.of(0, 20));
  });

  it("messages over 4096 octets need Extended Message (RFC 8654), never for OPEN", () => {
    const nlri: number[] = [];
    for (let i = 0; i < 1100; i++) nlri.push(24, 198, 18, i & 0xff);
    const attrs = [0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4, 192, 0, 2, 1];
    const bytes = msg(2, [0, 0, 0, attrs.length, ...attrs, ...nlri]);
    expect(bytes.length).toBeGreaterThan(4096);
    expect(thrown(() => decodeMessage(bytes)).subcode).toBe(2);
    const ext = codecContext({ extendedMessage: true });
    const d = decodeMessage(bytes, ext);
    expect(d.message.type === "update" && d.message.nlri).toHaveLength(1100);
    expect(() => encodeMessage(d.message)).toThrow(BgpEncodeError);
    expect(encodeMessage(d.message, ext)).toEqual(bytes);
  });
});

describe("OPEN", () => {
  const caps: Capability[] = [
    { type: "multiprotocol", afi: 1, safi: 1 },
    { type: "multiprotocol", afi: 2, safi: 1 },
    { type: "route-refresh" },
    { type: "enhanced-route-refresh" },
    { type: "extended-message" },
    { type: "extended-next-hop", entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] },
    { type: "role", role: 3 },
    {
      type: "graceful-restart",
      flags: 0x8,
      restartTime: 300,
      families: [{ afi: 1, safi: 1, flags: 0x80 }],
    },
    { type: "add-path", families: [{ afi: 1, safi: 1, mode: 3 }] },
    { type: "fqdn", hostname: "node-1", domain: "example.test" },
    { type: "unknown", code: 200, value: Uint8Array.of(1, 2, 3) },
  ];

  it("openMessage puts AS_TRANS in My AS and the AS in the 4-octet capability", () => {
    const m = openMessage({
      asn: 4200000001,
      holdTime: 90,
      bgpId: "192.0.2.1",
      capabilities: caps,
    });
    expect(m.myAs).toBe(23456);
    expect(openAs(m)).toBe(4200000001);
    const bytes = roundTrip(m);
    expect(bytes[19]).toBe(4);
  });

  it("round-trips every capability in one parameter, one per parameter, and RFC 9072 extended", () => {
    const base = openMessage({ asn: 65001, holdTime: 180, bgpId: "192.0.2.1", capabilities: caps });
    roundTrip(base);
    roundTrip({ ...base, layout: { groups: base.capabilities.map(() => 1) } });
    const ext: OpenMessage = {
      ...base,
      layout: { groups: [base.capabilities.length], extended: true },
    };
    const bytes = roundTrip(ext);
    expect(bytes[28]).toBe(255);
    expect(bytes[29]).toBe(255);
    roundTrip({ ...base, capabilities: [] });
    // An empty Capabilities parameter is kept, so re-encoding gives the same bytes.
    const empty = msg(1, [4, 0xfd, 0xe9, 0, 90, 192, 0, 2, 1, 2, 2, 0]);
    const d = decodeMessage(empty).message;
    expect(d).toMatchObject({ capabilities: [], layout: { groups: [0] } });
    expect(encodeMessage(d)).toEqual(empty);
  });

  it.each([
    ["version 3", [3, 0xfd, 0xe9, 0, 90, 192, 0, 2, 1, 0], 1],
    ["hold time 2", [4, 0xfd, 0xe9, 0, 2, 192, 0, 2, 1, 0], 6],
    ["BGP Identifier 0", [4, 0xfd, 0xe9, 0, 90, 0, 0, 0, 0, 0], 3],
    ["parameter length mismatch", [4, 0xfd, 0xe9, 0, 90, 192, 0, 2, 1, 3, 2, 0], 0],
    ["unsupported parameter type 1", [4, 0xfd, 0xe9, 0, 90, 192, 0, 2, 1, 2, 1, 0], 4],
    ["capability overruns", [4, 0xfd, 0xe9, 0, 90, 192, 0, 2, 1, 4, 2, 2, 65, 4], 0],
    [
      "4-octet AS capability of 3 octets",
      [4, 0xfd, 0xe9, 0, 90, 192, 0, 2, 1, 7, 2, 5, 65, 3, 0, 0, 1],
      0,
    ],
  ])("%s → OPEN Message Error", (_n, body, subcode) => {
    expect(thrown(() => decodeMessage(msg(1, body)))).toMatchObject({ code: 2, subcode });
  });

  it("Unsupported Version Number data is the supported version", () => {
    expect(thrown(() => decodeMessage(msg(1, [5, 0, 1, 0, 90, 192, 0, 2, 1, 0]))).data).toEqual(
      Uint8Array.of(0, 4),
    );
  });

  it("negotiateContext: 4-octet AS, extended message and ADD-PATH directions", () => {
    const a = openMessage({
      asn: 65001,
      holdTime: 90,
      bgpId: "192.0.2.1",
      capabilities: [
        { type: "extended-message" },
        {
          type: "add-path",
          families: [
            { afi: 1, safi: 1, mode: 1 },
            { afi: 2, safi: 1, mode: 3 },
          ],
        },
      ],
    });
    const b = openMessage({
      asn: 65002,
      holdTime: 90,
      bgpId: "192.0.2.2",
      capabilities: [
        {
          type: "add-path",
          families: [
            { afi: 1, safi: 1, mode: 3 },
            { afi: 2, safi: 1, mode: 1 },
          ],
        },
      ],
    });
    const ctx = negotiateContext(a, b);
    expect(ctx).toEqual({
      fourOctetAs: true,
      extendedMessage: false,
      addPath: { receive: [{ afi: 1, safi: 1 }], send: [{ afi: 2, safi: 1 }] },
    });
    expect(negotiateContext(a, { ...b, capabilities: [] }).fourOctetAs).toBe(false);
  });
});

describe("NOTIFICATION, KEEPALIVE, ROUTE-REFRESH", () => {
  it("shutdown communication round-trips (RFC 9003), also for Administrative Reset", () => {
    roundTrip(shutdownNotification("maintenance — back at 10:00"));
    const reset = roundTrip(shutdownNotification("reset", CeaseSubcode.AdministrativeReset));
    expect(reset[20]).toBe(4);
    expect(() => shutdownNotification("x".repeat(256))).toThrow(BgpEncodeError);
    roundTrip(shutdownNotification(""));
  });

  it("Maximum Number of Prefixes Reached carries AFI/SAFI/limit (RFC 4486 §4)", () => {
    const bytes = roundTrip(maxPrefixesNotification(1, 1, 100_000));
    expect([...bytes.subarray(19)]).toEqual([6, 1, 0, 1, 1, 0, 1, 0x86, 0xa0]);
  });

  it("ignores an invalid shutdown communication but keeps the data", () => {
    const bad = decodeMessage(msg(3, [6, 2, 5, 0x41])).message;
    expect(bad).toEqual({
      type: "notification",
      code: 6,
      subcode: 2,
      data: Uint8Array.of(5, 0x41),
    });
    const badUtf8 = decodeMessage(msg(3, [6, 2, 1, 0xff])).message;
    expect(badUtf8).not.toHaveProperty("shutdownMessage");
  });

  it("notificationFromError answers a decode error", () => {
    const e = thrown(() => decodeMessage(msg(9, [])));
    const bytes = encodeMessage(notificationFromError(e));
    expect([...bytes.subarray(18)]).toEqual([3, ErrorCode.MessageHeader, 3, 9]);
  });

  it("KEEPALIVE is 19 octets; ROUTE-REFRESH keeps an unknown subtype for the session to ignore", () => {
    expect(roundTrip({ type: "keepalive" })).toHaveLength(19);
    roundTrip({ type: "route-refresh", afi: 2, safi: 1, subtype: 2 });
    expect(decodeMessage(msg(5, [0, 1, 7, 1])).message).toEqual({
      type: "route-refresh",
      afi: 1,
      safi: 1,
      subtype: 7,
    });
  });
});
