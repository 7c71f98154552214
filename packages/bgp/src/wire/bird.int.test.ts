// The codec against a live BIRD 2: a raw TCP stream (no speaker) where the
// test encodes OPEN/KEEPALIVE/UPDATE/ROUTE-REFRESH/NOTIFICATION itself and
// decodes what BIRD sends; BIRD's own view (birdc) checks our encoding.
import { requirePrereqs, startBird, useTestbed, waitFor } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { RawPeer } from "../../test/fixtures/raw-peer.js";
import { community } from "./attributes/communities.js";
import { endOfRibFamily } from "./messages/end-of-rib.js";
import { negotiateContext } from "./messages/negotiate.js";
import { shutdownNotification } from "./messages/notification.js";
import { type OpenMessage, openMessage } from "./messages/open.js";
import type { UpdateMessage } from "./messages/update.js";
import { formatPrefix, parsePrefix } from "./prefix.js";

const skip = requirePrereqs(["root", "netns", "bird"]);

const BIRD_CONF = `
router id 192.0.2.1;
protocol device {}
filter tagged {
  bgp_community.add((65001,100));
  bgp_large_community.add((65001,7,8));
  accept;
}
protocol static s4 { ipv4 { import filter tagged; };
  route 198.51.100.0/26 blackhole; route 198.51.100.64/26 blackhole; route 198.51.100.128/25 blackhole; }
protocol static s6 { ipv6 { import filter tagged; }; route 2001:db8:a::/48 blackhole; }
protocol bgp tortie {
  local 192.0.2.1 as 65001; neighbor 192.0.2.2 as 4200000002; direct;
  connect delay time 1; connect retry time 2; error wait time 1, 5; hold time 30;
  ipv4 { import all; export all; add paths on; };
  ipv6 { import all; export all; next hop address 2001:db8::1; };
}
`;

