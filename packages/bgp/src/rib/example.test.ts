// The RIB as a speaker uses it, end to end on real bytes: UPDATEs encoded
// by the wire codec are decoded and applied, the best paths go to a "kernel"
// subscriber, an export peer's Adj-RIB-Out is packed into UPDATE messages
// that decode back to what BIRD in Tortie's place would send.
import { describe, expect, it } from "vitest";
import { compileFilters } from "../policy/compile.js";
import { parseBgpFilter } from "../policy/parse.js";
import { codecContext } from "../wire/context.js";
import { decodeMessage, encodeMessage } from "../wire/message.js";
import { encodeUpdates } from "../wire/messages/pack.js";
import { formatPrefix, parsePrefix } from "../wire/prefix.js";
import { batchToUpdates } from "./pack.js";
import { Rib, type RibDelta } from "./rib.js";
import { applyUpdate } from "./update.js";

describe("a transit speaker on the RIB", () => {
  it("decodes, decides, installs, filters, transforms and packs", () => {
    const ctx = codecContext({ fourOctetAs: true });
    const rib = new Rib({ localAs: 65000, routerId: "192.0.2.254" });
    const noLongPrefixes = parseBgpFilter({
      metadata: { name: "no-long" },
      spec: {
        importV4: [
          { cidr: "0.0.0.0/0", matchOperator: "In", prefixLength: { min: 25 }, action: "Reject" },
        ],
      },
    });
    rib.addPeer({
      id: "192.0.2.1",
      address: "192.0.2.1",
      asn: 65001,
      localAddress: "192.0.2.254",
      sharedSubnets: ["192.0.2.0/24"],
      importPolicy: compileFilters([noLongPrefixes], "import").policy,
    });
    rib.addPeer({
      id: "203.0.113.2",
      address: "203.0.113.2",
      asn: 65002,
      localAddress: "203.0.113.254",
      sharedSubnets: ["203.0.113.0/24"],
    });

    const kernel = new Map<string, string>();
    rib.subscribe((deltas: readonly RibDelta[]) => {
      for (const d of deltas) {
        if (d.kind === "withdrawn") kernel.delete(formatPrefix(d.prefix));
        else kernel.set(formatPrefix(d.prefix), d.best!.attrs.nextHop!);
      }
    });
    const out = rib.startExport("203.0.113.2");

    // An UPDATE from 192.0.2.1 as bytes, through the codec.
    const bytes = encodeMessage(
      {
        type: "update",
        withdrawn: [],
        attributes: [
          { type: "origin", origin: 0 },
          { type: "as-path", segments: [{ type: 2, asns: [65001, 4200000001] }] },
          { type: "next-hop", nextHop: "192.0.2.1" },
          { type: "med", med: 20 },
          { type: "unknown", code: 240, flags: 0xc0, value: Uint8Array.of(7) },
        ],
        nlri: [parsePrefix("198.51.100.0/24"), parsePrefix("198.51.100.128/25")],
      },
      ctx,
    );
    const d = decodeMessage(bytes, ctx);
    if (d.message.type !== "update") throw new Error("expected an UPDATE");
    const res = applyUpdate(rib, "192.0.2.1", d.message, d.action);
    expect(res.announced[0]!.rejected).toBe(1);
    expect([...kernel]).toEqual([["198.51.100.0/24", "192.0.2.1"]]);

    // What goes to 203.0.113.2: one UPDATE, as BIRD would pass it on.
    const sent = batchToUpdates(out.take()).flatMap((u) => encodeUpdates(u, ctx));
    expect(sent).toHaveLength(1);
    const m = decodeMessage(sent[0]!, ctx).message;
    if (m.type !== "update") throw new Error("expected an UPDATE");
    expect(m.nlri.map(formatPrefix)).toEqual(["198.51.100.0/24"]);
    expect(m.attributes).toEqual([
      { type: "origin", origin: 0 },
      { type: "as-path", segments: [{ type: 2, asns: [65000, 65001, 4200000001] }] },
      { type: "next-hop", nextHop: "203.0.113.254" },
      // MED from another AS is not passed on; the unknown transitive attribute is, with Partial set.
      { type: "unknown", code: 240, flags: 0xe0, value: Uint8Array.of(7) },
    ]);

    // A withdrawal flows the same way.
    const w = decodeMessage(
      encodeMessage(
        { type: "update", withdrawn: [parsePrefix("198.51.100.0/24")], attributes: [], nlri: [] },
        ctx,
      ),
      ctx,
    );
    if (w.message.type !== "update") throw new Error("expected an UPDATE");
    applyUpdate(rib, "192.0.2.1", w.message, w.action);
    expect(kernel.size).toBe(0);
    expect(batchToUpdates(out.take())[0]!.withdrawn.map(formatPrefix)).toEqual(["198.51.100.0/24"]);
  });

  it("treat-as-withdraw UPDATEs withdraw what they carry; MP_REACH_NLRI uses its own next hop", () => {
    const rib = new Rib({ localAs: 65000, routerId: "192.0.2.254" });
    rib.addPeer({
      id: "p",
      address: "2001:db8::1",
      asn: 65001,
      routerId: "192.0.2.1",
      sharedSubnets: ["2001:db8::/64"],
    });
    const attrs = [
      { type: "origin", origin: 0 },
      { type: "as-path", segments: [{ type: 2, asns: [65001] }] },
    ] as const;
    const msg = {
      type: "update" as const,
      withdrawn: [],
      nlri: [],
      attributes: [
        ...attrs,
        {
          type: "mp-reach" as const,
          afi: 2,
          safi: 1,
          nextHop: "2001:db8::1",
          linkLocalNextHop: "fe80::1",
          nlri: [parsePrefix("2001:db8:5::/48")],
        },
      ],
    };
    expect(applyUpdate(rib, "p", msg).deltas).toHaveLength(1);
    expect(rib.best(parsePrefix("2001:db8:5::/48"))!.attrs.linkLocalNextHop).toBe("fe80::1");
    const r = applyUpdate(rib, "p", msg, "treat-as-withdraw");
    expect(r.treatedAsWithdraw).toBe(true);
    expect(r.deltas.map((x) => x.kind)).toEqual(["withdrawn"]);
    expect(rib.size).toBe(0);
  });
});
