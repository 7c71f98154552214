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
    const framer = new wire.Framer();
    const learned: string[] = [];
    for (const frame of framer.push(bytes)) {
      const { message, action } = wire.decodeMessage(frame, ctx);
      if (message.type !== "update") continue;
      expect(action).toBeUndefined();
      learned.push(...message.nlri.map(wire.formatPrefix));
    }
    expect(learned).toEqual(["198.51.100.0/26", "198.51.100.64/26"]);
  });
});
