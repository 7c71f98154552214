// Real bytes captured from BIRD 2.0.12, FRR 8.4, GoBGP 3.10 and ExaBGP 4.2
// sessions (test/fixtures/README.md): every message decodes without error and
// re-encodes to the same bytes; selected messages decode to known objects.
import { describe, expect, it } from "vitest";
import { type Fixture, fixtureFiles, loadFixture } from "../../test/fixtures/load.js";
import { reconstructAs4 } from "./as4.js";
import { Afi, CeaseSubcode, ErrorCode, RouteRefreshSubtype } from "./constants.js";
import { decodeMessage, encodeMessage } from "./message.js";
import { endOfRib, endOfRibFamily } from "./messages/end-of-rib.js";
import { shutdownNotification } from "./messages/notification.js";
import type { UpdateMessage } from "./messages/update.js";
import { parsePrefix } from "./prefix.js";

const files = fixtureFiles();
const fx = (f: string): Fixture => loadFixture(f);
const decode = (f: Fixture, i: number) => decodeMessage(f.messages[i]!, f.ctx).message;

describe("captured fixtures", () => {
  it("exist for every daemon as sender and receiver", () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const d of ["bird", "frr", "gobgp", "exabgp"]) {
      expect(files.some((f) => f.startsWith(`${d}-to-`))).toBe(true);
      expect(files.some((f) => f.includes(`-to-${d}`))).toBe(true);
    }
    expect(files.filter((f) => f.startsWith("rr.")).length).toBeGreaterThanOrEqual(6);
  });

  it.each(files)("%s: decodes cleanly and re-encodes to the same bytes", (file) => {
    const f = fx(file);
    expect(f.messages.length).toBeGreaterThan(0);
    for (const bytes of f.messages) {
      const d = decodeMessage(bytes, f.ctx);
      expect(d.errors).toEqual([]);
      expect(Buffer.from(encodeMessage(d.message, f.senderCtx)).toString("hex")).toBe(
        Buffer.from(bytes).toString("hex"),
      );
    }
  });

  it("FRR OPEN: one capability per parameter, role, FQDN, ADD-PATH, extended message", () => {
    expect(decode(fx("frr-to-bird.v6.hex"), 0)).toEqual({
      type: "open",
      version: 4,
      myAs: 65003,
      holdTime: 180,
      bgpId: "192.0.2.3",
      capabilities: [
        { type: "multiprotocol", afi: 2, safi: 1 },
        { type: "unknown", code: 128, value: new Uint8Array(0) },
        { type: "route-refresh" },
        { type: "enhanced-route-refresh" },
        { type: "four-octet-as", asn: 65003 },
        { type: "extended-message" },
        { type: "add-path", families: [{ afi: 2, safi: 1, mode: 1 }] },
        { type: "fqdn", hostname: "frr-c", domain: "" },
        { type: "graceful-restart", flags: 0xc, restartTime: 120, families: [] },
        { type: "unknown", code: 71, value: Uint8Array.of(0, 2, 1, 0x80, 0, 0, 0) },
      ],
      layout: { groups: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1] },
    });
    const v4 = decode(fx("frr-to-bird.hex"), 0);
    expect(v4.type === "open" && v4.capabilities.find((c) => c.type === "role")).toEqual({
      type: "role",
      role: 4,
    });
  });

  it("GoBGP OPEN: AS_TRANS with a 4-octet AS, extended next hop, ADD-PATH both ways", () => {
    const m = decode(fx("gobgp-to-bird.hex"), 0);
    expect(m).toMatchObject({ type: "open", myAs: 23456, bgpId: "192.0.2.2" });
    expect(m.type === "open" && m.capabilities).toEqual([
      { type: "route-refresh" },
      { type: "fqdn", hostname: expect.any(String), domain: "" },
      { type: "multiprotocol", afi: 1, safi: 1 },
      { type: "multiprotocol", afi: 2, safi: 1 },
      { type: "four-octet-as", asn: 4200000002 },
      { type: "extended-next-hop", entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] },
      {
        type: "add-path",
        families: [
          { afi: 1, safi: 1, mode: 3 },
          { afi: 2, safi: 1, mode: 3 },
        ],
      },
    ]);
    expect(fx("gobgp-to-bird.hex").ctx.addPath.receive).toEqual([
      { afi: 1, safi: 1 },
      { afi: 2, safi: 1 },
    ]);
  });

  it("BIRD OPEN: all capabilities in one parameter (no layout kept)", () => {
    const m = decode(fx("bird-to-frr.hex"), 0);
    expect(m).toEqual({
      type: "open",
      version: 4,
      myAs: 65001,
      holdTime: 30,
      bgpId: "192.0.2.1",
      capabilities: [
        { type: "multiprotocol", afi: 1, safi: 1 },
        { type: "route-refresh" },
        { type: "role", role: 4 },
        { type: "graceful-restart", flags: 0, restartTime: 120, families: [] },
        { type: "four-octet-as", asn: 65001 },
        { type: "enhanced-route-refresh" },
        { type: "unknown", code: 71, value: new Uint8Array(0) },
      ],
    });
  });

  it("GoBGP UPDATE with ADD-PATH ids, 4-octet AS, MED, communities, large communities", () => {
    expect(decode(fx("gobgp-to-bird.hex"), 2)).toEqual({
      type: "update",
      withdrawn: [],
      attributes: [
        { type: "origin", origin: 2 },
        { type: "as-path", segments: [{ type: 2, asns: [4200000002] }] },
        { type: "next-hop", nextHop: "192.0.2.2" },
        { type: "med", med: 10 },
        { type: "communities", communities: [65002 * 65536 + 1] },
        { type: "large-communities", communities: [{ global: 4200000002, local1: 1, local2: 1 }] },
      ],
      nlri: [parsePrefix("198.51.100.64/27", 1)],
    });
    // IPv6 over an IPv4 session: IPv4-mapped next hop, path id in MP_REACH and MP_UNREACH.
    const v6 = decode(fx("gobgp-to-bird.hex"), 4) as UpdateMessage;
    expect(v6.attributes.find((a) => a.type === "mp-reach")).toEqual({
      type: "mp-reach",
      afi: 2,
      safi: 1,
      nextHop: "::ffff:c000:202",
      nlri: [parsePrefix("2001:db8:b::/48", 1)],
    });
    expect(decode(fx("gobgp-to-bird.hex"), 6)).toEqual({
      type: "update",
      withdrawn: [],
      attributes: [
        { type: "mp-unreach", afi: 2, safi: 1, withdrawn: [parsePrefix("2001:db8:b::/48", 1)] },
      ],
      nlri: [],
    });
  });

  it("BIRD to a 2-octet ExaBGP: AS_TRANS in AS_PATH, AS4_PATH, reconstruction per RFC 6793 §4.2.3", () => {
    const f = fx("bird-to-exabgp.hex");
    expect(f.ctx.fourOctetAs).toBe(false);
    const m = decode(f, 8) as UpdateMessage;
    expect(m.attributes.find((a) => a.type === "as-path")).toEqual({
      type: "as-path",
      segments: [{ type: 2, asns: [65001, 23456, 23456, 65020] }],
    });
    expect(m.attributes.find((a) => a.type === "as4-path")).toEqual({
      type: "as4-path",
      segments: [{ type: 2, asns: [65001, 4200000002, 4200000099, 65020] }],
    });
    const merged = reconstructAs4(m.attributes);
    expect(merged.find((a) => a.type === "as-path")).toEqual({
      type: "as-path",
      segments: [{ type: 2, asns: [65001, 4200000002, 4200000099, 65020] }],
    });
    expect(merged.some((a) => a.type === "as4-path")).toBe(false);
  });

  it("BIRD UPDATE with communities, extended and large communities, OTC (RFC 9234)", () => {
    expect(decode(fx("bird-to-frr.hex"), 2)).toEqual({
      type: "update",
      withdrawn: [],
      attributes: [
        { type: "origin", origin: 0 },
        { type: "as-path", segments: [{ type: 2, asns: [65001] }] },
        { type: "next-hop", nextHop: "192.0.2.1" },
        { type: "communities", communities: [65001 * 65536 + 100, 0xffffff01] },
        { type: "extended-communities", communities: [0x0002fde90000002an] },
        { type: "large-communities", communities: [{ global: 65001, local1: 7, local2: 8 }] },
        { type: "otc", asn: 65001 },
      ],
      nlri: [
        parsePrefix("198.51.100.0/26"),
        parsePrefix("192.0.2.128/28"),
        parsePrefix("198.51.100.128/25"),
      ],
    });
  });

  it("FRR IPv6 UPDATE: global and link-local next hop, extended-length attributes", () => {
    const m = decode(fx("frr-to-bird.v6.hex"), 2) as UpdateMessage;
    expect(m.attributes[0]).toEqual({
      type: "mp-reach",
      afi: Afi.Ipv6,
      safi: 1,
      nextHop: "2001:db8::3",
      linkLocalNextHop: expect.stringMatching(/^fe80::/),
      nlri: [parsePrefix("2001:db8:d::/48")],
      extendedLength: true,
    });
  });

  it("End-of-RIB markers for IPv4 and IPv6, decoded and encoded", () => {
    const f = fx("bird-to-exabgp.hex");
    expect(endOfRibFamily(decode(f, 3) as UpdateMessage)).toEqual({ afi: 1, safi: 1 });
    expect(endOfRibFamily(decode(f, 5) as UpdateMessage)).toEqual({ afi: 2, safi: 1 });
    expect(encodeMessage(endOfRib(1, 1))).toEqual(f.messages[3]);
    expect(encodeMessage(endOfRib(2, 1))).toEqual(f.messages[5]);
    expect(endOfRibFamily(decode(f, 2) as UpdateMessage)).toBeUndefined();
  });

  it("ROUTE-REFRESH request and RFC 7313 BoRR/EoRR from BIRD", () => {
    const f = fx("bird-to-frr.hex");
    const subtypes = f.messages
      .map((b) => decodeMessage(b, f.ctx).message)
      .filter((m) => m.type === "route-refresh")
      .map((m) => (m.type === "route-refresh" ? m.subtype : -1));
    expect(subtypes).toEqual([
      RouteRefreshSubtype.Normal,
      RouteRefreshSubtype.BoRR,
      RouteRefreshSubtype.EoRR,
      RouteRefreshSubtype.BoRR,
      RouteRefreshSubtype.EoRR,
    ]);
  });

  it("RFC 9003 shutdown communications from BIRD and FRR", () => {
    const bird = fx("bird-to-exabgp.hex");
    const last = bird.messages[bird.messages.length - 1]!;
    expect(decodeMessage(last).message).toMatchObject({
      type: "notification",
      code: ErrorCode.Cease,
      subcode: CeaseSubcode.AdministrativeShutdown,
      shutdownMessage: "tortie fixture: maintenance",
    });
    expect(encodeMessage(shutdownNotification("tortie fixture: maintenance"))).toEqual(last);
    const frr = fx("frr-to-bird.v6.hex");
    expect(decodeMessage(frr.messages[frr.messages.length - 1]!).message).toMatchObject({
      type: "notification",
      shutdownMessage: '"frr going down"',
    });
  });

  describe("route reflection, aggregation, RFC 8950 (capture-rr.sh)", () => {
    it("a route reflected by BIRD: AS_SET, aggregator, atomic aggregate, ORIGINATOR_ID, CLUSTER_LIST", () => {
      const f = fx("rr.bird-to-bird2.hex");
      expect(decode(f, 3)).toEqual({
        type: "update",
        withdrawn: [],
        attributes: [
          { type: "origin", origin: 0 },
          {
            type: "as-path",
            segments: [
              { type: 2, asns: [65010] },
              { type: 1, asns: [65011, 65012] },
            ],
          },
          { type: "next-hop", nextHop: "192.0.2.1" },
          { type: "local-pref", localPref: 200 },
          { type: "atomic-aggregate" },
          { type: "aggregator", asn: 65010, address: "192.0.2.66" },
          { type: "originator-id", originatorId: "192.0.2.6" },
          { type: "cluster-list", clusterIds: ["192.0.2.100"] },
          { type: "extended-communities", communities: [0x0002fde900000007n] },
        ],
        nlri: [parsePrefix("203.0.113.192/27")],
      });
      // The reflector prepends its CLUSTER_ID to a received list (RFC 4456 §8).
      expect((decode(f, 7) as UpdateMessage).attributes).toContainEqual({
        type: "cluster-list",
        clusterIds: ["192.0.2.100", "192.0.2.88"],
      });
      // As an iBGP session sees them: LOCAL_PREF everywhere, nothing missing.
      const ibgp = { ...f.ctx, peerType: "internal" as const };
      for (const b of f.messages) expect(decodeMessage(b, ibgp).errors).toEqual([]);
    });

    it("FRR over IPv6: IPv4 NLRI with an IPv6 global + link-local next hop (RFC 8950)", () => {
      const f = fx("rr.frr-to-bird.v6.hex");
      const open = decode(f, 0);
      expect(open.type === "open" && open.capabilities).toContainEqual({
        type: "extended-next-hop",
        entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }],
      });
      const u = decode(f, 2) as UpdateMessage;
      expect(u.nlri).toEqual([]);
      expect(u.attributes[0]).toMatchObject({
        type: "mp-reach",
        afi: Afi.Ipv4,
        safi: 1,
        nextHop: "2001:db8::3",
        linkLocalNextHop: expect.stringMatching(/^fe80::/),
        nlri: [parsePrefix("203.0.113.0/25")],
      });
      expect(u.attributes).toContainEqual({ type: "aggregator", asn: 65003, address: "192.0.2.3" });
    });

    it("BIRD with graceful restart on: per-family entries; long-lived GR kept raw", () => {
      const open = decode(fx("rr.bird2-to-bird.hex"), 0);
      expect(open.type === "open" && open.capabilities).toContainEqual({
        type: "graceful-restart",
        flags: 0,
        restartTime: 120,
        families: [
          { afi: 1, safi: 1, flags: 0 },
          { afi: 2, safi: 1, flags: 0 },
        ],
      });
      expect(open.type === "open" && open.capabilities).toContainEqual({
        type: "unknown",
        code: 71,
        value: Uint8Array.from(Buffer.from("00010100000e1000020100000e10", "hex")),
      });
    });
  });
});
