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
import { startExabgp } from "./daemons/exabgp.js";
import { startFrr } from "./daemons/frr.js";
import { startGobgp } from "./daemons/gobgp.js";
import { requirePrereqs } from "./prereqs.js";
import type { Host } from "./topology.js";
import { useTestbed } from "./vitest.js";
import { waitFor } from "./wait.js";

/** Waits for `prefix` in the host's main table; returns `ip -json route` of it. */
function kernelRoute(h: Host, prefix: string) {
  return waitFor(
    async () => (await h.ipJson<{ dst: string; protocol: string }[]>(["route", "show", prefix]))[0],
    { what: `${prefix} in ${h.name}'s kernel table` },
  );
}

const skip = requirePrereqs(["root", "bird", "frr", "gobgp", "exabgp"]);

describe.skipIf(skip)("testbed smoke: four real BGP implementations", () => {
  const tb = useTestbed();

  it("exchange IPv4 and IPv6 routes over iBGP and eBGP, and a ping crosses them", async () => {
    const topo = await tb.topology({
      hosts: ["bird", "frr", "gobgp", "exa", "sa", "sb"],
      segments: {
        lan: {
          members: {
            bird: ["192.0.2.1/24", "2001:db8::1/64"],
            frr: ["192.0.2.2/24", "2001:db8::2/64"],
            gobgp: ["192.0.2.3/24", "2001:db8::3/64"],
            exa: ["192.0.2.4/24"],
          },
        },
      },
      links: [
        {
          a: { host: "bird", addrs: ["198.51.100.1/30"] },
          b: { host: "sa", addrs: ["198.51.100.2/30"] },
        },
        {
          a: { host: "frr", addrs: ["203.0.113.1/30"] },
          b: { host: "sb", addrs: ["203.0.113.2/30"] },
        },
      ],
      routes: [
        { host: "sa", to: "default", via: "198.51.100.1" },
        { host: "sb", to: "default", via: "203.0.113.1" },
      ],
    });

    const [bird, frr, gobgp, exa] = await Promise.all([
      startBird(topo.host("bird"), {
        routerId: "192.0.2.1",
        localAs: 65001,
        kernel: true,
        static4: ["198.51.100.64/26"],
        static6: ["2001:db8:b::/48"],
        peers: [
          { name: "frr4", neighbor: "192.0.2.2", neighborAs: 65001, ipv4: true },
          { name: "frr6", neighbor: "2001:db8::2", neighborAs: 65001, ipv6: true },
          { name: "gobgp4", neighbor: "192.0.2.3", neighborAs: 65002, ipv4: true },
          { name: "gobgp6", neighbor: "2001:db8::3", neighborAs: 65002, ipv6: true },
        ],
      }).then(tb.track),
      startFrr(topo.host("frr"), {
        as: 65001,
        routerId: "192.0.2.2",
        neighbors: [
          { address: "192.0.2.1", remoteAs: 65001 },
          { address: "2001:db8::1", remoteAs: 65001 },
          { address: "192.0.2.4", remoteAs: 65003 },
        ],
        networks4: ["203.0.113.0/30"],
        networks6: ["2001:db8:f::/48"],
      }).then(tb.track),
      startGobgp(topo.host("gobgp"), {
        as: 65002,
        routerId: "192.0.2.3",
        neighbors: [
          { address: "192.0.2.1", peerAs: 65001 },
          { address: "2001:db8::1", peerAs: 65001 },
        ],
      }).then(tb.track),
      startExabgp(topo.host("exa"), {
        routerId: "192.0.2.4",
        localAddress: "192.0.2.4",
        localAs: 65003,
        neighbor: "192.0.2.2",
        peerAs: 65001,
        routes: ["203.0.113.128/26 next-hop 192.0.2.4 community [65003:7]"],
      }).then(tb.track),
    ]);

    await Promise.all([
      bird.waitEstablished("frr4"),
      bird.waitEstablished("frr6"),
      bird.waitEstablished("gobgp4"),
      bird.waitEstablished("gobgp6"),
      frr.waitEstablished("192.0.2.4"),
      exa.waitUp(),
    ]);
    await gobgp.announce("203.0.113.64/26");
    await gobgp.announce("2001:db8:9::/48");

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
