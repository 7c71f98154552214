// The codec against live GoBGP, FRR and ExaBGP over a raw TCP stream (no
// speaker): the test encodes every message itself and decodes what each
// daemon sends; each daemon's own RIB view checks our encoding.
import {
  requirePrereqs,
  startExabgp,
  startFrr,
  startGobgp,
  type Topology,
  useTestbed,
  waitFor,
} from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { RawPeer } from "../../test/fixtures/raw-peer.js";
import { splitAs4 } from "./as4.js";
import { community } from "./attributes/communities.js";
import type { PathAttribute } from "./attributes/table.js";
import type { Capability } from "./capabilities/table.js";
import { negotiateContext } from "./messages/negotiate.js";
import { type OpenMessage, openMessage } from "./messages/open.js";
import { type UpdateMessage, updatePrefixes } from "./messages/update.js";
import { formatPrefix, parsePrefix } from "./prefix.js";

const skip = requirePrereqs(["root", "netns", "gobgp", "frr", "exabgp"]);

const OUR_ATTRS: PathAttribute[] = [
  { type: "origin", origin: 0 },
  { type: "as-path", segments: [{ type: 2, asns: [4200000002, 65099] }] },
  { type: "next-hop", nextHop: "192.0.2.2" },
  { type: "med", med: 42 },
  { type: "communities", communities: [community(65002, 7)] },
  { type: "large-communities", communities: [{ global: 4200000002, local1: 1, local2: 2 }] },
];

const CAPS: Capability[] = [
  { type: "multiprotocol", afi: 1, safi: 1 },
  { type: "multiprotocol", afi: 2, safi: 1 },
  { type: "route-refresh" },
];

/** OPEN exchange over a RawPeer; returns the peer's OPEN. */
async function handshake(peer: RawPeer, caps: Capability[]): Promise<OpenMessage> {
  const ours = openMessage({
    asn: 4200000002,
    holdTime: 60,
    bgpId: "192.0.2.2",
    capabilities: caps,
  });
  peer.send(ours);
  const theirs = (await waitFor(() => peer.messages("open")[0], {
    what: `peer OPEN (relay: ${peer.log})`,
    timeoutMs: 20_000,
  })) as OpenMessage;
  peer.ctx = negotiateContext(ours, theirs);
  peer.send({ type: "keepalive" });
  return theirs;
}

const lan = (peerName: string) => ({
  hosts: [peerName, "tortie"],
  segments: {
    lan: {
      members: {
        [peerName]: ["192.0.2.1/24", "2001:db8::1/64"],
        tortie: ["192.0.2.2/24", "2001:db8::2/64"],
      },
    },
  },
});

function receivedPrefixes(peer: RawPeer): string[] {
  return peer
    .messages("update")
    .flatMap((u: UpdateMessage) => [
      ...u.nlri,
      ...u.attributes.flatMap((a) => (a.type === "mp-reach" ? a.nlri : [])),
    ])
    .map(formatPrefix)
    .sort();
}

