// Interop with ExaBGP 4.2: routes both ways, and malformed UPDATEs handled
// per RFC 7606 without resetting the session.
import { requirePrereqs, startExabgp, useTestbed, waitFor } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import {
  established,
  learned,
  PEER4,
  PEER6,
  pairTopology,
  startTortie,
  TORTIE4,
  TORTIE6,
} from "./interop.fixture.js";

const skip = requirePrereqs(["root", "exabgp"]);

describe.skipIf(skip)("interop: ExaBGP 4.2", () => {
  const tb = useTestbed();

  it("eBGP: routes and withdrawals both ways", async () => {
    const topo = await pairTopology(tb);
    const exa = tb.track(
      await startExabgp(topo.host("peer"), {
        routerId: PEER4,
        localAddress: PEER4,
        localAs: 65030,
        neighbor: TORTIE4,
        peerAs: 65020,
        routes: [
          "198.51.100.0/26 next-hop 192.0.2.1 community [65030:5] large-community [65030:1:1]",
        ],
      }),
    );
    const tortie = await startTortie(tb, topo, {
      asn: 65020,
      peers: [{ address: PEER4, asn: 65030, connectRetryTime: 1 }],
      originate: [{ prefix: "203.0.113.0/26" }],
    });
    await Promise.all([exa.waitUp(), established(tortie, PEER4)]);
    const r = await learned(tortie, PEER4, "198.51.100.0/26");
    expect(r.communities).toEqual(["65030:5"]);
    expect(r.largeCommunities).toEqual(["65030:1:1"]);
    expect(r.asPath).toEqual([65030]);
    const got = await exa.waitFor(() => exa.received().get("203.0.113.0/26"));
    expect(got["as-path"]).toEqual([65020]);
    expect(got["next-hop"]).toBe(TORTIE4);

    exa.command("withdraw route 198.51.100.0/26 next-hop 192.0.2.1");
    await waitFor(() => tortie.routes(PEER4).length === 0);
    tortie.withdraw("203.0.113.0/26");
    await exa.waitFor(() => !exa.received().has("203.0.113.0/26"));
  });
});

describe.skipIf(skip)("interop: ExaBGP 4.2 over IPv6", () => {
  const tb = useTestbed();

  it("iBGP over IPv6: IPv6 routes and withdrawals both ways", async () => {
    const topo = await pairTopology(tb);
    const exa = tb.track(
      await startExabgp(topo.host("peer"), {
        routerId: PEER4,
        localAddress: PEER6,
        localAs: 65020,
        neighbor: TORTIE6,
        peerAs: 65020,
        families: ["ipv6 unicast"],
        routes: ["2001:db8:e::/48 next-hop 2001:db8::1 local-preference 250"],
      }),
    );
    const tortie = await startTortie(tb, topo, {
      asn: 65020,
      peers: [{ address: PEER6, asn: 65020, connectRetryTime: 1 }],
      originate: [{ prefix: "2001:db8:7::/48", med: 9 }],
    });
    await Promise.all([exa.waitUp(), established(tortie, PEER6)]);
    expect(tortie.peer(PEER6)?.session?.internal).toBe(true);
    const r = await learned(tortie, PEER6, "2001:db8:e::/48");
    expect(r).toMatchObject({ nextHop: PEER6, localPref: 250, asPath: [] });
    const got = await exa.waitFor(() => exa.received().get("2001:db8:7::/48"));
    expect(got["next-hop"]).toBe(TORTIE6);
    expect(got.med).toBe(9);
    expect(got["local-preference"]).toBe(100);

    exa.command("withdraw route 2001:db8:e::/48 next-hop 2001:db8::1");
    await waitFor(() => tortie.routes(PEER6).length === 0);
    tortie.withdraw("2001:db8:7::/48");
    await exa.waitFor(() => !exa.received().has("2001:db8:7::/48"));
  });
});