describe.skipIf(skip)("wire codec against BIRD 2", () => {
  const tb = useTestbed();

  it("exchanges OPEN, UPDATEs (ADD-PATH, 4-octet AS, communities, IPv6), refresh and shutdown", async () => {
    const topo = await tb.topology({
      hosts: ["bird", "tortie"],
      segments: {
        lan: {
          members: {
            bird: ["192.0.2.1/24", "2001:db8::1/64"],
            tortie: ["192.0.2.2/24", "2001:db8::2/64"],
          },
        },
      },
    });
    const bird = tb.track(await startBird(topo.host("bird"), BIRD_CONF));
    const peer = new RawPeer(topo.host("tortie"), "192.0.2.1", "192.0.2.2");
    tb.defer(() => peer.stop());

    const ours = openMessage({
      asn: 4200000002,
      holdTime: 30,
      bgpId: "192.0.2.2",
      capabilities: [
        { type: "multiprotocol", afi: 1, safi: 1 },
        { type: "multiprotocol", afi: 2, safi: 1 },
        { type: "route-refresh" },
        { type: "enhanced-route-refresh" },
        { type: "add-path", families: [{ afi: 1, safi: 1, mode: 3 }] },
        { type: "fqdn", hostname: "tortie", domain: "" },
      ],
    });
    peer.send(ours);
    const theirs = await waitFor(() => peer.messages("open")[0], {
      what: "BIRD's OPEN",
      timeoutMs: 15_000,
    });
    expect(theirs).toMatchObject({ myAs: 65001, holdTime: 30, bgpId: "192.0.2.1" });
    expect(theirs.capabilities).toContainEqual({ type: "four-octet-as", asn: 65001 });
    expect(theirs.capabilities).toContainEqual({
      type: "add-path",
      families: [{ afi: 1, safi: 1, mode: 3 }],
    });
    peer.ctx = negotiateContext(ours, theirs as OpenMessage);
    expect(peer.ctx.addPath.receive).toEqual([{ afi: 1, safi: 1 }]);
    peer.send({ type: "keepalive" });
    await bird.waitEstablished("tortie");

    // BIRD's routes, until End-of-RIB for both families.
    const eor = () =>
      peer.messages("update").flatMap((u) => {
        const f = endOfRibFamily(u);
        return f ? [`${f.afi}/${f.safi}`] : [];
      });
    await waitFor(() => eor().includes("1/1") && eor().includes("2/1"), {
      what: "End-of-RIB",
      timeoutMs: 15_000,
    });
    for (const d of peer.received) expect(d.errors).toEqual([]);
    const updates = peer.messages("update");
    const v4 = updates.flatMap((u) => u.nlri);
    expect(v4.map(formatPrefix).sort()).toEqual([
      "198.51.100.0/26",
      "198.51.100.128/25",
      "198.51.100.64/26",
    ]);
    expect(v4.every((p) => typeof p.pathId === "number")).toBe(true);
    const withV4 = updates.find((u) => u.nlri.length > 0)!;
    expect(withV4.attributes).toContainEqual({
      type: "as-path",
      segments: [{ type: 2, asns: [65001] }],
    });
    expect(withV4.attributes).toContainEqual({
      type: "communities",
      communities: [community(65001, 100)],
    });
    expect(withV4.attributes).toContainEqual({
      type: "large-communities",
      communities: [{ global: 65001, local1: 7, local2: 8 }],
    });
    const mp = updates.flatMap((u) => u.attributes).find((a) => a.type === "mp-reach");
    expect(mp).toMatchObject({
      afi: 2,
      safi: 1,
      nextHop: "2001:db8::1",
      nlri: [parsePrefix("2001:db8:a::/48")],
    });

    // Our routes, as BIRD sees them.
    const announce: UpdateMessage = {
      type: "update",
      withdrawn: [],
      attributes: [
        { type: "origin", origin: 0 },
        { type: "as-path", segments: [{ type: 2, asns: [4200000002, 65099] }] },
        { type: "next-hop", nextHop: "192.0.2.2" },
        { type: "med", med: 42 },
        { type: "communities", communities: [community(65002, 7)] },
        { type: "large-communities", communities: [{ global: 4200000002, local1: 1, local2: 2 }] },
      ],
      nlri: [parsePrefix("203.0.113.0/26", 1), parsePrefix("203.0.113.64/26", 1)],
    };
    peer.send(announce);
    peer.send({
      type: "update",
      withdrawn: [],
      attributes: [
        {
          type: "mp-reach",
          afi: 2,
          safi: 1,
          nextHop: "2001:db8::2",
          nlri: [parsePrefix("2001:db8:77::/48")],
        },
        { type: "origin", origin: 2 },
        { type: "as-path", segments: [{ type: 2, asns: [4200000002] }] },
      ],
      nlri: [],
    });
    const learned = await waitFor(
      async () => {
        const rs = await bird.routes({ protocol: "tortie" });
        return rs.length === 3 ? rs : undefined;
      },
      { what: "BIRD learns our 3 routes" },
    );
    const r = learned.find((x) => x.prefix === "203.0.113.0/26")!;
    expect(r.attrs["BGP.as_path"]).toBe("4200000002 65099");
    expect(r.attrs["BGP.next_hop"]).toBe("192.0.2.2");
    expect(r.attrs["BGP.med"]).toBe("42");
    expect(r.attrs["BGP.community"]).toBe("(65002,7)");
    expect(r.attrs["BGP.large_community"]).toBe("(4200000002, 1, 2)");
    const r6 = learned.find((x) => x.prefix === "2001:db8:77::/48")!;
    expect(r6.attrs["BGP.origin"]).toBe("Incomplete");

    // Withdraw one IPv4 route (with its path id).
    peer.send({
      type: "update",
      withdrawn: [parsePrefix("203.0.113.64/26", 1)],
      attributes: [],
      nlri: [],
    });
    await waitFor(async () => (await bird.routes({ protocol: "tortie" })).length === 2, {
      what: "withdrawal",
    });

    // Enhanced route refresh: BIRD answers BoRR, the routes, EoRR (RFC 7313).
    const before = peer.received.length;
    peer.send({ type: "route-refresh", afi: 1, safi: 1, subtype: 0 });
    await waitFor(
      () =>
        peer.received
          .slice(before)
          .some((d) => d.message.type === "route-refresh" && d.message.subtype === 2),
      { what: "EoRR" },
    );
    const refresh = peer.received.slice(before).map((d) => d.message);
    expect(refresh[0]).toEqual({ type: "route-refresh", afi: 1, safi: 1, subtype: 1 });
    expect(
      refresh.filter((m) => m.type === "update").flatMap((u) => (u as UpdateMessage).nlri),
    ).toHaveLength(3);

    // Shutdown communication (RFC 9003), as BIRD reports it.
    peer.send(shutdownNotification("tortie codec test: bye"));
    const details = await waitFor(
      async () => {
        const t = await bird.protocolDetails("tortie");
        return /bye/.test(t) ? t : undefined;
      },
      { what: "BIRD shows the shutdown message" },
    );
    expect(details).toContain("tortie codec test: bye");
  });
});