describe.skipIf(skip)("wire codec against GoBGP, FRR and ExaBGP", () => {
  const tb = useTestbed();
  const peerIn = (topo: Topology) => {
    const peer = new RawPeer(topo.host("tortie"), "192.0.2.1", "192.0.2.2");
    tb.defer(() => peer.stop());
    return peer;
  };

  it("GoBGP 3: ADD-PATH both ways, 4-octet AS, IPv6 with link-local next hop", async () => {
    const topo = await tb.topology(lan("gobgp"));
    const gobgp = tb.track(
      await startGobgp(topo.host("gobgp"), {
        as: 65002,
        routerId: "192.0.2.1",
        listenAddresses: ["192.0.2.1"],
        neighbors: [
          {
            address: "192.0.2.2",
            peerAs: 4200000002,
            families: ["ipv4-unicast", "ipv6-unicast"],
            addPaths: { receive: true, sendMax: 4 },
          },
        ],
      }),
    );
    await gobgp.announce("198.51.100.0/26", [
      "community",
      "65002:1",
      "large-community",
      "65002:1:2",
    ]);
    await gobgp.announce("2001:db8:b::/48");
    const peer = peerIn(topo);
    const theirs = await handshake(peer, [
      ...CAPS,
      {
        type: "add-path",
        families: [
          { afi: 1, safi: 1, mode: 3 },
          { afi: 2, safi: 1, mode: 3 },
        ],
      },
    ]);
    expect(theirs.capabilities).toContainEqual({ type: "four-octet-as", asn: 65002 });
    expect(peer.ctx.addPath.receive).toEqual([
      { afi: 1, safi: 1 },
      { afi: 2, safi: 1 },
    ]);
    await gobgp.waitEstablished("192.0.2.2");
    await waitFor(() => receivedPrefixes(peer).length === 2, { what: "GoBGP's two routes" });
    expect(receivedPrefixes(peer)).toEqual(["198.51.100.0/26", "2001:db8:b::/48"]);
    for (const d of peer.received) expect(d.errors).toEqual([]);
    const u4 = peer.messages("update").find((u) => u.nlri.length > 0)!;
    expect(u4.nlri[0]!.pathId).toBeGreaterThan(0);
    expect(u4.attributes).toContainEqual({
      type: "as-path",
      segments: [{ type: 2, asns: [65002] }],
    });
    expect(u4.attributes).toContainEqual({
      type: "communities",
      communities: [community(65002, 1)],
    });
    expect(u4.attributes).toContainEqual({
      type: "large-communities",
      communities: [{ global: 65002, local1: 1, local2: 2 }],
    });

    peer.send({
      type: "update",
      withdrawn: [],
      attributes: OUR_ATTRS,
      nlri: [parsePrefix("203.0.113.0/26", 7)],
    });
    peer.send({
      type: "update",
      withdrawn: [],
      attributes: [
        {
          type: "mp-reach",
          afi: 2,
          safi: 1,
          nextHop: "2001:db8::2",
          linkLocalNextHop: "fe80::2",
          nlri: [parsePrefix("2001:db8:77::/48", 9)],
        },
        ...OUR_ATTRS.filter((a) => a.type !== "next-hop"),
      ],
      nlri: [],
    });
    const rib = await waitFor(async () => {
      const r = await gobgp.rib("ipv4");
      return r["203.0.113.0/26"] ? r : undefined;
    });
    const path = rib["203.0.113.0/26"]![0]!;
    const text = JSON.stringify(path.attrs);
    expect(text).toContain("4200000002");
    expect(text).toContain("65099");
    expect(text).toContain(String(community(65002, 7)));
    const rib6 = await waitFor(async () => {
      const r = await gobgp.rib("ipv6");
      return r["2001:db8:77::/48"] ? r : undefined;
    });
    expect(JSON.stringify(rib6["2001:db8:77::/48"])).toContain("2001:db8::2");

    // Withdraw by path id; GoBGP drops it.
    peer.send({
      type: "update",
      withdrawn: [parsePrefix("203.0.113.0/26", 7)],
      attributes: [],
      nlri: [],
    });
    await waitFor(async () => !(await gobgp.rib("ipv4"))["203.0.113.0/26"], {
      what: "withdrawn in GoBGP",
    });
  });

  it("FRR 8.4: its OPEN and UPDATEs decode; our IPv4 and IPv6 (over IPv4) routes land in bgpd", async () => {
    const topo = await tb.topology(lan("frr"));
    const frr = tb.track(
      await startFrr(topo.host("frr"), {
        as: 65003,
        routerId: "192.0.2.1",
        neighbors: [{ address: "192.0.2.2", remoteAs: 4200000002, families: ["ipv4", "ipv6"] }],
        networks4: ["198.51.100.128/25"],
        networks6: ["2001:db8:c::/48"],
      }),
    );
    const peer = peerIn(topo);
    const theirs = await handshake(peer, [...CAPS, { type: "enhanced-route-refresh" }]);
    expect(theirs.capabilities).toContainEqual({ type: "four-octet-as", asn: 65003 });
    expect(theirs.capabilities.some((c) => c.type === "fqdn")).toBe(true);
    await frr.waitEstablished("192.0.2.2");
    // FRR sends End-of-RIB only to graceful-restart peers; wait for the routes.
    await waitFor(() => receivedPrefixes(peer).length >= 2, { what: "FRR routes" });
    expect(receivedPrefixes(peer)).toEqual(["198.51.100.128/25", "2001:db8:c::/48"]);
    for (const d of peer.received) expect(d.errors).toEqual([]);

    peer.send({
      type: "update",
      withdrawn: [],
      attributes: OUR_ATTRS,
      nlri: [parsePrefix("203.0.113.0/26")],
    });
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
    const r4 = await waitFor(async () => (await frr.routes("ipv4"))["203.0.113.0/26"]?.[0]);
    expect(r4.path).toBe("4200000002 65099");
    expect(r4.metric).toBe(42);
    expect(r4.nexthops?.[0]?.ip).toBe("192.0.2.2");
    const r6 = await waitFor(async () => (await frr.routes("ipv6"))["2001:db8:77::/48"]?.[0]);
    expect(r6.origin).toBe("incomplete");
    expect(r6.nexthops?.some((n) => n.ip === "2001:db8::2")).toBe(true);
  });

  it("ExaBGP 4.2 as a 2-octet-only peer: AS_TRANS + AS4_PATH, attributes as ExaBGP parses them, a malformed OTC", async () => {
    const topo = await tb.topology(lan("exa"));
    const exa = tb.track(
      await startExabgp(topo.host("exa"), {
        routerId: "192.0.2.1",
        localAddress: "192.0.2.1",
        localAs: 65004,
        neighbor: "192.0.2.2",
        peerAs: 23456,
        passive: true,
        capability: ["asn4 disable;"],
        routes: [
          "203.0.113.128/26 next-hop 192.0.2.1 med 50 community [ 65004:1 ] as-path [ 65004 23456 ]",
          // A malformed OTC (2 octets instead of 4) through ExaBGP's generic attribute.
          "203.0.113.192/26 next-hop 192.0.2.1 attribute [ 0x23 0xc0 0x0001 ]",
        ],
      }),
    );
    // ExaBGP opens its listening socket a moment after start: retry the connect.
    const peer = await waitFor(
      async () => {
        const p = peerIn(topo);
        await waitFor(() => p.closed || p.log.includes("connected"), { timeoutMs: 5_000 });
        return p.closed ? undefined : p;
      },
      { what: "ExaBGP listening", timeoutMs: 30_000, intervalMs: 500 },
    );
    const theirs = await handshake(peer, CAPS);
    expect(theirs.capabilities.some((c) => c.type === "four-octet-as")).toBe(false);
    expect(peer.ctx.fourOctetAs).toBe(false);
    await exa.waitUp();
    await waitFor(() => receivedPrefixes(peer).length === 2, { what: "ExaBGP's routes" });
    const u = peer
      .messages("update")
      .find((m) => formatPrefix(m.nlri[0] ?? parsePrefix("0.0.0.0/0")) === "203.0.113.128/26")!;
    expect(u.attributes).toContainEqual({
      type: "as-path",
      segments: [{ type: 2, asns: [65004, 23456] }],
    });
    expect(u.attributes).toContainEqual({ type: "med", med: 50 });
    // RFC 9234 §5 / RFC 7606: the malformed OTC makes its UPDATE treat-as-withdraw, the session stays.
    const bad = peer.received.find((d) => d.errors.length > 0)!;
    expect(bad.action).toBe("treat-as-withdraw");
    expect(bad.errors[0]).toMatchObject({
      code: 3,
      subcode: 5,
      attributeType: 35,
      data: Uint8Array.of(0xc0, 0x23, 2, 0, 1),
    });
    expect(bad.message.type === "update" && updatePrefixes(bad.message).map(formatPrefix)).toEqual([
      "203.0.113.192/26",
    ]);
    expect(peer.received.filter((d) => d.errors.length > 0)).toHaveLength(1);

    // Ours: 4200000002 does not fit 2 octets — AS_TRANS in AS_PATH, the truth in AS4_PATH.
    peer.send({
      type: "update",
      withdrawn: [],
      attributes: splitAs4(OUR_ATTRS),
      nlri: [parsePrefix("203.0.113.0/26")],
    });
    const got = await waitFor(() => exa.received().get("203.0.113.0/26"));
    // ExaBGP merges AS_PATH [23456, 65099] with our AS4_PATH (RFC 6793 §4.2.3);
    // without a correct AS4_PATH it would show AS_TRANS.
    expect(got["as-path"]).toEqual([4200000002, 65099]);
    expect(got.med).toBe(42);
    expect(got.community).toEqual([[65002, 7]]);
  });
});
