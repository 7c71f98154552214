// Interop with GoBGP 3.10: eBGP and iBGP, IPv4 and IPv6, routes and withdrawals both ways.
import { requirePrereqs, startGobgp, useTestbed, waitFor } from "@tortie/testbed";
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

const skip = requirePrereqs(["root", "gobgp"]);

describe.skipIf(skip)("interop: GoBGP 3.10", () => {
  const tb = useTestbed();

  it("eBGP over IPv4 and iBGP over IPv6: routes and withdrawals both ways", async () => {
    const topo = await pairTopology(tb);
    const gobgp = tb.track(
      await startGobgp(topo.host("peer"), {
        as: 65010,
        routerId: PEER4,
        neighbors: [
          { address: TORTIE4, peerAs: 65020 },
          { address: TORTIE6, peerAs: 65010 },
        ],
      }),
    );
    const tortie = await startTortie(tb, topo, {
      asn: 65020,
      peers: [
        { address: PEER4, asn: 65010, connectRetryTime: 1 },
        { address: PEER6, asn: 65010, localAsn: 65010, connectRetryTime: 1 },
      ],
      originate: [
        { prefix: "203.0.113.0/26", communities: ["65020:1"] },
        { prefix: "2001:db8:7::/48" },
      ],
    });
    await Promise.all([
      gobgp.waitEstablished(TORTIE4),
      gobgp.waitEstablished(TORTIE6),
      established(tortie, PEER4),
      established(tortie, PEER6),
    ]);
    await gobgp.announce("198.51.100.0/26", ["community", "65010:9"]);
    await gobgp.announce("2001:db8:9::/48");

    const g4 = await gobgp.waitFor(async () => (await gobgp.rib("ipv4"))["203.0.113.0/26"]);
    expect(JSON.stringify(g4[0]?.attrs)).toContain("65020");
    await gobgp.waitFor(async () => (await gobgp.rib("ipv6"))["2001:db8:7::/48"]);

    const r4 = await learned(tortie, PEER4, "198.51.100.0/26");
    expect(r4.asPath).toEqual([65010]);
    expect(r4.communities).toEqual(["65010:9"]);
    await learned(tortie, PEER6, "2001:db8:9::/48");

    tortie.withdraw("203.0.113.0/26");
    await gobgp.waitFor(async () => !(await gobgp.rib("ipv4"))["203.0.113.0/26"]);
    await gobgp.withdraw("198.51.100.0/26");
    await waitFor(() => !tortie.routes(PEER4).some((r) => r.prefix === "198.51.100.0/26"));
  });
});
