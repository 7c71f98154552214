import { describe, expect, it } from "vitest";
import { codecContext, decodeMessage, encodeMessage, type UpdateMessage } from "../wire/index.js";
import {
  buildAnnouncements,
  buildWithdrawals,
  type ExportTarget,
  formatCommunity,
  parseCommunity,
  routesFromUpdate,
} from "./routes.js";

const ebgp: ExportTarget = {
  localAs: 65001,
  internal: false,
  nextHop4: "192.0.2.1",
  ctx: codecContext({ fourOctetAs: true }),
};
const ibgp: ExportTarget = { ...ebgp, internal: true };

/** Round trip through the codec, as a peer would receive the message. */
function wire(msg: UpdateMessage, t: ExportTarget = ebgp) {
  const bytes = encodeMessage(msg, t.ctx);
  const d = decodeMessage(bytes, t.ctx);
  return { bytes, msg: d.message as UpdateMessage, action: d.action };
}

describe("routes: originated → UPDATEs → routes", () => {
  it("eBGP prepends our AS and sets NEXT_HOP; iBGP adds LOCAL_PREF and no AS", () => {
    const [e] = buildAnnouncements(
      [{ prefix: "198.51.100.0/26", med: 5, communities: ["65001:7"] }],
      ebgp,
    );
    const re = routesFromUpdate(wire(e!).msg, ebgp.ctx).announced[0]!;
    expect(re).toMatchObject({
      prefix: "198.51.100.0/26",
      nextHop: "192.0.2.1",
      asPath: [65001],
      med: 5,
      communities: ["65001:7"],
    });
    expect(re.localPref).toBeUndefined();
    const [i] = buildAnnouncements([{ prefix: "198.51.100.0/26" }], ibgp);
    const ri = routesFromUpdate(wire(i!, ibgp).msg, ibgp.ctx).announced[0]!;
    expect(ri).toMatchObject({ asPath: [], localPref: 100, origin: "igp" });
  });

  it("IPv6 goes in MP_REACH_NLRI with the IPv6 next hop, or IPv4-mapped when there is none", () => {
    const t6 = { ...ebgp, nextHop6: "2001:db8::1" };
    const [m] = buildAnnouncements(
      [{ prefix: "2001:db8:7::/48", largeCommunities: ["65001:1:2"] }],
      t6,
    );
    const r = routesFromUpdate(wire(m!, t6).msg, t6.ctx).announced[0]!;
    expect(r).toMatchObject({
      prefix: "2001:db8:7::/48",
      nextHop: "2001:db8::1",
      largeCommunities: ["65001:1:2"],
    });
    const [mapped] = buildAnnouncements([{ prefix: "2001:db8:7::/48" }], ebgp);
    expect(routesFromUpdate(wire(mapped!).msg, ebgp.ctx).announced[0]!.nextHop).toBe(
      "::ffff:c000:201", // ::ffff:192.0.2.1, IPv4-mapped (RFC 4291 §2.5.5.2)
    );
  });

  it("packs routes with equal attributes into UPDATEs no larger than the negotiated maximum", () => {
    const routes = Array.from({ length: 5000 }, (_, i) => ({
      prefix: `198.18.${i >> 8}.${i & 255}/32`,
    }));
    const msgs = buildAnnouncements(routes, ebgp);
    const sizes = msgs.map((m) => wire(m).bytes.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4096);
    expect(msgs.length).toBeLessThanOrEqual(Math.ceil((5000 * 5) / (4096 - 60)) + 1);
    const all = msgs.flatMap((m) =>
      routesFromUpdate(wire(m).msg, ebgp.ctx).announced.map((r) => r.prefix),
    );
    expect(new Set(all).size).toBe(5000);
    const ext = { ...ebgp, ctx: codecContext({ fourOctetAs: true, extendedMessage: true }) };
    const big = buildAnnouncements(routes, ext);
    expect(msgs.length).toBe(7); // 25,000 octets of NLRI in 4,096-octet messages
    expect(big.length).toBe(1); // one 65,535-octet message with Extended Message (RFC 8654)
    expect(Math.max(...big.map((m) => wire(m, ext).bytes.length))).toBeLessThanOrEqual(65535);
  });

  it("withdraws IPv4 in Withdrawn Routes and IPv6 in MP_UNREACH_NLRI", () => {
    const msgs = buildWithdrawals(["198.51.100.0/26", "2001:db8:7::/48"], ebgp.ctx);
    const keys = msgs.flatMap((m) => routesFromUpdate(wire(m).msg, ebgp.ctx).withdrawn);
    expect(keys.sort()).toEqual(["198.51.100.0/26", "2001:db8:7::/48"]);
  });

  it("on a 2-octet session a 4-octet AS travels as AS_TRANS + AS4_PATH and comes back whole", () => {
    const t2 = { ...ebgp, localAs: 4200000001, ctx: codecContext({ fourOctetAs: false }) };
    const [m] = buildAnnouncements([{ prefix: "198.51.100.0/26" }], t2);
    const got = wire(m!, t2).msg;
    const asPath = got.attributes.find((a) => a.type === "as-path");
    expect(asPath?.type === "as-path" && asPath.segments[0]?.asns).toEqual([23456]);
    expect(got.attributes.some((a) => a.type === "as4-path")).toBe(true);
    expect(routesFromUpdate(got, t2.ctx).announced[0]!.asPath).toEqual([4200000001]);
  });

  it("treat-as-withdraw withdraws every prefix of the UPDATE (RFC 7606 §2)", () => {
    const [m] = buildAnnouncements(
      [{ prefix: "198.51.100.0/26" }, { prefix: "198.51.100.64/26" }],
      ebgp,
    );
    const c = routesFromUpdate(wire(m!).msg, ebgp.ctx, "treat-as-withdraw");
    expect(c.announced).toEqual([]);
    expect(c.withdrawn).toEqual(["198.51.100.0/26", "198.51.100.64/26"]);
    expect(c.treatedAsWithdraw).toBe(true);
  });

  it("parses and formats communities, with the well-known names", () => {
    expect(formatCommunity(parseCommunity("65001:100"))).toBe("65001:100");
    expect(parseCommunity("no-export")).toBe(0xffffff01);
    expect(() => parseCommunity("65536:1")).toThrow(RangeError);
    expect(() => parseCommunity("x")).toThrow(RangeError);
  });
});
