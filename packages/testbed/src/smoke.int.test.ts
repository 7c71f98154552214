// The testbed's proof: BIRD, FRR, GoBGP and ExaBGP in four hosts exchange IPv4
// and IPv6 routes over iBGP and eBGP, and a ping crosses routes that BIRD and
// FRR learned over BGP and put into their hosts' kernels.
//
//   sa ── bird(AS65001) ══iBGP══ frr(AS65001) ── sb
//   198.51.100.0/30  │  192.0.2.0/24 LAN  │   203.0.113.0/30
//                 eBGP│                   │eBGP
//            gobgp(AS65002)         exabgp(AS65003)
import { describe, expect, it } from "vitest";
import { startBird } from "./daemons/bird.js";
import { kernelRoute, startFourPeerLab } from "./labs/four-peers.js";
import { requirePrereqs } from "./prereqs.js";
import { useTestbed } from "./vitest.js";

const skip = requirePrereqs(["root", "bird", "frr", "gobgp", "exabgp"]);

describe.skipIf(skip)("testbed smoke: four real BGP implementations", () => {
  const tb = useTestbed();

  it("exchange IPv4 and IPv6 routes over iBGP and eBGP, and a ping crosses them", async () => {
    const lab = await startFourPeerLab((d) => tb.track(d));
    tb.defer(() => lab.stop());
    const { topo, bird, frr, gobgp, exa } = lab;

    // FRR learned BIRD's static route (iBGP), GoBGP's (eBGP → iBGP) and ExaBGP's (eBGP).
    const frr4 = await frr.bgpd.waitFor(
      async () => {
        const r = await frr.routes("ipv4");
        return ["198.51.100.64/26", "203.0.113.64/26", "203.0.113.128/26"].every((p) => r[p]) && r;
      },
      { what: "FRR has the IPv4 routes" },
    );
    expect(frr4["203.0.113.64/26"]?.[0]?.path).toBe("65002");
    expect(frr4["203.0.113.128/26"]?.[0]?.path).toBe("65003");
    await frr.bgpd.waitFor(async () => (await frr.routes("ipv6"))["2001:db8:9::/48"], {
      what: "FRR has GoBGP's IPv6 route",
    });

    // GoBGP learned ExaBGP's route through FRR and BIRD, and FRR's IPv6 network.
    const g4 = await gobgp.waitFor(async () => (await gobgp.rib("ipv4"))["203.0.113.128/26"], {
      what: "GoBGP has ExaBGP's route",
    });
    expect(JSON.stringify(g4[0]?.attrs)).toContain("65003");
    await gobgp.waitFor(async () => (await gobgp.rib("ipv6"))["2001:db8:f::/48"], {
      what: "GoBGP has FRR's IPv6 network",
    });

    // ExaBGP received BIRD's and GoBGP's routes, with the AS path through them.
    const got = await exa.waitFor(
      () => {
        const r = exa.received();
        return r.has("198.51.100.64/26") && r.has("203.0.113.64/26") && r;
      },
      { what: "ExaBGP received routes" },
    );
    expect(got.get("203.0.113.64/26")?.["as-path"]).toEqual([65001, 65002]);

    // BIRD has GoBGP's IPv6 route and ExaBGP's route with its community.
    const b6 = await bird.waitFor(async () =>
      (await bird.routes({ table: "master6" })).find((r) => r.prefix === "2001:db8:9::/48"),
    );
    expect(b6.attrs["BGP.as_path"]).toBe("65002");
    const bx = await bird.waitFor(async () =>
      (await bird.routes({ table: "master4" })).find((r) => r.prefix === "203.0.113.128/26"),
    );
    expect(bx.attrs["BGP.community"]).toBe("(65003,7)");

    // A ping from behind BIRD to behind FRR crosses routes learned over BGP.
    expect((await kernelRoute(topo.host("bird"), "203.0.113.0/30")).protocol).toBe("bird");
    expect((await kernelRoute(topo.host("frr"), "198.51.100.0/30")).protocol).toBe("bgp");
    await topo.host("sa").exec(["ping", "-c", "2", "-W", "2", "203.0.113.2"]);
  });
});

describe.skipIf(skip)("testbed: a broken daemon config fails with the daemon's log", () => {
  const tb = useTestbed();
  it("BIRD rejects a syntax error and the error carries BIRD's own message", async () => {
    const topo = await tb.topology({ hosts: ["x"] });
    const err = await startBird(
      topo.host("x"),
      "router id 192.0.2.9;\nprotocol bgp broken { neighbor as; }\n",
    ).then(
      (b) => {
        tb.track(b);
        return undefined;
      },
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/bird@x exited unexpectedly/);
    expect(err?.message).toMatch(/syntax error/i);
  });
});
