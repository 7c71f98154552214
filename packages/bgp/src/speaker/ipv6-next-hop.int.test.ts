// IPv6 routes over an IPv4 session with nothing configured for them: the
// next hop must be one BIRD and FRR accept as they are (RFC 2545 §3 asks for
// a global address; an IPv4-mapped one is not on their link). Tortie takes a
// global IPv6 address of the session's interface, as BIRD does; both peers
// then install the route in their kernels via that address.
import { requirePrereqs, startBird, startFrr, useTestbed, waitFor } from "@tortie/testbed";
import { describe, expect, it } from "vitest";
import { established, startTortie, TORTIE4, TORTIE6 } from "./interop.fixture.js";

const skip = requirePrereqs(["root", "bird", "frr"]);
const BIRD4 = "192.0.2.1";
const FRR4 = "192.0.2.3";

describe.skipIf(skip)("IPv6 over an IPv4 session, no next hop configured", () => {
  const tb = useTestbed();

  it("BIRD and FRR get Tortie's global IPv6 address as next hop and install the route", async () => {
    const topo = await tb.topology({
      hosts: ["bird", "frr", "tortie"],
      segments: {
        lan: {
          members: {
            bird: [`${BIRD4}/24`, "2001:db8::1/64"],
            tortie: [`${TORTIE4}/24`, `${TORTIE6}/64`],
            frr: [`${FRR4}/24`, "2001:db8::3/64"],
          },
        },
      },
    });
    const bird = tb.track(
      await startBird(topo.host("bird"), {
        routerId: BIRD4,
        localAs: 65001,
        kernel: true,
        peers: [{ name: "tortie", neighbor: TORTIE4, neighborAs: 65002, ipv4: true, ipv6: true }],
      }),
    );
    const frr = tb.track(
      await startFrr(topo.host("frr"), {
        as: 65003,
        routerId: FRR4,
        neighbors: [{ address: TORTIE4, remoteAs: 65002, families: ["ipv4", "ipv6"] }],
      }),
    );
    const tortie = await startTortie(tb, topo, {
      asn: 65002,
      peers: [BIRD4, FRR4].map((address, i) => ({
        address,
        asn: 65001 + 2 * i,
        connectRetryTime: 1,
        families: ["ipv4-unicast", "ipv6-unicast"] as const,
      })),
      originate: [{ prefix: "2001:db8:7::/48" }],
    });
    await Promise.all([established(tortie, BIRD4), established(tortie, FRR4)]);

    const atBird = await bird.waitFor(async () =>
      (await bird.routes({ table: "master6" })).find((r) => r.prefix === "2001:db8:7::/48"),
    );
    expect(atBird.attrs["BGP.next_hop"]).toContain(TORTIE6);
    const atFrr = await frr.bgpd.waitFor(async () => (await frr.routes("ipv6"))["2001:db8:7::/48"]);
    expect(atFrr[0]?.nexthops?.map((n) => n.ip)).toContain(TORTIE6);
    // Accepted, not merely held: each peer's kernel routes the prefix via Tortie.
    for (const host of ["bird", "frr"]) {
      const route = await waitFor(
        async () =>
          (
            await topo
              .host(host)
              .ipJson<{ dst: string; gateway?: string }[]>([
                "-6",
                "route",
                "show",
                "2001:db8:7::/48",
              ])
          )[0],
        { what: `2001:db8:7::/48 in ${host}'s kernel` },
      );
      expect(route.gateway, host).toBe(TORTIE6);
    }
  });
});
