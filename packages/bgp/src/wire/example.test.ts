// The README example, run: it must keep working as written.
import { describe, expect, it } from "vitest";
import * as wire from "./index.js";

describe("README example", () => {
  it("negotiates, encodes, frames and decodes", () => {
    const ours = wire.openMessage({
      asn: 4200000001,
      holdTime: 90,
      bgpId: "192.0.2.1",
      capabilities: [{ type: "multiprotocol", afi: 1, safi: 1 }, { type: "route-refresh" }],
    });
    const theirs = wire.decodeMessage(wire.encodeMessage(ours)).message as wire.OpenMessage;
    const ctx = wire.negotiateContext(ours, theirs);
    expect(ctx.fourOctetAs).toBe(true);
    const bytes = wire.encodeMessage(
      {
        type: "update",
        withdrawn: [],
        attributes: [
          { type: "origin", origin: wire.Origin.Igp },
          {
            type: "as-path",
            segments: [{ type: wire.AsPathSegmentType.AsSequence, asns: [4200000001] }],
          },
          { type: "next-hop", nextHop: "192.0.2.1" },
          { type: "communities", communities: [wire.community(64512, 100)] },
        ],
        nlri: [wire.parsePrefix("198.51.100.0/26"), wire.parsePrefix("198.51.100.64/26")],
      },
      ctx,
    );
    const framer = new wire.Framer({ maxLength: wire.maxMessageLength(ctx) });
    framer.feed(bytes);
    const learned: string[] = [];
    for (let frame = framer.next(); frame; frame = framer.next()) {
      const { message, action } = wire.decodeMessage(frame, ctx);
      if (message.type !== "update") continue;
      expect(action).toBeUndefined();
      learned.push(...message.nlri.map(wire.formatPrefix));
    }
    expect(learned).toEqual(["198.51.100.0/26", "198.51.100.64/26"]);

    // A reply to a decode error, cut to fit: a ROUTE-REFRESH of 4096 octets carries itself as data.
    const rr = new Uint8Array(4096).fill(0xff, 0, 16);
    rr.set([0x10, 0x00, 5, 0, 1, 0, 1], 16);
    let err: wire.BgpDecodeError | undefined;
    try {
      wire.decodeMessage(rr, ctx);
    } catch (e) {
      err = e as wire.BgpDecodeError;
    }
    const reply = wire.encodeMessage(
      wire.fitNotification(wire.notificationFromError(err!), wire.maxMessageLength(ctx)),
      ctx,
    );
    expect(reply.length).toBe(4096);
  });
});
