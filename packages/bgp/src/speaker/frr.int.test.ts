// Interop with FRR 8.4 (bgpd + zebra), the closest stand-in for BIG-IP's
// ZebOS: a peer-group in F5's lab shape, IPv4 and IPv6, attributes,
// withdrawals, zebra installing Tortie's routes into the kernel.
import { requirePrereqs, startFrr, useTestbed, waitFor } from "@tortie/testbed";
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

const skip = requirePrereqs(["root", "frr"]);

describe.skipIf(skip)("interop: FRR 8.4", () => {
  const tb = useTestbed();

  it("iBGP in a peer-group (F5 lab shape) and eBGP over IPv6: routes and withdrawals both ways", async () => {
    const topo = await pairTopology(tb);
    const frr = tb.track(
      await startFrr(topo.host("peer"), {
        as: 64512,
        routerId: PEER4,
        neighbors: [
          { address: TORTIE4, remoteAs: 64512, peerGroup: "calico-k8s", families: ["ipv4"] },
          { address: TORTIE6, remoteAs: 65002, families: ["ipv6"] },
        ],
        networks4: ["198.51.100.0/26"],
        networks6: ["2001:db8:f::/48"],
      }),
    );
    const tortie = await startTortie(tb, topo, {
      asn: 64512,
      peers: [
        { address: PEER4, asn: 64512, connectRetryTime: 1 },
        { address: PEER6, asn: 64512, localAsn: 65002, connectRetryTime: 1 },
      ],
      originate: [
        { prefix: "203.0.113.0/26", communities: ["64512:7"] },
        { prefix: "203.0.113.64/26" },
        { prefix: "2001:db8:7::/48", med: 20 },
      ],
    });
    await Promise.all([
      frr.waitEstablished(TORTIE4),
      frr.waitEstablished(TORTIE6),
      established(tortie, PEER4),
      established(tortie, PEER6),
    ]);

    const v4 = await frr.bgpd.waitFor(async () => {
      const r = await frr.routes("ipv4");
      return r["203.0.113.0/26"] && r["203.0.113.64/26"] ? r : undefined;
    });
    expect(v4["203.0.113.0/26"]?.[0]?.locPrf).toBe(100);
    expect(v4["203.0.113.0/26"]?.[0]?.nexthops?.[0]?.ip).toBe(TORTIE4);
    const v6 = await frr.bgpd.waitFor(async () => (await frr.routes("ipv6"))["2001:db8:7::/48"]);
    expect(v6[0]?.path).toBe("65002");
    expect(v6[0]?.metric).toBe(20);
    // zebra put Tortie's iBGP routes into the peer's kernel, as BIG-IP would route to pod blocks.
    await waitFor(
      async () =>
        (await topo.host("peer").ipJson<{ dst: string }[]>(["route", "show", "203.0.113.0/26"]))[0],
    );

    const r4 = await learned(tortie, PEER4, "198.51.100.0/26");
    expect(r4.nextHop).toBe(PEER4);
    const r6 = await learned(tortie, PEER6, "2001:db8:f::/48");
    expect(r6.asPath).toEqual([64512]);

    tortie.withdraw("203.0.113.0/26");
    await frr.bgpd.waitFor(async () => !(await frr.routes("ipv4"))["203.0.113.0/26"]);
    expect((await frr.routes("ipv4"))["203.0.113.64/26"]).toBeDefined();
    await frr.vtysh(
      "configure terminal",
      "router bgp 64512",
      "address-family ipv4 unicast",
      "no network 198.51.100.0/26",
    );
    await waitFor(() => !tortie.routes(PEER4).some((r) => r.prefix === "198.51.100.0/26"));
  });
});
